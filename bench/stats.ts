import jStat from "jstat";

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

/** A Wilcoxon signed-rank test of paired differences against a zero median. */
export interface SignedRankTest {
  /** Pairs left after dropping zero differences (ties between the engines). */
  readonly n: number;
  /** Sum of the ranks of the positive differences. */
  readonly wPlus: number;
  /** Two-sided p-value; 1 when no nonzero difference is left. */
  readonly p: number;
  /** "exact": the null distribution of W+ enumerated; "normal": the normal approximation. */
  readonly method: "exact" | "normal";
}

/**
 * Up to this many nonzero differences, without tied |differences|, the exact null
 * distribution is used (scipy.stats.wilcoxon's "auto" switches at the same n).
 */
export const WILCOXON_EXACT_MAX_N = 50;

/**
 * Two-sided Wilcoxon signed-rank test of `differences` (paired a − b) against a
 * symmetric distribution about zero. Zero differences are dropped (Wilcoxon's
 * own rule, scipy's zero_method="wilcox"). With at most WILCOXON_EXACT_MAX_N
 * differences and no ties among their magnitudes, p comes from the exact
 * distribution of W+ (every sign pattern equally likely); otherwise from the
 * normal approximation with the tie-corrected variance
 * n(n+1)(2n+1)/24 − Σ(t³ − t)/48 and no continuity correction, as scipy's
 * method="approx", correction=False. ±Infinity differences (one engine found no
 * finite value) take the largest ranks; NaN (both found none) counts as zero.
 */
export function wilcoxonSignedRank(differences: readonly number[]): SignedRankTest {
  const nonzero = differences.filter((d) => d !== 0 && !Number.isNaN(d));
  const n = nonzero.length;
  if (n === 0) return { n, wPlus: 0, p: 1, method: "exact" };
  const r = ranks(nonzero.map(Math.abs));
  const wPlus = nonzero.reduce((s, d, i) => (d > 0 ? s + r[i]! : s), 0);
  const tieSizes = [...countBy(r).values()].filter((t) => t > 1);
  if (n <= WILCOXON_EXACT_MAX_N && tieSizes.length === 0) {
    return { n, wPlus, p: exactTwoSidedP(n, wPlus), method: "exact" };
  }
  const meanW = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieSizes.reduce((s, t) => s + t ** 3 - t, 0) / 48;
  if (variance <= 0) return { n, wPlus, p: 1, method: "normal" };
  const z = Math.abs(wPlus - meanW) / Math.sqrt(variance);
  return { n, wPlus, p: Math.min(1, 2 * normalUpperTail(z)), method: "normal" };
}

function countBy(values: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/**
 * 2·P(W+ ≤ min(w, n(n+1)/2 − w)) under the null, capped at 1: W+ is the sum of
 * a uniformly random subset of the ranks 1..n, whose distribution is counted by
 * the subset-sum recurrence (exact in doubles up to n = 50: 2^50 < 2^53).
 */
function exactTwoSidedP(n: number, wPlus: number): number {
  const maxSum = (n * (n + 1)) / 2;
  const counts = new Float64Array(maxSum + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    for (let s = maxSum; s >= k; s--) counts[s]! += counts[s - k]!;
  }
  const w = Math.min(wPlus, maxSum - wPlus);
  let below = 0;
  for (let s = 0; s <= Math.floor(w); s++) below += counts[s]!;
  return Math.min(1, (2 * below) / 2 ** n);
}

/** P(Z > z) for a standard normal Z, z ≥ 0, without the cancellation of 1 − Φ(z). */
function normalUpperTail(z: number): number {
  return jStat.normal.cdf(-z, 0, 1);
}
