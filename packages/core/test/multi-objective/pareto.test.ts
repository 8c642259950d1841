import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import { dominates, hypervolume, paretoFront } from "../../src/multi-objective/pareto.js";
import { Rng } from "../../src/rng.js";

/** Brute force: a point is on the front when no point is ≤ everywhere and < somewhere. */
function bruteFront(points: number[][]): number[] {
  return points.flatMap((p, i) => {
    const beaten = points.some((q, j) => j !== i && q.every((v, k) => v <= p[k]!) && q.some((v, k) => v < p[k]!));
    const duplicateOfEarlier = points.some((q, j) => j < i && q.every((v, k) => v === p[k]));
    return beaten || duplicateOfEarlier ? [] : [i];
  });
}

/** Brute force on a grid: the fraction of cells [0, ref] whose centre some point dominates weakly, times the volume. */
function gridVolume(points: number[][], reference: number[], cells: number): number {
  const m = reference.length;
  let count = 0;
  const index = new Array<number>(m).fill(0);
  const total = cells ** m;
  for (let c = 0; c < total; c++) {
    let rest = c;
    for (let k = 0; k < m; k++) {
      index[k] = rest % cells;
      rest = Math.floor(rest / cells);
    }
    const z = index.map((i, k) => ((i + 0.5) / cells) * reference[k]!);
    if (points.some((p) => p.every((v, k) => v <= z[k]!))) count++;
  }
  return (count / total) * reference.reduce((a, b) => a * b, 1);
}

describe("paretoFront", () => {
  it("matches brute force on random sets in 2 and 3 objectives, ties and duplicates included", () => {
    const rng = new Rng(5);
    for (const m of [2, 3]) {
      for (let trial = 0; trial < 20; trial++) {
        // Values on a coarse grid, so ties and duplicates happen.
        const points = Array.from({ length: 25 }, () => Array.from({ length: m }, () => Math.floor(rng.uniform() * 6)));
        expect(paretoFront(points)).toEqual(bruteFront(points));
      }
    }
  });

  it("keeps a trade-off and drops what is dominated", () => {
    expect(paretoFront([[1, 5], [2, 2], [5, 1], [3, 3], [2, 2]])).toEqual([0, 1, 2]);
    expect(dominates([1, 2], [1, 3])).toBe(true);
    expect(dominates([1, 3], [1, 3])).toBe(false);
    expect(() => paretoFront([[1, 2], [1]])).toThrow(InvalidArgumentError);
  });
});

describe("hypervolume", () => {
  it("is exact on hand-computed sets", () => {
    // Union of [1,4]×[3,4] (3) and [2,4]×[1,4] (6), overlapping in [2,4]×[3,4] (2).
    expect(hypervolume([[1, 3], [2, 1]], [4, 4])).toBe(7);
    expect(hypervolume([[1, 1, 1]], [2, 3, 4])).toBe(6);
    // A point outside the reference box, or a dominated one, adds nothing.
    expect(hypervolume([[1, 3], [2, 1], [5, 0], [3, 3.5]], [4, 4])).toBe(7);
    expect(hypervolume([], [1, 1])).toBe(0);
  });

  it("matches a grid count on random sets in 2 and 3 objectives", () => {
    const rng = new Rng(8);
    for (const m of [2, 3]) {
      for (let trial = 0; trial < 5; trial++) {
        const reference = Array.from({ length: m }, () => 1);
        const points = Array.from({ length: 8 }, () => Array.from({ length: m }, () => Math.round(rng.uniform() * 20) / 20));
        const cells = m === 2 ? 200 : 40;
        expect(hypervolume(points, reference)).toBeCloseTo(gridVolume(points, reference, cells), m === 2 ? 10 : 10);
      }
    }
  });
});
