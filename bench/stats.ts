/** Regret values below this are treated as exact hits, so log10 stays finite. */
export const REGRET_FLOOR = 1e-12;

/**
 * log10 of the simple regret (best finite value − f*), floored at REGRET_FLOOR;
 * +Infinity when the run found no finite value at all.
 */
export function logRegret(best: number | null, fStar: number): number {
  if (best === null) return Number.POSITIVE_INFINITY;
  return Math.log10(Math.max(best - fStar, REGRET_FLOOR));
}

/** The q-quantile with linear interpolation between order statistics (R's type 7). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error("quantile needs at least one value, got none");
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = sorted[Math.floor(pos)] as number;
  const hi = sorted[Math.ceil(pos)] as number;
  // Interpolating between two infinities would give NaN.
  return lo === hi ? lo : lo + (hi - lo) * (pos - Math.floor(pos));
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Ranks (1 = smallest), ties sharing the average of the ranks they span. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    const shared = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) out[order[k]!.i] = shared;
    start = end + 1;
  }
  return out;
}

export function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}
