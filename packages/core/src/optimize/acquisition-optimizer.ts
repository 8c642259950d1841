import { minimizeBounded } from "../optim/lbfgsb.js";
import type { Rng } from "../rng.js";
import { SobolSequence } from "../sobol/sobol-sequence.js";
import type { EncodedDim } from "../space/encoded-dim.js";
import type { PointAcquisition } from "./point-acquisition.js";

export interface AcquisitionOptimizerOptions {
  /** Sobol points scored before any local search. @defaultValue 512; 128 above 200 training points, where each costs O(n²) */
  rawSamples?: number;
  /** Best raw points refined by local search. @defaultValue 4, 2 above 200 training points */
  restarts?: number;
  /** L-BFGS-B iterations per refinement of the continuous dims. @defaultValue 40 */
  maxIterations?: number;
  /** Alternations between the continuous and the discrete search. @defaultValue 3 */
  rounds?: number;
}

/** Gaussian jitter (in unit-cube units) around incumbents for the extra raw candidates. */
const LOCAL_SPREAD = 0.05;

/**
 * Maximises an acquisition (of one GP posterior, or constrained: see
 * point-acquisition.ts) over the unit cube.
 *
 * Raw candidates are scrambled Sobol points plus perturbations of the best
 * observed points; the best few are refined by alternating (a) bounded L-BFGS
 * over the continuous coordinates (floats, and ints too fine to enumerate,
 * relaxed) with the discrete ones fixed, and (b) a coordinate search over the
 * enumerable discrete coordinates: neighbouring levels for ordered ones, every
 * level for categorical ones. The result is snapped to the grid by `snap`.
 *
 * @param incumbents points (k × d) around which to add local candidates, best first.
 * @returns a point (length d) in [0, 1]^d that `snap` leaves unchanged.
 */
export function optimizeAcquisition(
  target: PointAcquisition,
  snap: (u: Float64Array) => Float64Array,
  incumbents: readonly Float64Array[],
  rng: Rng,
  options: AcquisitionOptimizerOptions = {},
): { x: Float64Array; value: number } {
  const dims = target.dims;
  const d = dims.length;
  const rawSamples = options.rawSamples ?? (target.n > 200 ? 128 : 512);
  // Above 200 points each posterior evaluation costs O(n²): fewer, better-chosen starts keep an ask interactive.
  const restarts = options.restarts ?? (target.n > 200 ? 2 : 4);
  const maxIterations = options.maxIterations ?? 40;
  const rounds = options.rounds ?? 3;

  const candidates = new SobolSequence(d, { seed: rng.nextUint32(), scramble: true }).draw(rawSamples).map(snap);
  for (const incumbent of incumbents.slice(0, 5)) {
    for (let k = 0; k < 16; k++) candidates.push(snap(perturb(incumbent, dims, rng)));
  }
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
    const refined = refine(target, snap, start, dims, maxIterations, rounds);
    if (refined.value > best.value) best = refined;
  }
  return best;
}

function refine(
  target: PointAcquisition,
  snap: (u: Float64Array) => Float64Array,
  start: Float64Array,
  dims: readonly EncodedDim[],
  maxIterations: number,
  rounds: number,
): { x: Float64Array; value: number } {
  const d = dims.length;
  const relaxed = dims.map((dim) => dim.kind === "continuous" || dim.centers.length === 0);
  const enumerable = dims.map((_, j) => !relaxed[j]);
  // Negated acquisition and its gradient, for the minimiser.
  const objective = (x: Float64Array, grad: Float64Array): number => {
    const value = target.valueAndGradient(x, grad);
    for (let j = 0; j < d; j++) grad[j] = -grad[j]!;
    return -value;
  };
  const valueAt = (x: Float64Array): number => target.scoreAll([x])[0] as number;

  let x: Float64Array = Float64Array.from(start);
  let value = valueAt(x);
  const lower = new Float64Array(d);
  const upper = new Float64Array(d);
  // With nothing to enumerate, a second round would restart L-BFGS at its own optimum.
  const roundCount = enumerable.some(Boolean) ? rounds : 1;
  for (let round = 0; round < roundCount; round++) {
    let improved = false;
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
        improved = true;
      }
    }
    for (let j = 0; j < d; j++) {
      if (!enumerable[j]) continue;
      for (const level of neighbourLevels(dims[j] as EncodedDim, x[j] as number)) {
        const candidate = Float64Array.from(x);
        candidate[j] = level;
        const candidateValue = valueAt(candidate);
        if (candidateValue > value + 1e-12) {
          x = candidate;
          value = candidateValue;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return { x, value };
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
