import type { AcquisitionFunction, AcquisitionValue } from "../acquisition/acquisition.js";
import { InvalidArgumentError } from "../errors.js";
import { logProbabilityOfImprovement } from "../acquisition/pi.js";
import type { GaussianProcess } from "../gp/gaussian-process.js";
import type { EncodedDim } from "../space/encoded-dim.js";

/**
 * What the acquisition optimiser maximises: a function of a point in the unit
 * cube, built from one or more GP posteriors.
 */
export interface PointAcquisition {
  readonly dims: readonly EncodedDim[];
  /** Training points of the largest model: the optimiser spends fewer evaluations when each is O(n²). */
  readonly n: number;
  /** Values at many points (m × d), through batched posteriors. */
  scoreAll(points: readonly Float64Array[]): Float64Array;
  /** The value at x, and its gradient with respect to x written into `grad`. */
  valueAndGradient(x: Float64Array, grad: Float64Array): number;
}

/** Std floor: a point the model has seen without noise would otherwise give 0/0. */
const MIN_VARIANCE = 1e-18;

/** A scalar acquisition of one GP's posterior mean and std. */
export function gpAcquisition(gp: GaussianProcess, acquisition: AcquisitionFunction): PointAcquisition {
  return sumOfTerms([{ gp, evaluate: (mean, std, out) => acquisition.evaluate(mean, std, out) }]);
}

/**
 * A black-box constraint model: a GP of a value c(x) that is feasible when c(x) ≤ 0
 * (raw units; the model's output transform is monotone, so the bound maps to a
 * bound in model units).
 */
export interface ConstraintModel {
  readonly gp: GaussianProcess;
}

/**
 * Constrained acquisition in log form (Gardner et al. 2014; Gelbart et al. 2014):
 *
 *   α(x) = log a(x) + Σ_i log P(c_i(x) ≤ 0),  P(c_i ≤ 0) = Φ((t_i − μ_i(x)) / σ_i(x)),
 *
 * with a the objective's acquisition (LogEI already in log form) and t_i the
 * bound 0 in the i-th model's units; the constraints are independent GPs. Without
 * an objective term (nothing feasible yet) it is the log probability that every
 * constraint holds, so the search first looks for the feasible region.
 */
export function constrainedAcquisition(
  objective: { readonly gp: GaussianProcess; readonly acquisition: AcquisitionFunction } | undefined,
  constraints: readonly ConstraintModel[],
): PointAcquisition {
  const terms: Term[] = constraints.map(({ gp }) => {
    const bound = gp.toModelUnits(0);
    return { gp, evaluate: (mean, std, out) => logProbabilityOfImprovement(mean, std, bound, 0, out) };
  });
  if (objective !== undefined) {
    const { gp, acquisition } = objective;
    terms.unshift({ gp, evaluate: (mean, std, out) => acquisition.evaluate(mean, std, out) });
  }
  return sumOfTerms(terms);
}

interface Term {
  readonly gp: GaussianProcess;
  evaluate(mean: number, std: number, out: AcquisitionValue): AcquisitionValue;
}

/** Σ_k term_k(μ_k(x), σ_k(x)) with its gradient by the chain rule through each GP. */
function sumOfTerms(terms: readonly Term[]): PointAcquisition {
  const first = terms[0];
  if (first === undefined) throw new InvalidArgumentError("an acquisition needs at least one model");
  const d = first.gp.dims.length;
  const dMean = new Float64Array(d);
  const dVar = new Float64Array(d);
  const out: AcquisitionValue = { value: 0, dMean: 0, dStd: 0 };
  return {
    dims: first.gp.dims,
    n: Math.max(...terms.map((t) => t.gp.n)),
    scoreAll(points) {
      const scores = new Float64Array(points.length);
      for (const term of terms) {
        const { mean, variance } = term.gp.predict(points);
        for (let i = 0; i < points.length; i++) {
          const std = Math.sqrt(Math.max(variance[i]!, MIN_VARIANCE));
          scores[i]! += term.evaluate(mean[i]!, std, out).value;
        }
      }
      return scores;
    },
    valueAndGradient(x, grad) {
      grad.fill(0);
      let value = 0;
      for (const term of terms) {
        const { mean, variance } = term.gp.predictWithGradient(x, dMean, dVar);
        const std = Math.sqrt(Math.max(variance, MIN_VARIANCE));
        term.evaluate(mean, std, out);
        const dStdDVar = variance > MIN_VARIANCE ? 0.5 / std : 0;
        for (let j = 0; j < d; j++) grad[j]! += out.dMean * dMean[j]! + out.dStd * dStdDVar * dVar[j]!;
        value += out.value;
      }
      return value;
    },
  };
}

/** `target` where `allowed` holds, −∞ elsewhere (known constraints): the optimiser never keeps such a point. */
export function restrictTo(target: PointAcquisition, allowed: (x: Float64Array) => boolean): PointAcquisition {
  return restrictToAll(target, (points) => points.map(allowed));
}

/**
 * {@link restrictTo} with a test that judges all the points scored at once
 * (`allowedAll` returns one flag per point), for a test that is itself a batched
 * posterior: one blocked solve instead of one per point.
 */
export function restrictToAll(target: PointAcquisition, allowedAll: (points: readonly Float64Array[]) => readonly boolean[]): PointAcquisition {
  return {
    dims: target.dims,
    n: target.n,
    scoreAll(points) {
      const scores = target.scoreAll(points);
      const allowed = allowedAll(points);
      for (let i = 0; i < points.length; i++) if (!allowed[i]) scores[i] = Number.NEGATIVE_INFINITY;
      return scores;
    },
    valueAndGradient: (x, grad) => target.valueAndGradient(x, grad),
  };
}

/** The sum of two acquisitions over the same space (an objective's log term and a log-feasibility term). */
export function sumAcquisitions(a: PointAcquisition, b: PointAcquisition): PointAcquisition {
  return {
    dims: a.dims,
    n: Math.max(a.n, b.n),
    scoreAll(points) {
      const scores = a.scoreAll(points);
      const more = b.scoreAll(points);
      return scores.map((v, i) => v + more[i]!);
    },
    valueAndGradient(x, grad) {
      const other = new Float64Array(grad.length);
      const value = a.valueAndGradient(x, grad) + b.valueAndGradient(x, other);
      for (let j = 0; j < grad.length; j++) grad[j]! += other[j]!;
      return value;
    },
  };
}
