/**
 * Acquisition functions for minimisation, as scalar functions of the posterior
 * mean and standard deviation of the latent objective (model units) at one point;
 * values are to be maximised.
 */
import { InvalidArgumentError } from "../errors.js";
import type { AcquisitionValue } from "./acquisition-value.js";
import { expectedImprovement } from "./ei.js";
import { logExpectedImprovement } from "./log-ei.js";
import { logProbabilityOfImprovement, probabilityOfImprovement } from "./pi.js";
import { upperConfidenceBound } from "./ucb.js";

// Re-exported so that the acquisition API reads from one module; the type lives
// in its own file only to keep the single acquisition files free of a cycle.
export type { AcquisitionValue } from "./acquisition-value.js";

export const ACQUISITION_NAMES = ["logEI", "EI", "PI", "logPI", "UCB"] as const;
export type AcquisitionName = (typeof ACQUISITION_NAMES)[number];

export interface AcquisitionParams {
  /** The incumbent: the lowest observed value, in model units. */
  best: number;
  /**
   * Margin an improvement must exceed (EI, logEI, PI, logPI): improvement is
   * measured below `best - xi`. Larger values explore more.
   * @defaultValue 0
   */
  xi?: number;
  /**
   * Width of the confidence bound in standard deviations (UCB).
   * @defaultValue 2
   */
  kappa?: number;
}

/**
 * An acquisition function of one point's posterior. `evaluate` writes into
 * `out` when given (no allocation in the optimiser's hot loop) and returns it.
 * A `std` below {@link MIN_STD} (0 included) is evaluated at MIN_STD with
 * dStd = 0, since the function is then constant in std.
 */
export interface AcquisitionFunction {
  readonly name: AcquisitionName;
  evaluate(mean: number, std: number, out?: AcquisitionValue): AcquisitionValue;
}

/**
 * The smallest std an acquisition function sees. A noiseless GP predicts
 * std = 0 (or a rounding-level negative variance) at an already observed point;
 * EI/PI divide by std, so the floor keeps z finite: such a point gets
 * z = ±1e12·(gap), i.e. the limit values (EI = max(best - xi - mean, 0), PI = 0 or 1).
 */
export const MIN_STD = 1e-12;

type Evaluate = (mean: number, std: number, out: AcquisitionValue) => AcquisitionValue;

/**
 * The acquisition function `name` for incumbent `params.best`.
 * Throws InvalidArgumentError for an unknown name, a non-finite best, or a
 * negative or non-finite xi or kappa.
 */
export function createAcquisition(name: AcquisitionName, params: AcquisitionParams): AcquisitionFunction {
  if (!(ACQUISITION_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(
      `acquisition must be one of ${ACQUISITION_NAMES.map((n) => `"${n}"`).join(", ")}, got ${JSON.stringify(name)}`,
    );
  }
  const { best } = params;
  const xi = params.xi ?? 0;
  const kappa = params.kappa ?? 2;
  if (!Number.isFinite(best)) {
    throw new InvalidArgumentError(`best must be a finite number, got ${best}`);
  }
  if (!(Number.isFinite(xi) && xi >= 0)) {
    throw new InvalidArgumentError(`xi >= 0 must hold (and be finite), got ${xi}`);
  }
  if (!(Number.isFinite(kappa) && kappa >= 0)) {
    throw new InvalidArgumentError(`kappa >= 0 must hold (and be finite), got ${kappa}`);
  }
  const evaluate = evaluatorFor(name, best, xi, kappa);
  return {
    name,
    evaluate(mean, std, out = { value: 0, dMean: 0, dStd: 0 }) {
      // Written as !(std < MIN_STD) so that a NaN std propagates instead of being floored.
      if (!(std < MIN_STD)) return evaluate(mean, std, out);
      evaluate(mean, MIN_STD, out);
      out.dStd = 0;
      return out;
    },
  };
}

function evaluatorFor(name: AcquisitionName, best: number, xi: number, kappa: number): Evaluate {
  switch (name) {
    case "logEI":
      return (mean, std, out) => logExpectedImprovement(mean, std, best, xi, out);
    case "EI":
      return (mean, std, out) => expectedImprovement(mean, std, best, xi, out);
    case "PI":
      return (mean, std, out) => probabilityOfImprovement(mean, std, best, xi, out);
    case "logPI":
      return (mean, std, out) => logProbabilityOfImprovement(mean, std, best, xi, out);
    case "UCB":
      return (mean, std, out) => upperConfidenceBound(mean, std, kappa, out);
  }
}
