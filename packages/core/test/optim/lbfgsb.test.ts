import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import { minimizeBounded, type ObjectiveWithGradient } from "../../src/optim/lbfgsb.js";
import { Rng } from "../../src/rng.js";

const filled = (n: number, v: number): Float64Array => new Float64Array(n).fill(v);

/** Wraps f to record every point it is asked about and the value it gave. */
function recording(f: ObjectiveWithGradient): {
  f: ObjectiveWithGradient;
  points: Float64Array[];
  values: number[];
} {
  const points: Float64Array[] = [];
  const values: number[] = [];
  return {
    points,
    values,
    f: (x, grad) => {
      points.push(Float64Array.from(x));
      const v = f(x, grad);
      values.push(v);
      return v;
    },
  };
}

/** Moré–Garbow–Hillstrom problem 21 (extended Rosenbrock), n even; unique minimum at (1, …, 1). */
const extendedRosenbrock: ObjectiveWithGradient = (x, grad) => {
  let value = 0;
  for (let i = 0; i < x.length; i += 2) {
    const a = x[i] as number;
    const b = x[i + 1] as number;
    const t = b - a * a;
    const u = 1 - a;
    value += 100 * t * t + u * u;
    grad[i] = -400 * a * t - 2 * u;
    grad[i + 1] = 200 * t;
  }
  return value;
};

/** The standard start (−1.2, 1, −1.2, 1, …). */
function rosenbrockStart(n: number): Float64Array {
  const x0 = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    x0[i] = -1.2;
    x0[i + 1] = 1;
  }
  return x0;
}

function maxAbsDiff(a: Float64Array, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

function expectInBox(x: Float64Array, lower: Float64Array, upper: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    expect(x[i]).toBeGreaterThanOrEqual(lower[i] as number);
    expect(x[i]).toBeLessThanOrEqual(upper[i] as number);
  }
}

/** The best finite value among the recorded calls. */
function bestRecorded(values: number[]): number {
  return Math.min(...values.filter((v) => Number.isFinite(v)));
}

describe("minimizeBounded on unbounded problems", () => {
  for (const n of [2, 10]) {
    it(`reaches the Rosenbrock minimum in ${n}-D from the standard start within the default budget`, () => {
      const rec = recording(extendedRosenbrock);
      const result = minimizeBounded(rec.f, rosenbrockStart(n), filled(n, -Infinity), filled(n, Infinity));
      expect(result.converged).toBe(true);
      expect(maxAbsDiff(result.x, filled(n, 1))).toBeLessThan(1e-4);
      expect(result.evaluations).toBe(rec.points.length);
      expect(result.evaluations).toBeLessThanOrEqual(300);
      expect(result.iterations).toBeLessThanOrEqual(100);
      expect(result.value).toBe(bestRecorded(rec.values));
    });
  }

  it("converges on a rotated quadratic with condition number 1e6", () => {
    // H = Q diag(1, 1e2, 1e4, 1e6) Q with the Householder reflection Q = I − ½·11ᵀ (entries ±½),
    // minimum at c; f = ½ (x − c)ᵀ H (x − c).
    const eig = [1, 1e2, 1e4, 1e6];
    const n = 4;
    const H = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let h = 0;
        for (let k = 0; k < n; k++) {
          const qik = (i === k ? 1 : 0) - 0.5;
          const qjk = (j === k ? 1 : 0) - 0.5;
          h += qik * (eig[k] as number) * qjk;
        }
        H[i * n + j] = h;
      }
    }
    const c = [0.3, -0.7, 1.1, 2];
    const e = new Float64Array(n);
    const f: ObjectiveWithGradient = (x, grad) => {
      for (let i = 0; i < n; i++) e[i] = (x[i] as number) - (c[i] as number);
      let value = 0;
      for (let i = 0; i < n; i++) {
        let hi = 0;
        for (let j = 0; j < n; j++) hi += (H[i * n + j] as number) * (e[j] as number);
        grad[i] = hi;
        value += 0.5 * (e[i] as number) * hi;
      }
      return value;
    };
    const result = minimizeBounded(f, new Float64Array(n), filled(n, -Infinity), filled(n, Infinity));
    expect(result.converged).toBe(true);
    // The weakest direction has eigenvalue 1, so a gradient of 1e-5 leaves an error of at most ~1e-5.
    expect(maxAbsDiff(result.x, c)).toBeLessThan(1e-4);
    expect(result.iterations).toBeLessThan(100);
  });

  it("needs few evaluations on a smooth 5-D problem (shifted quadratic plus quartic)", () => {
    // Gradient: w_i·(x_i − c_i) + (x_i − c_i)³, zero only at x = c since each term is increasing.
    const c = [0.5, -1, 2, 0.25, -0.75];
    const w = [1, 3, 0.5, 10, 2];
    const f: ObjectiveWithGradient = (x, grad) => {
      let value = 0;
      for (let i = 0; i < 5; i++) {
        const e = (x[i] as number) - (c[i] as number);
        value += 0.5 * (w[i] as number) * e * e + 0.25 * e ** 4;
        grad[i] = (w[i] as number) * e + e ** 3;
      }
      return value;
    };
    const result = minimizeBounded(f, new Float64Array(5), filled(5, -Infinity), filled(5, Infinity));
    expect(result.converged).toBe(true);
    expect(maxAbsDiff(result.x, c)).toBeLessThan(1e-5);
    // Measured: 15 evaluations (14 iterations); the bound leaves room while catching a line search gone wasteful.
    expect(result.evaluations).toBeLessThan(40);
  });
});

