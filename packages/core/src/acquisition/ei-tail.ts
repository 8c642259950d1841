/**
 * The lower tail of h(z) = φ(z) + zΦ(z), the expected improvement of a
 * unit-variance normal at standardised improvement z. For z < -1 the two terms
 * cancel (h(-40) ≈ φ(40)/1600), so EI and LogEI write h = φ(z)·g(-z) with
 * g(t) = h(-t)/φ(t) = 1 - t·R(t) (R the Mills ratio), following Ament et al.,
 * "Unexpected improvements to expected improvement" (NeurIPS 2023).
 */
import { millsRatio } from "./normal.js";

/** Below this z, EI and LogEI use the tail form φ(z)·g(-z); above it φ + zΦ cancels at most threefold. */
export const EI_TAIL_BELOW = -1;

/**
 * Where 1 - t·R(t) has lost about t² ulps (5e-15 at t = 4), the continued
 * fraction 1/R(t) = t + 1/(t + 2/(t + 3/(t + …))) takes over: with T the part
 * after "t +", g = T/(t + T) has no cancellation at all, and 40 levels reach
 * full precision from t = 4 on (measured against mpmath).
 */
const CONTINUED_FRACTION_FROM = 4;
const CONTINUED_FRACTION_DEPTH = 40;

/** g(t) = 1 - t·R(t) = h(-t)/φ(t) for t ≥ 1, relative error below 1e-14; g(t) ≈ 1/t² for large t. */
export function eiTailRatio(t: number): number {
  if (t < CONTINUED_FRACTION_FROM) return 1 - t * millsRatio(t);
  let tail = 0;
  for (let k = CONTINUED_FRACTION_DEPTH; k >= 1; k--) tail = k / (t + tail);
  return tail / (t + tail);
}
