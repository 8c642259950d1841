import { InvalidArgumentError } from "../errors.js";

/** Robust z beyond which bad (large) values are compressed. */
const COMPRESSION_THRESHOLD = 2;
/** 1/Φ⁻¹(3/4): makes the MAD a consistent estimate of a normal's std. */
const MAD_TO_STD = 1.4826;
/** Φ⁻¹(3/4) − Φ⁻¹(1/4): the IQR of a standard normal. */
const IQR_OF_STANDARD_NORMAL = 1.349;

/**
 * Robust, monotone, invertible transform of the values of a *minimised*
 * objective into the GP's model units:
 *
 * 1. z = (y − median) / spread, spread = 1.4826·MAD (else IQR/1.349, else the
 *    std, else 1 when all values coincide);
 * 2. the bad tail is compressed beyond z > 2 by z ↦ 2 + log1p(log1p(z − 2))
 *    (continuous with slope 1 at the threshold); the good tail stays linear,
 *    since that is where the optimum is and where the model must be accurate;
 * 3. standardisation of the result to mean 0, std 1 (std 0 → 1).
 *
 * Why a double logarithm: a diverged run (loss 1e6 among losses of 2–5) sits
 * ~10⁶ robust units out; a single log1p still leaves it ~15 units out, and
 * standardising then squeezes every other value into a std of about 0.25,
 * flattening the model where it matters. The double log leaves it ~3 units out.
 */
export class OutputTransform {
  private constructor(
    readonly median: number,
    readonly spread: number,
    readonly mean: number,
    readonly std: number,
  ) {}

  /**
   * Fits the transform to observed values.
   * @param y - n ≥ 1 finite values.
   */
  static fit(y: Float64Array): OutputTransform {
    const n = y.length;
    if (n < 1) throw new InvalidArgumentError(`y must hold at least one value, got ${n}`);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(y[i]!)) throw new InvalidArgumentError(`y must be finite, got y[${i}] = ${y[i]}`);
    }
    const sorted = Float64Array.from(y).sort();
    const median = quantile(sorted, 0.5);
    const deviations = sorted.map((v) => Math.abs(v - median)).sort();
    let spread = MAD_TO_STD * quantile(deviations, 0.5);
    if (!(spread > 0)) spread = (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / IQR_OF_STANDARD_NORMAL;
    if (!(spread > 0)) {
      let mean = 0;
      for (const v of sorted) mean += v;
      mean /= n;
      let ss = 0;
      for (const v of sorted) ss += (v - mean) * (v - mean);
      spread = Math.sqrt(ss / n);
    }
    if (!(spread > 0) || !Number.isFinite(spread)) spread = 1;

    const compressed = y.map((v) => compress((v - median) / spread));
    let mean = 0;
    for (const c of compressed) mean += c;
    mean /= n;
    let ss = 0;
    for (const c of compressed) ss += (c - mean) * (c - mean);
    let std = Math.sqrt(ss / n);
    if (!(std > 0)) std = 1;
    return new OutputTransform(median, spread, mean, std);
  }

  /** A raw objective value in model units. */
  forward(y: number): number {
    return (compress((y - this.median) / this.spread) - this.mean) / this.std;
  }

  /** A model-unit value back in the objective's units; exact inverse of {@link forward}. */
  inverse(t: number): number {
    return this.median + this.spread * decompress(t * this.std + this.mean);
  }

  /**
   * forward applied to every value.
   * @param y - n.
   * @returns n.
   */
  forwardAll(y: Float64Array): Float64Array {
    return y.map((v) => this.forward(v));
  }
}

function compress(z: number): number {
  return z <= COMPRESSION_THRESHOLD ? z : COMPRESSION_THRESHOLD + Math.log1p(Math.log1p(z - COMPRESSION_THRESHOLD));
}

function decompress(c: number): number {
  return c <= COMPRESSION_THRESHOLD ? c : COMPRESSION_THRESHOLD + Math.expm1(Math.expm1(c - COMPRESSION_THRESHOLD));
}

/** Linearly interpolated quantile of ascending values. */
function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (position - lo) * (sorted[hi]! - sorted[lo]!);
}