describe("minimizeBounded with bounds", () => {
  it("lands exactly on the bound when the minimum lies outside the box", () => {
    // min (x−2)² + (y+3)² over [0,1]² is the corner (1, 0): the gradient (−2, 6) pushes out of the box there.
    const f: ObjectiveWithGradient = (x, grad) => {
      const a = (x[0] as number) - 2;
      const b = (x[1] as number) + 3;
      grad[0] = 2 * a;
      grad[1] = 2 * b;
      return a * a + b * b;
    };
    const result = minimizeBounded(f, new Float64Array([0.5, 0.5]), filled(2, 0), filled(2, 1));
    expect(Array.from(result.x)).toEqual([1, 0]);
    expect(result.value).toBe(10);
    expect(result.reason).toBe("gradient");
    expect(result.converged).toBe(true);
  });

  it("solves a coupled problem with some variables on bounds and others interior", () => {
    // f = (a−2)² + (b−0.3)² + (c+1)² + 0.5ab + (d−0.7)² + 0.2ad, a, b ∈ [0,1], c ∈ [0,∞), d free.
    // At a = 1 (∂f/∂a = −2 + 0.5b < 0, pushes past the upper bound) and c = 0 (∂f/∂c = 2 > 0):
    // ∂f/∂b = 2(b − 0.3) + 0.5 = 0 → b = 0.05; ∂f/∂d = 2(d − 0.7) + 0.2 = 0 → d = 0.6;
    // f = 1 + 0.0625 + 1 + 0.025 + 0.01 + 0.12 = 2.2175. The problem is convex (Hessian diagonally dominant),
    // so this KKT point is the minimum.
    const f: ObjectiveWithGradient = (x, grad) => {
      const [a, b, c, d] = x as unknown as [number, number, number, number];
      grad[0] = 2 * (a - 2) + 0.5 * b + 0.2 * d;
      grad[1] = 2 * (b - 0.3) + 0.5 * a;
      grad[2] = 2 * (c + 1);
      grad[3] = 2 * (d - 0.7) + 0.2 * a;
      return (a - 2) ** 2 + (b - 0.3) ** 2 + (c + 1) ** 2 + 0.5 * a * b + (d - 0.7) ** 2 + 0.2 * a * d;
    };
    const lower = new Float64Array([0, 0, 0, -Infinity]);
    const upper = new Float64Array([1, 1, Infinity, Infinity]);
    const rec = recording(f);
    const result = minimizeBounded(rec.f, new Float64Array([0.2, 0.9, 3, -5]), lower, upper);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBe(1);
    expect(result.x[2]).toBe(0);
    expect(result.x[1]).toBeCloseTo(0.05, 6);
    expect(result.x[3]).toBeCloseTo(0.6, 6);
    expect(result.value).toBeCloseTo(2.2175, 10);
    for (const p of rec.points) expectInBox(p, lower, upper);
  });

  it("reaches the projected minimiser of a 50-D separable problem on the unit box", () => {
    // f = Σ s_i (x_i − c_i)² with c_i ∈ [−0.5, 1.5]: the minimiser is clip(c, 0, 1), most coordinates on a bound.
    const rng = new Rng(7);
    const d = 50;
    const c = Array.from({ length: d }, () => -0.5 + 2 * rng.uniform());
    const s = Array.from({ length: d }, () => 0.1 + 10 * rng.uniform());
    const f: ObjectiveWithGradient = (x, grad) => {
      let value = 0;
      for (let i = 0; i < d; i++) {
        const e = (x[i] as number) - (c[i] as number);
        value += (s[i] as number) * e * e;
        grad[i] = 2 * (s[i] as number) * e;
      }
      return value;
    };
    const x0 = Float64Array.from({ length: d }, () => rng.uniform());
    const result = minimizeBounded(f, x0, filled(d, 0), filled(d, 1));
    const expected = c.map((ci) => Math.min(Math.max(ci, 0), 1));
    expect(result.converged).toBe(true);
    // The optimum value is ≈ 7.6, so the default relative reduction (1e-9) may stop with errors of a few 1e-5.
    expect(maxAbsDiff(result.x, expected)).toBeLessThan(1e-4);
    for (let i = 0; i < d; i++) {
      if (expected[i] === 0 || expected[i] === 1) expect(result.x[i]).toBe(expected[i]);
    }
  });

  it("keeps fixed variables (lower == upper) fixed at every evaluated point", () => {
    // f = (a − b)² + (b − 3)² + (c − 1)² with b fixed at 0.5: a = 0.5, c = 1.
    const f: ObjectiveWithGradient = (x, grad) => {
      const [a, b, c] = x as unknown as [number, number, number];
      grad[0] = 2 * (a - b);
      grad[1] = -2 * (a - b) + 2 * (b - 3);
      grad[2] = 2 * (c - 1);
      return (a - b) ** 2 + (b - 3) ** 2 + (c - 1) ** 2;
    };
    const rec = recording(f);
    const result = minimizeBounded(
      rec.f,
      new Float64Array([4, 2, -2]),
      new Float64Array([-10, 0.5, -10]),
      new Float64Array([10, 0.5, 10]),
    );
    expect(result.converged).toBe(true);
    for (const p of rec.points) expect(p[1]).toBe(0.5);
    expect(result.x[1]).toBe(0.5);
    expect(result.x[0]).toBeCloseTo(0.5, 6);
    expect(result.x[2]).toBeCloseTo(1, 6);
  });

  it("projects a start outside the box before the first evaluation", () => {
    const f: ObjectiveWithGradient = (x, grad) => {
      const a = (x[0] as number) - 0.25;
      const b = (x[1] as number) - 0.75;
      grad[0] = 2 * a;
      grad[1] = 2 * b;
      return a * a + b * b;
    };
    const rec = recording(f);
    const lower = filled(2, 0);
    const upper = filled(2, 1);
    const result = minimizeBounded(rec.f, new Float64Array([5, -3]), lower, upper);
    expect(Array.from(rec.points[0] as Float64Array)).toEqual([1, 0]);
    for (const p of rec.points) expectInBox(p, lower, upper);
    expect(result.x[0]).toBeCloseTo(0.25, 6);
    expect(result.x[1]).toBeCloseTo(0.75, 6);
  });

  it("backs off from a region where the objective is NaN and converges inside", () => {
    // NaN for x > 0.8; the minimum (0.7, 0.5) is inside the evaluable region, near its edge.
    const f: ObjectiveWithGradient = (x, grad) => {
      const a = x[0] as number;
      const b = x[1] as number;
      if (a > 0.8) return Number.NaN;
      grad[0] = 2 * (a - 0.7);
      grad[1] = 2 * (b - 0.5);
      return (a - 0.7) ** 2 + (b - 0.5) ** 2;
    };
    const rec = recording(f);
    const result = minimizeBounded(rec.f, new Float64Array([0.1, 0.1]), filled(2, 0), filled(2, 1));
    expect(rec.values.some(Number.isNaN)).toBe(true);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(0.7, 6);
    expect(result.x[1]).toBeCloseTo(0.5, 6);
    expect(Number.isFinite(result.value)).toBe(true);
    expect(result.value).toBe(bestRecorded(rec.values));
  });

  it("returns value Infinity without throwing when f(x0) cannot be evaluated", () => {
    const rec = recording(() => Number.NaN);
    const result = minimizeBounded(rec.f, new Float64Array([0.5]), filled(1, 0), filled(1, 1));
    expect(rec.points.length).toBe(1);
    expect(result.value).toBe(Infinity);
    expect(result.reason).toBe("line-search-failed");
    expect(result.converged).toBe(false);
    expect(result.evaluations).toBe(1);
  });
});

