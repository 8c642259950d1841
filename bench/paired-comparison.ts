/**
 * bayestune-gp against one peer on one problem, seed by seed: both ran the same
 * seed from the same initial design and saw the same noise, so the per-seed
 * difference of final log10 regrets is a paired sample.
 */
import { median, wilcoxonSignedRank } from "./stats.js";

export interface PairedComparison {
  /** Seeds both engines ran. */
  readonly n: number;
  /** Median over seeds of (bayestune − peer) final log10 regret: negative when bayestune is better. */
  readonly medianDifference: number;
  /** Seeds where bayestune's regret is lower, equal, higher. */
  readonly wins: number;
  readonly ties: number;
  readonly losses: number;
  /** Two-sided Wilcoxon signed-rank p (see wilcoxonSignedRank). */
  readonly p: number;
  readonly method: "exact" | "normal";
  /** Which side the differences lean to: by their median, or by W+ when the median is 0. */
  readonly better: "bayestune" | "peer" | "neither";
}

/** Δ = ours − peer per seed; both infinite (neither found a finite value) is a tie. */
function difference(ours: number, peer: number): number {
  return ours === peer ? 0 : ours - peer;
}

/** Compares per-seed final log10 regrets, keyed by seed; only the seeds both engines ran count. */
export function comparePaired(ours: ReadonlyMap<number, number>, peer: ReadonlyMap<number, number>): PairedComparison | undefined {
  const diffs = [...ours.keys()].filter((seed) => peer.has(seed)).map((seed) => difference(ours.get(seed)!, peer.get(seed)!));
  if (diffs.length === 0) return undefined;
  const test = wilcoxonSignedRank(diffs);
  // ±∞ − ±∞ of the same sign was made 0 above; a NaN cannot remain.
  const medianDifference = median(diffs);
  const lean = medianDifference !== 0 ? medianDifference : test.wPlus - (test.n * (test.n + 1)) / 4;
  return {
    n: diffs.length,
    medianDifference,
    wins: diffs.filter((d) => d < 0).length,
    ties: diffs.filter((d) => d === 0).length,
    losses: diffs.filter((d) => d > 0).length,
    p: test.p,
    method: test.method,
    better: lean < 0 ? "bayestune" : lean > 0 ? "peer" : "neither",
  };
}
