import { describe, expect, it } from "vitest";
import { LbfgsMemory } from "../../src/optim/lbfgs-memory.js";

const zeros = (n: number): Float64Array => new Float64Array(n);
const all = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

describe("LbfgsMemory", () => {
  it("returns 0 and −g on the free coordinates when it holds no pair, leaving the others untouched", () => {
    const memory = new LbfgsMemory(3, 4);
    const out = new Float64Array([7, 7, 7]);
    const gamma = memory.descentDirection(new Float64Array([1, -2, 3]), new Int32Array([0, 2]), 2, out);
    expect(gamma).toBe(0);
    expect(Array.from(out)).toEqual([-1, 7, -3]);
  });

  it("satisfies the secant equation H·y = s for the newest pair", () => {
    // BFGS updates make the newest pair exact whatever came before: H_{k+1} y_k = s_k.
    const memory = new LbfgsMemory(3, 5);
    expect(memory.push(new Float64Array([1, 0.5, -0.2]), zeros(3), new Float64Array([2, 0.7, 0.1]), zeros(3))).toBe(true);
    const s = new Float64Array([0.3, -1, 0.4]);
    const y = new Float64Array([0.5, -2.5, 1.3]);
    expect(memory.push(s, zeros(3), y, zeros(3))).toBe(true);
    const out = zeros(3);
    const gamma = memory.descentDirection(y, all(3), 3, out);
    // γ = s·y / y·y of the newest pair = (0.15 + 2.5 + 0.52) / (0.25 + 6.25 + 1.69).
    expect(gamma).toBeCloseTo(3.17 / 8.19, 14);
    for (let i = 0; i < 3; i++) expect(out[i]).toBeCloseTo(-(s[i] as number), 12);
  });

  it("matches the explicit one-pair BFGS matrix (I − ρsyᵀ)γ(I − ρysᵀ) + ρssᵀ", () => {
    const s = [0.4, -0.3];
    const y = [1.2, 0.1];
    const g = [0.7, -1.9];
    const sy = s[0]! * y[0]! + s[1]! * y[1]!;
    const rho = 1 / sy;
    const gamma = sy / (y[0]! * y[0]! + y[1]! * y[1]!);
    const V = [1 - rho * y[0]! * s[0]!, -rho * y[0]! * s[1]!, -rho * y[1]! * s[0]!, 1 - rho * y[1]! * s[1]!];
    // H = Vᵀ γ V + ρ s sᵀ with V = I − ρ y sᵀ.
    const H = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        let h = rho * s[i]! * s[j]!;
        for (let k = 0; k < 2; k++) h += V[k * 2 + i]! * gamma * V[k * 2 + j]!;
        H[i * 2 + j] = h;
      }
    }
    const memory = new LbfgsMemory(2, 3);
    memory.push(Float64Array.from(s), zeros(2), Float64Array.from(y), zeros(2));
    const out = zeros(2);
    memory.descentDirection(Float64Array.from(g), all(2), 2, out);
    expect(out[0]).toBeCloseTo(-(H[0]! * g[0]! + H[1]! * g[1]!), 14);
    expect(out[1]).toBeCloseTo(-(H[2]! * g[0]! + H[3]! * g[1]!), 14);
  });

  it("restricts pairs to the free coordinates", () => {
    const memory = new LbfgsMemory(3, 5);
    const s = new Float64Array([0.3, 9, 0.4]);
    const y = new Float64Array([0.5, 4, 1.3]);
    expect(memory.push(s, zeros(3), y, zeros(3))).toBe(true);
    const out = new Float64Array([0, 42, 0]);
    memory.descentDirection(y, new Int32Array([0, 2]), 2, out);
    // On coordinates {0, 2} the pair is (s_F, y_F), so the secant equation holds there.
    expect(out[0]).toBeCloseTo(-0.3, 12);
    expect(out[2]).toBeCloseTo(-0.4, 12);
    expect(out[1]).toBe(42);
  });

  it("rejects pairs without positive curvature and drops the oldest beyond capacity", () => {
    const memory = new LbfgsMemory(2, 2);
    expect(memory.push(new Float64Array([1, 0]), zeros(2), new Float64Array([-1, 5]), zeros(2))).toBe(false);
    expect(memory.size).toBe(0);
    for (let k = 1; k <= 3; k++) {
      expect(memory.push(new Float64Array([k, 1]), zeros(2), new Float64Array([1, k]), zeros(2))).toBe(true);
    }
    expect(memory.size).toBe(2);
    memory.reset();
    expect(memory.size).toBe(0);
  });
});
