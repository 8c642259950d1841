import type { GaussianProcess } from "../gp/gaussian-process.js";
import { choleskyWithJitter } from "../linalg/cholesky.js";
import type { Rng } from "../rng.js";
import { SobolSequence } from "../sobol/sobol-sequence.js";
import type { EncodedDim } from "../space/encoded-dim.js";

/** Scrambled-Sobol points among the Thompson candidates: the global share of the draw. */
const GLOBAL_CANDIDATES = 256;
/** Incumbents (best first) around which local candidates are drawn, and how many around each. */
const LOCAL_INCUMBENTS = 3;
const LOCAL_CANDIDATES_PER_INCUMBENT = 64;
/**
 * Above this many training points both counts are halved: a draw costs
 * O(m·n² + m²·n + m³) for m candidates, about 0.1 s at m = 448 and n = 200,
 * as the acquisition search also cuts its raw candidates there.
 */
const LARGE_MODEL = 200;
/**
 * Local steps are Gaussian with a standard deviation of s·ℓ_j, s log-uniform
 * between these: from a hundredth of a lengthscale, where an interpolating GP
 * refines an optimum, to a third, where it still tells basins apart.
 */
const LOCAL_STEP_MIN = 0.01;
const LOCAL_STEP_MAX = 10 ** -0.5;
/** Lengthscales above this (a flat dim) step as if they were this: a step of a whole cube is no longer local. */
const MAX_STEP_LENGTHSCALE = 1;
/** Probability that a local candidate redraws a categorical coordinate. */
const CATEGORY_REDRAW = 0.1;

/**
 * One draw from N(mean, covariance): mean + L z, with L the Cholesky factor of
 * the covariance (jittered when it is numerically singular, as for candidates
 * on top of training points) and z standard normal.
 * @param covariance - m × m, row-major; only its lower triangle is read.
 */
export function sampleMultivariateNormal(mean: Float64Array, covariance: Float64Array, rng: Rng): Float64Array {
  const m = mean.length;
  const { L } = choleskyWithJitter(covariance, m);
  const z = Float64Array.from({ length: m }, () => rng.normal());
  const out = Float64Array.from(mean);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = 0; k <= i; k++) s += L[i * m + k]! * z[k]!;
    out[i]! += s;
  }
  return out;
}

/**
 * Thompson sampling on a finite set: the candidate where one joint draw of the
 * latent posterior is lowest. A joint draw (not independent marginals), so that
 * nearby candidates move together and the argmin is that of a sample path.
 * @returns the index of the chosen candidate.
 */
export function thompsonArgmin(gp: GaussianProcess, candidates: readonly Float64Array[], rng: Rng): number {
  const { mean, covariance } = gp.posteriorCovariance(candidates);
  const draw = sampleMultivariateNormal(mean, covariance, rng);
  let best = 0;
  for (let i = 1; i < draw.length; i++) if (draw[i]! < draw[best]!) best = i;
  return best;
}

/**
 * The candidates of a Thompson ask, distinct after snapping: Sobol points over
 * the space and Gaussian perturbations of the best incumbents at scales from a
 * hundredth to a third of each lengthscale, so that one draw can both leave for
 * another basin and refine the current one.
 * @param incumbents - observed points, best first.
 * @param trainingPoints - the model's n: above LARGE_MODEL, half the candidates.
 */
export function thompsonCandidates(
  dims: readonly EncodedDim[],
  lengthscales: Float64Array,
  incumbents: readonly Float64Array[],
  snap: (u: Float64Array) => Float64Array,
  rng: Rng,
  trainingPoints = 0,
): Float64Array[] {
  const share = trainingPoints > LARGE_MODEL ? 2 : 1;
  const points = new SobolSequence(dims.length, { seed: rng.nextUint32(), scramble: true }).draw(GLOBAL_CANDIDATES / share).map(snap);
  const logRange = Math.log(LOCAL_STEP_MAX / LOCAL_STEP_MIN);
  for (const x of incumbents.slice(0, LOCAL_INCUMBENTS)) {
    for (let k = 0; k < LOCAL_CANDIDATES_PER_INCUMBENT / share; k++) {
      const step = LOCAL_STEP_MIN * Math.exp(logRange * rng.uniform());
      const y = Float64Array.from(x);
      for (let j = 0; j < dims.length; j++) {
        const dim = dims[j]!;
        if (dim.kind === "categorical") {
          if (rng.uniform() < CATEGORY_REDRAW) y[j] = dim.centers[rng.int(dim.levels)]!;
        } else {
          y[j] = Math.min(1, Math.max(0, x[j]! + step * Math.min(lengthscales[j]!, MAX_STEP_LENGTHSCALE) * rng.normal()));
        }
      }
      points.push(snap(y));
    }
  }
  const seen = new Set<string>();
  return points.filter((p) => {
    const key = p.join(",");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
