import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import { Rng } from "../../src/rng.js";
import { MAX_SOBOL_DIMENSION, SobolSequence } from "../../src/sobol/sobol-sequence.js";

/** Hickernell's centred L2 discrepancy, squared, of X: n × d (as SciPy's `qmc.discrepancy(X, method="CD")`). */
function centredL2DiscrepancySquared(X: readonly Float64Array[]): number {
  const n = X.length;
  const d = (X[0] as Float64Array).length;
  let single = 0;
  for (const x of X) {
    let p = 1;
    for (let k = 0; k < d; k++) {
      const z = Math.abs((x[k] as number) - 0.5);
      p *= 1 + 0.5 * z - 0.5 * z * z;
    }
    single += p;
  }
  let pair = 0;
  for (const x of X) {
    for (const y of X) {
      let p = 1;
      for (let k = 0; k < d; k++) {
        const xk = x[k] as number;
        const yk = y[k] as number;
        p *= 1 + 0.5 * Math.abs(xk - 0.5) + 0.5 * Math.abs(yk - 0.5) - 0.5 * Math.abs(xk - yk);
      }
      pair += p;
    }
  }
  return (13 / 12) ** d - (2 / n) * single + pair / (n * n);
}

/** Count of points per cell when coordinate `dim` of X (n × d) is binned into `bins` equal intervals. */
function binCounts(X: readonly Float64Array[], dim: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const x of X) {
    const k = Math.floor((x[dim] as number) * bins);
    counts[k] = (counts[k] as number) + 1;
  }
  return counts;
}

function rows(X: readonly Float64Array[]): number[][] {
  return X.map((x) => Array.from(x));
}

describe("SobolSequence unscrambled", () => {
  it("matches SciPy's first 8 points in 5-D", () => {
    // SciPy 1.17.1: qmc.Sobol(5, scramble=False, bits=32).random(8)
    const expected = [
      [0, 0, 0, 0, 0],
      [0.5, 0.5, 0.5, 0.5, 0.5],
      [0.75, 0.25, 0.25, 0.25, 0.75],
      [0.25, 0.75, 0.75, 0.75, 0.25],
      [0.375, 0.375, 0.625, 0.875, 0.375],
      [0.875, 0.875, 0.125, 0.375, 0.875],
      [0.625, 0.125, 0.875, 0.625, 0.625],
      [0.125, 0.625, 0.375, 0.125, 0.125],
    ];
    expect(rows(new SobolSequence(5, { scramble: false }).draw(8))).toEqual(expected);
  });

  it("matches SciPy deep in the sequence and in high dimensions", () => {
    // SciPy 1.17.1: X = qmc.Sobol(1024, scramble=False, bits=32).random(8192);
    // X[i, dims] for each index i below. Exact dyadic values, so compared exactly.
    const dims = [0, 1, 2, 3, 99, 511, 1000, 1023];
    const expected = new Map<number, number[]>([
      [3, [0.25, 0.75, 0.75, 0.75, 0.25, 0.25, 0.75, 0.25]],
      [100, [0.4140625, 0.2578125, 0.7734375, 0.7265625, 0.8828125, 0.5234375, 0.5703125, 0.9453125]],
      [1000, [0.2197265625, 0.0966796875, 0.5185546875, 0.6767578125, 0.1865234375, 0.3955078125, 0.5654296875, 0.7138671875]],
      [4095, [0.000244140625, 0.941162109375, 0.334228515625, 0.901611328125, 0.962646484375, 0.914794921875, 0.871337890625, 0.354736328125]],
      [5000, [0.1966552734375, 0.2606201171875, 0.2156982421875, 0.4124755859375, 0.0655517578125, 0.9295654296875, 0.5736083984375, 0.0543212890625]],
      [8191, [0.0001220703125, 0.5333251953125, 0.5015869140625, 0.4688720703125, 0.7947998046875, 0.5177001953125, 0.6837158203125, 0.9530029296875]],
    ]);
    const X = new SobolSequence(1024, { scramble: false }).draw(8192);
    for (const [i, values] of expected) {
      const x = X[i] as Float64Array;
      expect(dims.map((dim) => x[dim])).toEqual(values);
    }
  });

  it("matches SciPy past 2^19 points, where the recurrence's later direction numbers matter", () => {
    // SciPy 1.17.1: s = qmc.Sobol(8, scramble=False, bits=32); s.fast_forward(i); s.random(1)
    const expected = new Map<number, number[]>([
      [777777, [0.5802679061889648, 0.9092493057250977, 0.4502592086791992, 0.43726062774658203, 0.5891523361206055, 0.6735239028930664, 0.44082164764404297, 0.13820552825927734]],
      [1048575, [9.5367431640625e-7, 0.9375143051147461, 0.7717370986938477, 0.4603452682495117, 0.8660097122192383, 0.7929716110229492, 0.3297090530395508, 0.8884820938110352]],
    ]);
    const sequence = new SobolSequence(8, { scramble: false });
    let index = 0;
    for (const [target, values] of expected) {
      for (; index < target; index++) sequence.next();
      expect(Array.from(sequence.next())).toEqual(values);
      index++;
    }
  });

  it("continues where draw stopped: next and draw walk the same sequence", () => {
    const whole = new SobolSequence(3, { scramble: false }).draw(16);
    const pieces = new SobolSequence(3, { scramble: false });
    const parts = [...pieces.draw(5), pieces.next(), ...pieces.draw(0), ...pieces.draw(10)];
    expect(rows(parts)).toEqual(rows(whole));
  });
});

