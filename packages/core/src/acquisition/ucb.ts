import type { AcquisitionValue } from "./acquisition-value.js";

/**
 * UCB of the negated objective, for minimisation: the lower confidence bound
 * mean - kappa·std, negated so that larger is better, i.e. kappa·std - mean
 * (kappa ≥ 0; larger kappa explores more).
 * Writes into `out` and returns it.
 */
export function upperConfidenceBound(mean: number, std: number, kappa: number, out: AcquisitionValue): AcquisitionValue {
  out.value = kappa * std - mean;
  out.dMean = -1;
  out.dStd = kappa;
  return out;
}
