import { describe, expect, it } from "vitest";
import { comparePaired } from "../bench/paired-comparison.js";
import { wilcoxonSignedRank } from "../bench/stats.js";

/**
 * Reference p-values from scipy 1.17.1, computed once in bench/.venv with
 *   scipy.stats.wilcoxon(d, zero_method="wilcox", correction=False, method="auto")
 * (two-sided), and W+ as the statistic of the same call with alternative="greater".
 * "auto" takes the exact distribution for n ≤ 50 without ties (zeros dropped
 * first) and the normal approximation otherwise, as wilcoxonSignedRank does.
 * exact_n30 and large_n60 are normal draws (numpy default_rng(7)) rounded to
 * 3 and 4 decimals, written out here so the inputs are fixed.
 */
const SCIPY_CASES: readonly { name: string; d: readonly number[]; p: number; wPlus: number; method: "exact" | "normal" }[] = [
  { name: "exact, n = 10", d: [0.52, -1.21, 2.33, 0.14, -0.47, 1.76, 0.93, -2.85, 3.1, 0.07], p: 0.375, wPlus: 37, method: "exact" },
  { name: "exact, n = 12, one negative", d: [1.3, 0.8, 2.2, 0.45, 1.9, -0.3, 1.1, 0.62, 2.7, 0.95, 1.55, 0.2], p: 0.00146484375, wPlus: 76, method: "exact" },
  {
    name: "exact, n = 30",
    d: [
      -0.349, -0.051, -0.624, -1.241, -0.805, -1.342, -0.29, 0.99, -0.842, -0.97, 0.14, 0.007, -0.245, -1.28, -0.379, 0.345, -1.694, -0.808, -2.251, -1.64,
      -2.192, -0.585, -1.617, -0.079, -0.193, -0.537, -2.867, -0.889, -0.399, -0.237,
    ],
    p: 7.994472980499268e-6,
    wPlus: 35,
    method: "exact",
  },
  { name: "exact after dropping zeros", d: [0.0, 0.31, -0.12, 0.0, 0.77, 0.54, -0.05, 0.98, 0.23, 0.66], p: 0.0390625, wPlus: 33, method: "exact" },
  { name: "normal with ties and zeros", d: [1.0, 1.0, -2.0, 0.0, 3.0, 3.0, 3.0, -1.0, 2.0, 0.0, 4.0, 5.0, -0.5, 2.0], p: 0.02228234463982819, wPlus: 68, method: "normal" },
  {
    name: "normal, n = 60",
    d: [
      -1.2801, -0.2278, -0.7285, -0.5588, 1.3109, -0.5575, 0.2175, 1.1344, -0.3336, 0.1383, 0.3605, 0.3138, -0.9751, 0.3261, 1.6088, -1.2971, 1.1094, 0.3694,
      -0.3915, 2.2504, 1.0123, -0.9493, 0.3245, 0.8267, 0.0612, 0.9329, 0.1835, 0.9172, 1.6885, -0.4257, 0.4531, -0.2133, 0.3773, -0.9372, -0.3293, 0.0538,
      1.1488, 1.3952, -1.0735, -0.5446, 0.8969, -1.7424, -0.2132, 0.1527, 1.507, 0.9394, -0.0772, -0.1186, -0.0002, 1.7735, -0.178, -0.0537, 0.6026, 0.1292,
      0.0527, -0.8641, 0.2385, -0.1936, 1.4161, 0.9031,
    ],
    p: 0.08765640310682099,
    wPlus: 1147,
    method: "normal",
  },
];

describe("bench stats: Wilcoxon signed-rank test", () => {
  for (const c of SCIPY_CASES) {
    it(`matches scipy.stats.wilcoxon: ${c.name}`, () => {
      const test = wilcoxonSignedRank(c.d);
      expect(test.method).toBe(c.method);
      expect(test.wPlus).toBe(c.wPlus);
      expect(test.p).toBeCloseTo(c.p, 12);
      expect(Math.abs(test.p - c.p) / c.p).toBeLessThan(1e-9);
    });
  }

  it("is symmetric: swapping the engines (negating every difference) keeps p", () => {
    const d = SCIPY_CASES[0]!.d;
    expect(wilcoxonSignedRank(d.map((x) => -x)).p).toBeCloseTo(wilcoxonSignedRank(d).p, 14);
  });

  it("gives p = 1 when every pair ties, and counts a both-infinite pair as a tie", () => {
    expect(wilcoxonSignedRank([0, 0, 0])).toMatchObject({ n: 0, p: 1 });
    expect(wilcoxonSignedRank([Number.NaN, 1, -2]).n).toBe(2);
  });

  it("ranks an infinite difference (one engine found nothing finite) largest", () => {
    // Same signs and order of magnitudes as the n = 12 case: W+ = 76 either way.
    const d = [...SCIPY_CASES[1]!.d];
    d[8] = Number.POSITIVE_INFINITY;
    expect(wilcoxonSignedRank(d)).toMatchObject({ wPlus: 76, p: SCIPY_CASES[1]!.p });
  });
});

describe("bench: paired comparison of final regrets", () => {
  const bySeed = (values: readonly number[]): Map<number, number> => new Map(values.map((v, seed) => [seed, v]));

  it("pairs by seed, counts wins/ties/losses of the first engine and says which side is better", () => {
    // Δ per seed (ours − peer): −1, −2, 0, +0.5, −3; seed 5 only ours ran, so it is left out.
    const c = comparePaired(bySeed([-3, -4, -1, 0.5, -5, 9]), bySeed([-2, -2, -1, 0, -2]))!;
    expect(c).toMatchObject({ n: 5, wins: 3, ties: 1, losses: 1, medianDifference: -1, better: "bayestune" });
    // The test sees the four nonzero differences: exact, W+ = rank of 0.5 = 1.
    expect(c.p).toBeCloseTo(wilcoxonSignedRank([-1, -2, 0.5, -3]).p, 14);
  });

  it("treats two runs that both found nothing finite as a tie, and one that found nothing as a loss", () => {
    const c = comparePaired(bySeed([Infinity, Infinity, -1]), bySeed([Infinity, -2, -1.5]))!;
    expect(c).toMatchObject({ wins: 0, ties: 1, losses: 2, better: "peer" });
  });
});
