import type { AcquisitionValue } from "./acquisition-value.js";
import { EI_TAIL_BELOW, eiTailRatio } from "./ei-tail.js";
import { logNormalPdf, millsRatio, normalCdf, normalPdf } from "./normal.js";

/**
 * LogEI (Ament et al., NeurIPS 2023): log of the expected improvement below
 * `best - xi` of a normal posterior N(mean, std²), for minimisation.
 * With z = (best - xi - mean)/std, LogEI = log h(z) + log std, h(z) = φ(z) + zΦ(z).
 * It stays finite and smooth deep in the tail (z = -1e3, where EI is exactly 0),
 * so the optimiser still sees a slope away from the incumbent.
 * Derivatives: ∂/∂mean = -(Φ/h)/std and ∂/∂std = (φ/h)/std, since h' = Φ.
 * Requires std > 0; writes into `out` and returns it.
 */
export function logExpectedImprovement(mean: number, std: number, best: number, xi: number, out: AcquisitionValue): AcquisitionValue {
  const z = (best - xi - mean) / std;
  let logH: number;
  let cdfOverH: number;
  let pdfOverH: number;
  if (z >= EI_TAIL_BELOW) {
    const pdf = normalPdf(z);
    const cdf = normalCdf(z);
    const h = pdf + z * cdf;
    logH = Math.log(h);
    cdfOverH = cdf / h;
    pdfOverH = pdf / h;
  } else {
    // h = φ(z)·g and Φ = φ(z)·R, so both ratios are free of φ, which underflows.
    const t = -z;
    const g = eiTailRatio(t);
    logH = logNormalPdf(z) + Math.log(g);
    cdfOverH = millsRatio(t) / g;
    pdfOverH = 1 / g;
  }
  out.value = logH + Math.log(std);
  out.dMean = -cdfOverH / std;
  out.dStd = pdfOverH / std;
  return out;
}
