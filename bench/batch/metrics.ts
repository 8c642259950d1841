/**
 * What the batch bench measures: how many trials k asynchronous slots need to
 * reach the regret one sequential slot reaches at the budget N.
 */
import { logRegret, median, ranks } from "../stats.js";
import type { AsyncRun } from "./simulate.js";

/** log10 regret after `t` completions (t ≥ 1) of each run, in run order. */
export function regretsAt(runs: readonly AsyncRun[], t: number, fStar: number): number[] {
  return runs.map((r) => logRegret(r.bestSoFar[Math.min(t, r.bestSoFar.length) - 1] ?? null, fStar));
}

/**
 * The smallest trial count at which the median (over seeds) log regret of
 * `runs` is at most `target`; Infinity when it never is within the runs.
 * Medians of per-seed best-so-far curves never rise, so the first hit is the count.
 */
export function trialsToReach(runs: readonly AsyncRun[], target: number, fStar: number): number {
  const length = Math.min(...runs.map((r) => r.bestSoFar.length));
  for (let t = 1; t <= length; t++) if (median(regretsAt(runs, t, fStar)) <= target) return t;
  return Number.POSITIVE_INFINITY;
}

/**
 * Two-sided p-value of the Wilcoxon signed-rank test on paired samples, by the
 * normal approximation with the tie correction of the variance (zero
 * differences dropped, as in Wilcoxon's original test). NaN with no non-zero pair.
 */
export function wilcoxonSignedRankP(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`paired samples need equal lengths, got ${a.length} and ${b.length}`);
  const differences = a.map((v, i) => v - b[i]!).filter((d) => d !== 0 && Number.isFinite(d));
  const n = differences.length;
  if (n === 0) return Number.NaN;
  const r = ranks(differences.map(Math.abs));
  const wPlus = differences.reduce((s, d, i) => (d > 0 ? s + r[i]! : s), 0);
  const mean = (n * (n + 1)) / 4;
  const tieCounts = new Map<number, number>();
  for (const rank of r) tieCounts.set(rank, (tieCounts.get(rank) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of tieCounts.values()) tieTerm += t ** 3 - t;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  if (variance <= 0) return 1;
  // Continuity correction: W⁺ moves in steps of 1.
  const z = Math.max(0, Math.abs(wPlus - mean) - 0.5) / Math.sqrt(variance);
  return Math.min(1, 2 * upperNormalTail(z));
}

/** P(Z > z) for a standard normal, by a Chebyshev fit of erfc (absolute error near 1e-6: ample for a p-value). */
function upperNormalTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const erfc =
    t *
    Math.exp(
      -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851343 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return 0.5 * (x >= 0 ? erfc : 2 - erfc);
}