describe("SobolSequence scrambled", () => {
  it("keeps one point per interval [k/2^m, (k+1)/2^m) in each 1-D projection, high dimensions included", () => {
    const m = 10;
    const X = new SobolSequence(MAX_SOBOL_DIMENSION, { seed: 7 }).draw(2 ** m);
    for (const dim of [0, 1, 2, 17, 500, 1000, 1023]) {
      expect(binCounts(X, dim, 2 ** m).every((c) => c === 1), `dimension ${dim}`).toBe(true);
    }
  });

  it("keeps one point per 2^a × 2^(m−a) box in the projection on dimensions 0 and 1 (m = 8)", () => {
    const m = 8;
    for (const seed of [0, 1, 12345]) {
      const X = new SobolSequence(6, { seed }).draw(2 ** m);
      for (let a = 0; a <= m; a++) {
        const nx = 2 ** a;
        const ny = 2 ** (m - a);
        const counts = new Array<number>(nx * ny).fill(0);
        for (const x of X) {
          const cell = Math.floor((x[0] as number) * nx) * ny + Math.floor((x[1] as number) * ny);
          counts[cell] = (counts[cell] as number) + 1;
        }
        expect(counts.every((c) => c === 1), `seed ${seed}, a = ${a}`).toBe(true);
      }
    }
  });

  it("is scrambled by default and differs from the unscrambled sequence", () => {
    const scrambled = new SobolSequence(4).draw(8);
    const plain = new SobolSequence(4, { scramble: false }).draw(8);
    expect(rows(scrambled)).toEqual(rows(new SobolSequence(4, { scramble: true, seed: 0 }).draw(8)));
    expect(Array.from(scrambled[0] as Float64Array)).not.toEqual([0, 0, 0, 0]);
    expect(rows(scrambled)).not.toEqual(rows(plain));
  });

  it("applies a matrix scramble on top of the shift", () => {
    // Points 0 and 1 differ by the scrambled first direction number L·v_0 of each coordinate.
    // Unscrambled, v_0 = 2^31 in every coordinate; a unit-diagonal lower-triangular L keeps the
    // leading digit and (for almost every seed) sets random lower digits, which a shift alone
    // would never do since it cancels in the XOR.
    const [x0, x1] = new SobolSequence(8, { seed: 3 }).draw(2) as [Float64Array, Float64Array];
    const toInt = (v: number): number => Math.floor(v * 2 ** 32);
    const differences = Array.from(x0, (v, i) => (toInt(v) ^ toInt(x1[i] as number)) >>> 0);
    expect(differences.every((diff) => diff >= 2 ** 31)).toBe(true);
    expect(differences.filter((diff) => diff !== 2 ** 31).length).toBeGreaterThanOrEqual(7);
  });

  it("gives identical points for the same seed and different points for different seeds", () => {
    const a = new SobolSequence(10, { seed: 42 }).draw(64);
    const b = new SobolSequence(10, { seed: 42 }).draw(64);
    const c = new SobolSequence(10, { seed: 43 }).draw(64);
    expect(rows(a)).toEqual(rows(b));
    for (let dim = 0; dim < 10; dim++) {
      const differs = a.some((x, i) => x[dim] !== (c[i] as Float64Array)[dim]);
      expect(differs, `dimension ${dim}`).toBe(true);
    }
  });

  it("yields finite points strictly inside (0, 1)", () => {
    const outside: number[] = [];
    for (const seed of [0, 1, 2, 3]) {
      for (const x of new SobolSequence(50, { seed }).draw(1024)) {
        for (const v of x) if (!(Number.isFinite(v) && v > 0 && v < 1)) outside.push(v);
      }
    }
    expect(outside).toEqual([]);
  });

  it("has a much lower centred L2 discrepancy than uniform random points (256 points, 4-D)", () => {
    // Cross-check of the helper. SciPy 1.17.1:
    // qmc.discrepancy(qmc.Sobol(5, scramble=False, bits=32).random(8), method="CD") = 0.12760788272410384
    expect(centredL2DiscrepancySquared(new SobolSequence(5, { scramble: false }).draw(8))).toBeCloseTo(0.12760788272410384, 14);
    // Over seeds 0..9 Sobol gave 1.11e-4..1.16e-4 and Rng gave 2.1e-3..5.0e-3 (19× to 43× more).
    for (const seed of [0, 1, 2]) {
      const sobol = centredL2DiscrepancySquared(new SobolSequence(4, { seed }).draw(256));
      const rng = new Rng(seed);
      const uniform = Array.from({ length: 256 }, () => Float64Array.from({ length: 4 }, () => rng.uniform()));
      expect(sobol * 5).toBeLessThan(centredL2DiscrepancySquared(uniform));
    }
  });
});

describe("SobolSequence arguments", () => {
  it("rejects dimensions outside [1, MAX_SOBOL_DIMENSION] and non-integers", () => {
    expect(MAX_SOBOL_DIMENSION).toBe(1024);
    for (const dimension of [0, -1, 1025, 2.5, Number.NaN]) {
      expect(() => new SobolSequence(dimension)).toThrow(InvalidArgumentError);
    }
    expect(() => new SobolSequence(0)).toThrow(/dimension must be an integer in \[1, 1024\], got 0/);
    expect(new SobolSequence(1024, { scramble: false }).next()).toHaveLength(1024);
  });

  it("rejects a non-integer seed and a bad draw count", () => {
    expect(() => new SobolSequence(2, { seed: 0.5 })).toThrow(InvalidArgumentError);
    const sequence = new SobolSequence(2);
    for (const n of [-1, 1.5, Number.NaN]) {
      expect(() => sequence.draw(n)).toThrow(InvalidArgumentError);
    }
  });
});
