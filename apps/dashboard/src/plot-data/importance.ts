import { InvalidArgumentError, SobolSequence, type EncodedDim, type Params, type ParamValue, type SearchSpace } from "@bayestune/core";

export interface ImportanceOptions {
  /**
   * N, the base points x_-i are averaged over. A power of two keeps the Sobol
   * points balanced (one in each 1/N slice of every coordinate).
   * @defaultValue 128
   */
  samples?: number;
  /**
   * G, the values each float or int parameter takes (midpoints of G equal slices
   * of its unit-cube coordinate); an int or stepped float with at most G levels
   * takes each level once, a categorical each choice.
   * @defaultValue 12
   */
  gridPoints?: number;
  /** Scrambles the base points: the same seed and model give the same importances. @defaultValue 0 */
  seed?: number;
}

/** One parameter's share of the variation of the model's mean. */
export interface ParameterImportance {
  readonly name: string;
  /**
   * The main-effect variance as a share of all parameters' main-effect
   * variances, so the importances sum to 1 (all 0 for a constant mean): the
   * normalised value fANOVA and Optuna plot.
   */
  readonly importance: number;
  /**
   * Sobol's first-order index S_i = V_i / Var_x[μ(x)] in [0, 1]: the share of the
   * whole variance this parameter explains alone. 1 − Σ S_i is what interactions explain.
   */
  readonly firstOrderIndex: number;
  /** V_i = Var_{x_i}( E_{x_-i}[ μ(x) ] ), in the objective's units squared. */
  readonly mainEffectVariance: number;
}

/** The points an importance estimate needs, and the estimate from the mean there. */
export interface ImportanceDesign {
  /**
   * N · Σ_i G_i configurations: for each parameter i (in the space's order), for
   * each of its G_i grid values, the N base points with parameter i set to it.
   */
  readonly points: readonly Params[];
  /**
   * The importances from μ at `points` (same order and length), sorted by
   * importance, descending; ties keep the space's order.
   */
  importances(mean: readonly number[]): ParameterImportance[];
}

/**
 * Each parameter's first-order (main-effect) Sobol index of the model's mean
 * μ(x) over the space, with x uniform in the unit cube the space encodes to:
 * S_i = Var_{x_i}( E_{x_-i}[μ(x)] ) / Var_x[μ(x)] (Sobol, "Global sensitivity
 * indices for nonlinear mathematical models and their Monte Carlo estimates",
 * Math. Comput. Simul. 55, 2001). Akin to fANOVA's main effects (Hutter, Hoos
 * and Leyton-Brown, "An Efficient Approach for Assessing Hyperparameter
 * Importance", ICML 2014), which marginalise a random forest exactly; here the
 * GP's mean is marginalised numerically.
 *
 * Estimator: N scrambled-Sobol base points; E_{x_-i}[μ | x_i = g] is the average
 * of μ over them with parameter i set to g, and its variance over a weighted grid
 * of g (a midpoint rule of x_i's marginal) is V_i. Sharing the base points across
 * the grid makes the averaging noise common to every g, so it cancels from V_i:
 * for an additive mean V_i is exact up to the grid. Var_x[μ] is taken over the
 * same N · G_i points, so S_i is their correlation ratio and lies in [0, 1]
 * (exactly 1 for a mean that depends on parameter i alone).
 *
 * `predictMean` is called once, with every point.
 * @throws InvalidArgumentError for options out of range (a seed that is not an
 *   integer, from SobolSequence), or a mean of the wrong length.
 */
export function parameterImportance(space: SearchSpace, predictMean: (params: readonly Params[]) => number[], options: ImportanceOptions = {}): ParameterImportance[] {
  const design = importanceDesign(space, options);
  return design.importances(predictMean(design.points));
}

/**
 * The design behind {@link parameterImportance}, for a caller that batches its
 * points with others into one prediction (each prediction refits the model).
 */
