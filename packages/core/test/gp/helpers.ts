import type { EncodedDim } from "../../src/space/encoded-dim.js";

export function continuousDim(name: string): EncodedDim {
  return { name, kind: "continuous", levels: Infinity, centers: new Float64Array(0) };
}

export function categoricalDim(name: string, levels: number): EncodedDim {
  return { name, kind: "categorical", levels, centers: Float64Array.from({ length: levels }, (_, i) => (i + 0.5) / levels) };
}

/** The unit-cube coordinate of category i of `levels`. */
export function categoryCode(i: number, levels: number): number {
  return (i + 0.5) / levels;
}

/** Central finite difference of f at x along coordinate j. */
export function centralDifference(f: (x: Float64Array) => number, x: Float64Array, j: number, h: number): number {
  const plus = x.slice();
  const minus = x.slice();
  plus[j]! += h;
  minus[j]! -= h;
  return (f(plus) - f(minus)) / (2 * h);
}
