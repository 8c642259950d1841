import { minimizeBounded } from "../optim/lbfgsb.js";
import type { Rng } from "../rng.js";
import { SobolSequence } from "../sobol/sobol-sequence.js";
import type { EncodedDim } from "../space/encoded-dim.js";
import type { PointAcquisition } from "./point-acquisition.js";

export interface AcquisitionOptimizerOptions {
  /** Sobol points scored before any local search. @defaultValue 512; 128 above LARGE_HISTORY training points, where each costs O(n²) */
  rawSamples?: number;
  /** Best raw points refined by local search. @defaultValue {@link defaultRestarts} */
  restarts?: number;
  /** L-BFGS-B iterations per refinement of the continuous dims. @defaultValue 40 */
  maxIterations?: number;
  /** Alternations between the continuous and the discrete search. @defaultValue 3 */
  rounds?: number;
}

/**
 * Above this many training points each posterior evaluation, O(n²), dominates an
 * ask: fewer raw samples and local searches keep it interactive.
 */
const LARGE_HISTORY = 200;

/**
 * Local searches per point: 4; 2 above LARGE_HISTORY training points; 1 there
 * for the later points of a batch, whose raw candidates (shared with the first
 * point, see {@link drawRawCandidates}) are already ranked under the fantasies
 * of the points before. The L-BFGS runs are nearly all of a batch's cost at that
 * size: askBatch(8) at 500 trials took 415 ms with two and 275 ms with one.
 */
export function defaultRestarts(n: number, laterInBatch: boolean): number {
  if (n <= LARGE_HISTORY) return 4;
  return laterInBatch ? 1 : 2;
}

/** Ordered discrete dims with more levels than this are searched relaxed (see isRelaxed). */
const RELAX_ABOVE_LEVELS = 32;
/** Gaussian jitter (in unit-cube units) around incumbents for the extra raw candidates. */
const LOCAL_SPREAD = 0.05;

/**
 * Maximises an acquisition (of one GP posterior, or constrained: see
 * point-acquisition.ts) over the unit cube.
 *
 * Raw candidates are scrambled Sobol points plus perturbations of the best
 * observed points; the best few are refined by alternating (a) bounded L-BFGS
 * over the continuous coordinates (floats, and ordered discrete ones with more
 * than RELAX_ABOVE_LEVELS levels, relaxed) with the other discrete ones fixed,
 * then snapping, and (b) a coordinate search over the discrete coordinates with
 * levels: neighbouring levels for ordered ones, every level for categorical
 * ones; a new round starts only when (b) moved a coordinate that (a) held fixed.
 * The result is snapped to the grid by `snap`.
 *
 * @param incumbents points (k × d) around which to add local candidates, best first.
 * @param candidates the raw candidates; drawn by {@link drawRawCandidates} when not given.
 * @returns a point (length d) in [0, 1]^d that `snap` leaves unchanged.
 */
export function optimizeAcquisition(
  target: PointAcquisition,
  snap: (u: Float64Array) => Float64Array,
  incumbents: readonly Float64Array[],
  rng: Rng,
  options: AcquisitionOptimizerOptions = {},
  candidates: readonly Float64Array[] = drawRawCandidates(target, snap, incumbents, rng, options),
): { x: Float64Array; value: number } {
  const dims = target.dims;
  const restarts = options.restarts ?? defaultRestarts(target.n, false);
  const maxIterations = options.maxIterations ?? 40;
  const rounds = options.rounds ?? 3;

  const scores = target.scoreAll(candidates);
  const order = [...scores.keys()].sort((a, b) => (scores[b] as number) - (scores[a] as number));

  let best = { x: candidates[order[0] as number] as Float64Array, value: scores[order[0] as number] as number };
  const seen = new Set<string>();
  let started = 0;
  for (const index of order) {
    if (started >= restarts) break;
    const start = candidates[index] as Float64Array;
    const key = start.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    started++;
    const refined = refine(target, snap, start, scores[index] as number, dims, maxIterations, rounds);
    if (refined.value > best.value) best = refined;
  }
  return best;
}

/**
 * The raw candidates {@link optimizeAcquisition} scores: scrambled Sobol points
 * and 16 perturbations of each of the first 5 incumbents, snapped. The points of
 * one batch may share them (pass the same array to each call): a GP remembers
 * its posterior at a large array, and its fantasies extend it cheaply.
 * @param incumbents - points (k × d) around which to add local candidates, best first.
 */
