import type { AcquisitionValue } from "./acquisition-value.js";
import { dLogNormalCdf, logNormalCdf, normalCdf, normalPdf } from "./normal.js";

/**
 * Probability of improvement P(f < best - xi) = Φ(z) of f ~ N(mean, std²), for
 * minimisation, with z = (best - xi - mean)/std.
 * Derivatives: ∂/∂mean = -φ(z)/std and ∂/∂std = -z·φ(z)/std.
 * Requires std > 0; writes into `out` and returns it.
 */
export function probabilityOfImprovement(mean: number, std: number, best: number, xi: number, out: AcquisitionValue): AcquisitionValue {
  const z = (best - xi - mean) / std;
  const pdf = normalPdf(z);
  out.value = normalCdf(z);
  out.dMean = -pdf / std;
  out.dStd = (-z * pdf) / std;
  return out;
}

/**
 * log Φ(z), the log of {@link probabilityOfImprovement}: finite where Φ(z)
 * underflows, with the inverse Mills ratio λ(z) = φ(z)/Φ(z) as its slope.
 * Derivatives: ∂/∂mean = -λ(z)/std and ∂/∂std = -z·λ(z)/std.
 * Requires std > 0; writes into `out` and returns it.
 */
export function logProbabilityOfImprovement(mean: number, std: number, best: number, xi: number, out: AcquisitionValue): AcquisitionValue {
  const z = (best - xi - mean) / std;
  const slope = dLogNormalCdf(z);
  out.value = logNormalCdf(z);
  out.dMean = -slope / std;
  out.dStd = (-z * slope) / std;
  return out;
}