describe("minimizeBounded budgets", () => {
  it("never calls f more than maxEvaluations times", () => {
    for (const maxEvaluations of [1, 2, 7, 20]) {
      const rec = recording(extendedRosenbrock);
      const result = minimizeBounded(rec.f, rosenbrockStart(2), filled(2, -Infinity), filled(2, Infinity), {
        maxEvaluations,
      });
      expect(rec.points.length).toBeLessThanOrEqual(maxEvaluations);
      expect(result.evaluations).toBe(rec.points.length);
      expect(result.reason).toBe("max-evaluations");
      expect(result.converged).toBe(false);
      expect(result.value).toBe(bestRecorded(rec.values));
    }
  });

  it("defaults maxEvaluations to three times maxIterations", () => {
    const rec = recording(extendedRosenbrock);
    const result = minimizeBounded(rec.f, rosenbrockStart(2), filled(2, -Infinity), filled(2, Infinity), {
      maxIterations: 4,
    });
    expect(rec.points.length).toBeLessThanOrEqual(12);
    expect(result.converged).toBe(false);
    expect(result.reason === "max-iterations" || result.reason === "max-evaluations").toBe(true);
    expect(result.iterations).toBeLessThanOrEqual(4);
  });

  it("stops after maxIterations accepted steps", () => {
    const result = minimizeBounded(extendedRosenbrock, rosenbrockStart(2), filled(2, -Infinity), filled(2, Infinity), {
      maxIterations: 3,
      maxEvaluations: 1000,
    });
    expect(result.iterations).toBe(3);
    expect(result.reason).toBe("max-iterations");
  });

  it("returns the gradient of the returned point", () => {
    const result = minimizeBounded(extendedRosenbrock, rosenbrockStart(2), filled(2, -Infinity), filled(2, Infinity), {
      maxIterations: 5,
    });
    const grad = new Float64Array(2);
    expect(extendedRosenbrock(result.x, grad)).toBe(result.value);
    expect(Array.from(result.gradient)).toEqual(Array.from(grad));
  });
});

describe("minimizeBounded argument checks", () => {
  const zero: ObjectiveWithGradient = (_x, grad) => {
    grad.fill(0);
    return 0;
  };

  it("rejects lower > upper with the index and both values", () => {
    const call = (): unknown =>
      minimizeBounded(zero, filled(5, 0), new Float64Array([0, 0, 0, 1, 0]), new Float64Array([1, 1, 1, 0, 1]));
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow("lower <= upper must hold at index 3, got lower=1, upper=0");
  });

  it("rejects mismatched lengths and out-of-range options", () => {
    expect(() => minimizeBounded(zero, filled(2, 0), filled(3, 0), filled(2, 1))).toThrow(InvalidArgumentError);
    expect(() => minimizeBounded(zero, filled(2, 0), filled(2, 0), filled(2, 1), { memory: 0 })).toThrow(
      "memory must be an integer >= 1, got 0",
    );
    expect(() => minimizeBounded(zero, filled(2, 0), filled(2, 0), filled(2, 1), { gradientTolerance: -1 })).toThrow(
      "gradientTolerance >= 0 must hold, got -1",
    );
  });
});
