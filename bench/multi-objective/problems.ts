/**
 * Multi-objective test problems (all objectives minimised) with a fixed
 * hypervolume reference point and the hypervolume of the true front, for
 * bench/multi-objective/run.ts.
 */
import type { ParamSpecInput } from "@bayestune/protocol";
import { hypervolume } from "@bayestune/core";

export interface MultiObjectiveProblem {
  readonly name: string;
  readonly description: string;
  readonly space: Readonly<Record<string, ParamSpecInput>>;
  readonly objectives: number;
  readonly budget: number;
  evaluate(params: Readonly<Record<string, number>>): number[];
  readonly reference: readonly number[];
  /** Hypervolume of the true Pareto front (a dense sample of it) for the reference. */
  readonly frontVolume: number;
}

const unitSpace = (d: number): Record<string, ParamSpecInput> => Object.fromEntries(Array.from({ length: d }, (_, i) => [`x${i}`, { type: "float", low: 0, high: 1 }]));
const vector = (p: Readonly<Record<string, number>>, d: number): number[] => Array.from({ length: d }, (_, i) => p[`x${i}`]!);

/** ZDT1 and ZDT2 (Zitzler, Deb, Thiele 2000): f1 = x0, f2 = g·h, g = 1 + 9·mean(x1..), h = 1 − √(f1/g) or 1 − (f1/g)². */
function zdt(kind: 1 | 2, d: number) {
  return (p: Readonly<Record<string, number>>): number[] => {
    const x = vector(p, d);
    const g = 1 + (9 * x.slice(1).reduce((a, b) => a + b, 0)) / (d - 1);
    const r = x[0]! / g;
    return [x[0]!, g * (kind === 1 ? 1 - Math.sqrt(r) : 1 - r * r)];
  };
}

/** DTLZ2 with 3 objectives (Deb et al. 2002): the front is the positive octant of the unit sphere. */
function dtlz2(d: number) {
  return (p: Readonly<Record<string, number>>): number[] => {
    const x = vector(p, d);
    const g = x.slice(2).reduce((a, v) => a + (v - 0.5) ** 2, 0);
    const [a, b] = [(x[0]! * Math.PI) / 2, (x[1]! * Math.PI) / 2];
    return [(1 + g) * Math.cos(a) * Math.cos(b), (1 + g) * Math.cos(a) * Math.sin(b), (1 + g) * Math.sin(a)];
  };
}

/** The hypervolume of a dense sample of the true front. */
function frontVolume(front: number[][], reference: readonly number[]): number {
  return hypervolume(front, reference);
}

const ZDT_REFERENCE = [1.1, 11];
const zdtFront = (h: (f1: number) => number): number[][] => Array.from({ length: 2001 }, (_, i) => [i / 2000, h(i / 2000)]);
const sphereFront = (): number[][] => {
  const points: number[][] = [];
  for (let i = 0; i <= 60; i++) {
    for (let j = 0; j <= 60; j++) {
      const [a, b] = [((i / 60) * Math.PI) / 2, ((j / 60) * Math.PI) / 2];
      points.push([Math.cos(a) * Math.cos(b), Math.cos(a) * Math.sin(b), Math.sin(a)]);
    }
  }
  return points;
};

export const MULTI_OBJECTIVE_PROBLEMS: readonly MultiObjectiveProblem[] = [
  {
    name: "zdt1",
    description: "ZDT1, d = 6, convex front",
    space: unitSpace(6),
    objectives: 2,
    budget: 40,
    evaluate: zdt(1, 6),
    reference: ZDT_REFERENCE,
    frontVolume: frontVolume(zdtFront((f) => 1 - Math.sqrt(f)), ZDT_REFERENCE),
  },
  {
    name: "zdt2",
    description: "ZDT2, d = 6, concave front",
    space: unitSpace(6),
    objectives: 2,
    budget: 40,
    evaluate: zdt(2, 6),
    reference: ZDT_REFERENCE,
    frontVolume: frontVolume(zdtFront((f) => 1 - f * f), ZDT_REFERENCE),
  },
  {
    name: "dtlz2",
    description: "DTLZ2, d = 5, 3 objectives, spherical front",
    space: unitSpace(5),
    objectives: 3,
    budget: 50,
    evaluate: dtlz2(5),
    reference: [1.1, 1.1, 1.1],
    frontVolume: frontVolume(sphereFront(), [1.1, 1.1, 1.1]),
  },
];