export function drawRawCandidates(
  target: PointAcquisition,
  snap: (u: Float64Array) => Float64Array,
  incumbents: readonly Float64Array[],
  rng: Rng,
  options: AcquisitionOptimizerOptions = {},
): Float64Array[] {
  const dims = target.dims;
  const rawSamples = options.rawSamples ?? (target.n > LARGE_HISTORY ? 128 : 512);
  const candidates = new SobolSequence(dims.length, { seed: rng.nextUint32(), scramble: true }).draw(rawSamples).map(snap);
  for (const incumbent of incumbents.slice(0, 5)) {
    for (let k = 0; k < 16; k++) candidates.push(snap(perturb(incumbent, dims, rng)));
  }
  return candidates;
}

function refine(
  target: PointAcquisition,
  snap: (u: Float64Array) => Float64Array,
  start: Float64Array,
  startValue: number,
  dims: readonly EncodedDim[],
  maxIterations: number,
  rounds: number,
): { x: Float64Array; value: number } {
  const d = dims.length;
  const relaxed = dims.map(isRelaxed);
  // Relaxed ordered dims with levels are still tried at their neighbouring levels after snapping.
  const enumerable = dims.map((dim) => dim.centers.length > 0);
  // Negated acquisition and its gradient, for the minimiser.
  const objective = (x: Float64Array, grad: Float64Array): number => {
    const value = target.valueAndGradient(x, grad);
    for (let j = 0; j < d; j++) grad[j] = -grad[j]!;
    return -value;
  };
  const valueAt = (x: Float64Array): number => target.scoreAll([x])[0] as number;

  let x: Float64Array = Float64Array.from(start);
  let value = startValue;
  const lower = new Float64Array(d);
  const upper = new Float64Array(d);
  const roundCount = enumerable.some(Boolean) ? rounds : 1;
  for (let round = 0; round < roundCount; round++) {
    if (relaxed.some(Boolean)) {
      for (let j = 0; j < d; j++) {
        lower[j] = relaxed[j] ? 0 : (x[j] as number);
        upper[j] = relaxed[j] ? 1 : (x[j] as number);
      }
      const result = minimizeBounded(objective, x, lower, upper, { maxIterations });
      const candidate = snap(result.x);
      const candidateValue = valueAt(candidate);
      if (candidateValue > value + 1e-12) {
        x = candidate;
        value = candidateValue;
      }
    }
    // Another round only when the discrete search moved a coordinate L-BFGS holds
    // fixed: otherwise L-BFGS would only restart at its own optimum.
    let moved = false;
    for (let j = 0; j < d; j++) {
      if (!enumerable[j]) continue;
      for (const level of neighbourLevels(dims[j] as EncodedDim, x[j] as number)) {
        const candidate = Float64Array.from(x);
        candidate[j] = level;
        const candidateValue = valueAt(candidate);
        if (candidateValue > value + 1e-12) {
          x = candidate;
          value = candidateValue;
          moved ||= !relaxed[j];
        }
      }
    }
    if (!moved) break;
  }
  return { x, value };
}

/**
 * Whether L-BFGS moves dim's coordinate: continuous ones, and ordered discrete
 * ones with more than RELAX_ABOVE_LEVELS levels, which the result then snaps to
 * the grid. A one-level step per round would crawl across such a fine grid, and
 * each round costs a full L-BFGS run.
 */
function isRelaxed(dim: EncodedDim): boolean {
  return dim.kind === "continuous" || dim.centers.length === 0 || (dim.kind === "discrete" && dim.levels > RELAX_ABOVE_LEVELS);
}

/** The levels worth trying from u: every other category, or the adjacent ordered levels. */
function neighbourLevels(dim: EncodedDim, u: number): number[] {
  const centers = dim.centers;
  if (dim.kind === "categorical") return Array.from(centers).filter((c) => c !== u);
  let nearest = 0;
  for (let i = 1; i < centers.length; i++) {
    if (Math.abs((centers[i] as number) - u) < Math.abs((centers[nearest] as number) - u)) nearest = i;
  }
  const levels: number[] = [];
  if (nearest > 0) levels.push(centers[nearest - 1] as number);
  if (nearest < centers.length - 1) levels.push(centers[nearest + 1] as number);
  return levels;
}

/** A Gaussian step on ordered coordinates; a categorical one is redrawn with probability 0.2. */
function perturb(x: Float64Array, dims: readonly EncodedDim[], rng: Rng): Float64Array {
  const y = Float64Array.from(x);
  for (let j = 0; j < dims.length; j++) {
    const dim = dims[j] as EncodedDim;
    if (dim.kind === "categorical") {
      if (rng.uniform() < 0.2) y[j] = dim.centers[rng.int(dim.levels)] as number;
    } else {
      y[j] = Math.min(1, Math.max(0, (x[j] as number) + LOCAL_SPREAD * rng.normal()));
    }
  }
  return y;
}