export function importanceDesign(space: SearchSpace, options: ImportanceOptions = {}): ImportanceDesign {
  const samples = options.samples ?? 128;
  const gridPoints = options.gridPoints ?? 12;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(samples) || samples < 1) throw new InvalidArgumentError(`samples >= 1 must hold (an integer), got samples=${samples}`);
  if (!Number.isInteger(gridPoints) || gridPoints < 2) throw new InvalidArgumentError(`gridPoints >= 2 must hold (an integer), got gridPoints=${gridPoints}`);

  const base = new SobolSequence(space.dimension, { seed, scramble: true }).draw(samples).map((u) => space.decode(u));
  const grids = space.dims.map((dim, j) => marginalGrid(space, dim, j, gridPoints));
  const points = grids.flatMap((grid, j) => {
    const name = space.names[j]!;
    return grid.values.flatMap((value) => base.map((params) => ({ ...params, [name]: value })));
  });

  return {
    points,
    importances(mean) {
      if (mean.length !== points.length) {
        throw new InvalidArgumentError(`the mean must have one value per point (${points.length}), got ${mean.length}`);
      }
      // Variance below what rounding leaves of a constant mean counts as none.
      const negligible = (1e-12 * mean.reduce((m, v) => Math.max(m, Math.abs(v)), 0)) ** 2;
      let offset = 0;
      const effects = grids.map((grid) => {
        const block = mean.slice(offset, offset + grid.values.length * samples);
        offset += block.length;
        return varianceSplit(block, grid.weights, samples);
      });
      const mainEffects = effects.map(({ between }) => (between > negligible ? between : 0));
      const sum = mainEffects.reduce((s, v) => s + v, 0);
      const result = space.names.map((name, j) => ({
        name,
        importance: sum > negligible ? mainEffects[j]! / sum : 0,
        firstOrderIndex: effects[j]!.total > negligible ? mainEffects[j]! / effects[j]!.total : 0,
        mainEffectVariance: mainEffects[j]!,
      }));
      return result.sort((a, b) => b.importance - a.importance);
    },
  };
}

/** Values of one parameter with their probabilities under x uniform in the unit cube; weights sum to 1. */
interface MarginalGrid {
  readonly values: readonly ParamValue[];
  readonly weights: readonly number[];
}

function marginalGrid(space: SearchSpace, dim: EncodedDim, j: number, gridPoints: number): MarginalGrid {
  const at = (u: number): ParamValue => {
    const point = new Float64Array(space.dimension).fill(0.5);
    point[j] = u;
    return space.decode(point)[space.names[j]!]!;
  };
  const enumerable = dim.kind !== "continuous" && dim.centers.length === dim.levels && (dim.kind === "categorical" || dim.levels <= gridPoints);
  if (enumerable) return { values: Array.from(dim.centers, at), weights: cellWidths(dim.centers) };
  // Midpoints of G equal slices; several that decode to one level (a log int's wide low cells) merge, weights summed.
  const merged = new Map<ParamValue, number>();
  for (let k = 0; k < gridPoints; k++) {
    const value = at((k + 0.5) / gridPoints);
    merged.set(value, (merged.get(value) ?? 0) + 1 / gridPoints);
  }
  return { values: [...merged.keys()], weights: [...merged.values()] };
}

/**
 * The widths of the levels' cells, i.e. their probabilities. EncodedDim puts
 * each level at the centre of its cell, so the edges follow from the centres:
 * b_0 = 0, b_{k+1} = 2 c_k − b_k. Equal for ints and choices, unequal for a log int.
 */
function cellWidths(centers: Float64Array): number[] {
  let edge = 0;
  const widths = Array.from(centers, (c) => {
    const next = 2 * c - edge;
    const width = next - edge;
    edge = next;
    return width;
  });
  return widths.map((w) => w / edge);
}

/**
 * The law of total variance over one parameter's block of G × N means (grid
 * value by grid value, N each): `between` is the weighted variance of the G
 * conditional averages (V_i), `total` that of all G × N values.
 */
function varianceSplit(block: readonly number[], weights: readonly number[], samples: number): { between: number; total: number } {
  const conditional = weights.map((_, k) => block.slice(k * samples, (k + 1) * samples).reduce((s, v) => s + v, 0) / samples);
  const overall = conditional.reduce((s, m, k) => s + weights[k]! * m, 0);
  let between = 0;
  let total = 0;
  weights.forEach((w, k) => {
    between += w * (conditional[k]! - overall) ** 2;
    let spread = 0;
    for (let n = 0; n < samples; n++) spread += (block[k * samples + n]! - overall) ** 2;
    total += (w * spread) / samples;
  });
  return { between, total };
}
