import type { AcquisitionValue } from "./acquisition-value.js";
import { EI_TAIL_BELOW, eiTailRatio } from "./ei-tail.js";
import { normalCdf, normalPdf } from "./normal.js";

/**
 * Expected improvement E[max(best - xi - f, 0)] of f ~ N(mean, std²), for
 * minimisation: std·h(z) with z = (best - xi - mean)/std and h(z) = φ(z) + zΦ(z).
 * It underflows to exactly 0 once z < -38.5 or so; use LogEI where that matters.
 * Derivatives: ∂/∂mean = -Φ(z) and ∂/∂std = φ(z).
 * Requires std > 0; writes into `out` and returns it.
 */
export function expectedImprovement(mean: number, std: number, best: number, xi: number, out: AcquisitionValue): AcquisitionValue {
  const z = (best - xi - mean) / std;
  const pdf = normalPdf(z);
  const cdf = normalCdf(z);
  const h = z >= EI_TAIL_BELOW ? pdf + z * cdf : pdf * eiTailRatio(-z);
  out.value = std * h;
  out.dMean = -cdf;
  out.dStd = pdf;
  return out;
}
