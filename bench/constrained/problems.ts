/**
 * Constrained test problems: black-box inequality constraints c_i(x) ≤ 0 known
 * only by evaluating, and a region where runs crash (no value at all, like an
 * out-of-memory), for bench/constrained/run.ts.
 */
import type { ParamSpecInput } from "@bayestune/protocol";
import { hartmann6 } from "../problems.js";

export type Outcome = { readonly value: number; readonly constraints: readonly number[] } | { readonly crashed: true };

export interface ConstrainedProblem {
  readonly name: string;
  readonly description: string;
  readonly space: Readonly<Record<string, ParamSpecInput>>;
  readonly budget: number;
  /** How many c_i the problem reports (0 for a crash-only problem). */
  readonly constraintCount: number;
  evaluate(params: Readonly<Record<string, number>>): Outcome;
  /** The best feasible, non-crashing value, known analytically or from the literature. */
  readonly optimum: number;
}

const unit = (names: readonly string[], low = 0, high = 1): Record<string, ParamSpecInput> =>
  Object.fromEntries(names.map((n) => [n, { type: "float", low, high }]));

/** Gardner et al. (2014), problem 1: f = cos(2x)cos(y) + sin(x) on [0, 6]², c = cos(x)cos(y) − sin(x)sin(y) − 0.5 ≤ 0. */
function gardner(p: Readonly<Record<string, number>>): Outcome {
  const [x, y] = [p["x0"]!, p["x1"]!];
  return { value: Math.cos(2 * x) * Math.cos(y) + Math.sin(x), constraints: [Math.cos(x) * Math.cos(y) - Math.sin(x) * Math.sin(y) - 0.5] };
}

/** Branin on [−5, 10] × [0, 15] within a disk: (x1 − 2.5)² + (x2 − 7.5)² ≤ 50, which cuts off two of its three minima. */
function braninDisk(p: Readonly<Record<string, number>>): Outcome {
  const [x1, x2] = [p["x0"]!, p["x1"]!];
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  const value = (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  return { value, constraints: [(x1 - 2.5) ** 2 + (x2 - 7.5) ** 2 - 50] };
}

/**
 * Hartmann6 whose runs crash (no value, as an out-of-memory) where x2 + x5 > 1.2:
 * about a third of the cube, its edge just past the optimum (x2 + x5 = 1.13 there),
 * as the memory limit often sits just past the best batch size.
 */
function hartmann6Crash(p: Readonly<Record<string, number>>): Outcome {
  if (p["x2"]! + p["x5"]! > 1.2) return { crashed: true };
  return { value: hartmann6(p), constraints: [] };
}

export const CONSTRAINED_PROBLEMS: readonly ConstrainedProblem[] = [
  {
    name: "gardner",
    description: "Gardner et al. (2014) problem 1, d = 2, one constraint",
    space: unit(["x0", "x1"], 0, 6),
    budget: 40,
    constraintCount: 1,
    evaluate: gardner,
    // At x = 3π/2, y = 0: sin x = −1, cos 2x = −1, and the constraint is cos(x + y) − 0.5 = −0.5.
    optimum: -2,
  },
  {
    name: "branin-disk",
    description: "Branin within a disk that cuts off two of its three minima, d = 2",
    space: { x0: { type: "float", low: -5, high: 10 }, x1: { type: "float", low: 0, high: 15 } },
    budget: 40,
    constraintCount: 1,
    evaluate: braninDisk,
    // Branin's minimum at (π, 2.275) lies inside the disk; the other two, (−π, 12.275) and (9.425, 2.475), outside.
    optimum: 0.397887,
  },
  {
    name: "hartmann6-crash",
    description: "Hartmann6 whose runs crash where x2 + x5 > 1.2 (a third of the cube, its edge next to the optimum), d = 6",
    space: unit(["x0", "x1", "x2", "x3", "x4", "x5"]),
    budget: 60,
    constraintCount: 0,
    evaluate: hartmann6Crash,
    optimum: -3.32237,
  },
];
