/**
 * The benchmark problems: classic test functions with known optima, plus one
 * mixed LLM-like problem with integer, log-scaled and categorical parameters and
 * a region where training diverges (the objective is NaN).
 *
 * These definitions are the single source of truth for spaces, optima and
 * budgets: `run.ts` hands them to the Optuna driver as JSON. Only the objective
 * functions are written twice (here and in `optuna/problems.py`); `run.ts`
 * checks that both agree before benchmarking.
 */

import { Rng } from "@bayestune/core";

export type ParamValue = number | string;
export type ParamValues = Readonly<Record<string, ParamValue>>;

export type ParamDef =
  | { readonly type: "float"; readonly low: number; readonly high: number; readonly log: boolean }
  | { readonly type: "int"; readonly low: number; readonly high: number; readonly log: boolean }
  | { readonly type: "categorical"; readonly choices: readonly string[] };

export interface Problem {
  readonly name: string;
  readonly space: Readonly<Record<string, ParamDef>>;
  /** The global minimum value. */
  readonly fStar: number;
  /** A point where the minimum is attained (to the precision the literature gives). */
  readonly argmin: ParamValues;
  /** Evaluations per study in the full run. */
  readonly budget: number;
  /** Evaluations per study with `--quick`. */
  readonly quickBudget: number;
  /** Seeds (0..seeds−1) in the full run: more where runs end in different basins by luck. */
  readonly seeds: number;
  /** The objective's name in `optuna/problems.py` (noisy variants share their base's). */
  readonly objective: string;
  /** The noise-free objective; NaN where the "training" diverges. */
  readonly evaluate: (params: ParamValues) => number;
  /**
   * Observations carry Gaussian noise of this standard deviation (see noise.ts);
   * regret is still measured on the noise-free value. Absent: noise-free.
   */
  readonly noise?: { readonly sd: number; readonly fractionOfRange: number };
}

/** Seeds per problem in the full run unless the problem says otherwise. */
export const DEFAULT_SEEDS = 30;

function box(d: number, low: number, high: number): Record<string, ParamDef> {
  const space: Record<string, ParamDef> = {};
  for (let i = 0; i < d; i++) space[`x${i}`] = { type: "float", low, high, log: false };
  return space;
}

function vector(params: ParamValues, d: number): number[] {
  const x: number[] = [];
  for (let i = 0; i < d; i++) x.push(params[`x${i}`] as number);
  return x;
}

function point(x: readonly number[]): Record<string, number> {
  return Object.fromEntries(x.map((v, i) => [`x${i}`, v]));
}

function branin(params: ParamValues): number {
  const [x1, x2] = vector(params, 2) as [number, number];
  const b = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const HARTMANN6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const HARTMANN6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const HARTMANN6_P = [
  [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];

export function hartmann6(params: ParamValues): number {
  const x = vector(params, 6);
  let total = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) {
      inner += (HARTMANN6_A[i]![j]! * (x[j]! - HARTMANN6_P[i]![j]!) ** 2);
    }
    total += HARTMANN6_ALPHA[i]! * Math.exp(-inner);
  }
  return -total;
}

function ackley(params: ParamValues, d: number): number {
  const x = vector(params, d);
  let squares = 0;
  let cosines = 0;
  for (const v of x) {
    squares += v * v;
    cosines += Math.cos(2 * Math.PI * v);
  }
  return -20 * Math.exp(-0.2 * Math.sqrt(squares / d)) - Math.exp(cosines / d) + 20 + Math.E;
}

function levy(params: ParamValues, d: number): number {
  const w = vector(params, d).map((v) => 1 + (v - 1) / 4);
  const first = w[0]!;
  const last = w[d - 1]!;
  let total = Math.sin(Math.PI * first) ** 2;
  for (let i = 0; i < d - 1; i++) {
    const wi = w[i]!;
    total += (wi - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * wi + 1) ** 2);
  }
  return total + (last - 1) ** 2 * (1 + Math.sin(2 * Math.PI * last) ** 2);
}

function rosenbrock(params: ParamValues, d: number): number {
  const x = vector(params, d);
  let total = 0;
  for (let i = 0; i < d - 1; i++) total += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (x[i]! - 1) ** 2;
  return total;
}

function styblinskiTang(params: ParamValues, d: number): number {
  let total = 0;
  for (const v of vector(params, d)) total += v ** 4 - 16 * v * v + 5 * v;
  return total / 2;
}

/** Per-optimizer constants of the mixed problem: the loss floor and log10 of the best lr at batch 64. */
const LLM_OPTIMIZERS: Readonly<Record<string, { base: number; log10Lr: number; stability: number }>> = {
  adamw: { base: 2.0, log10Lr: -3.5, stability: 1.2 },
  lion: { base: 2.03, log10Lr: -4.2, stability: 0.8 },
  sgd: { base: 2.15, log10Lr: -1.6, stability: 0.1 },
};

/**
 * A validation-loss surface shaped like LLM fine-tuning: the best learning rate
 * grows with the square root of the batch size, each optimizer has its own best
 * lr and loss floor, warmup and dropout have interior optima, and too little
 * warmup hurts more at high lr. Training diverges (NaN) once lr exceeds the best
 * lr by more than an optimizer-specific margin that warmup widens: SGD's best lr
 * sits within 0.1–0.4 decades of its cliff, small batches reach the cliff at a
 * lower lr, and Lion's cliff comes soonest in absolute lr.
 * Minimum 2.0 at adamw, lr = 10^-3.5, batch 64, warmup 400, dropout 0.1.
 */
function llmMixed(params: ParamValues): number {
  const constants = LLM_OPTIMIZERS[params["optimizer"] as string];
  if (constants === undefined) throw new Error(`unknown optimizer ${String(params["optimizer"])}`);
  const u = Math.log10(params["lr"] as number);
  const log2Batch = Math.log2(params["batch"] as number);
  const warmup = (params["warmup"] as number) / 1000;
  const dropout = params["dropout"] as number;
  const bestU = constants.log10Lr + 0.5 * Math.log10((params["batch"] as number) / 64);
  const excess = u - bestU;
  if (excess > constants.stability + 0.3 * Math.min(warmup, 1)) return Number.NaN;
  return (
    constants.base +
    0.3 * excess ** 2 +
    0.02 * (log2Batch - 6) ** 2 +
    0.2 * (warmup - 0.4) ** 2 +
    0.8 * (dropout - 0.1) ** 2 +
    0.15 * Math.max(0, excess + 0.5) * Math.max(0, 0.3 - warmup)
  );
}

/** Styblinski–Tang's one-dimensional minimiser, by Newton's method on 4x³ − 32x + 5 = 0. */
const ST_ARGMIN = -2.903534027771177;
/** 0.5·(x⁴ − 16x² + 5x) at ST_ARGMIN, per dimension. */
const ST_MIN_PER_DIM = -39.16616570377141;

const HARTMANN6: Problem = {
  name: "hartmann6",
  space: box(6, 0, 1),
  fStar: -3.32236801141551,
  argmin: point([0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054]),
  budget: 80,
  quickBudget: 30,
  // 50: its runs split between the global basin and a local one by luck.
  seeds: 50,
  objective: "hartmann6",
  evaluate: hartmann6,
};

const LLM_MIXED: Problem = {
  name: "llm-mixed",
  space: {
    lr: { type: "float", low: 1e-5, high: 1e-1, log: true },
    batch: { type: "int", low: 8, high: 512, log: true },
    warmup: { type: "int", low: 0, high: 2000, log: false },
    optimizer: { type: "categorical", choices: ["adamw", "sgd", "lion"] },
    dropout: { type: "float", low: 0, high: 0.5, log: false },
  },
  fStar: 2.0,
  argmin: { lr: 10 ** -3.5, batch: 64, warmup: 400, optimizer: "adamw", dropout: 0.1 },
  budget: 80,
  quickBudget: 30,
  seeds: DEFAULT_SEEDS,
  objective: "llm-mixed",
  evaluate: llmMixed,
};

/**
 * Hartmann6 with its six active coordinates spread among 20 (x1, x4, x8, x11,
 * x15, x18; the other 14 do not change the value), so a model must find the
 * dimensions that matter; spread out rather than first, so that no engine gains
 * from the low-dimensional projections of its design being the best ones.
 */
export const HARTMANN6_IN_20D_ACTIVE = [1, 4, 8, 11, 15, 18] as const;

function hartmann6In20d(params: ParamValues): number {
  return hartmann6(Object.fromEntries(HARTMANN6_IN_20D_ACTIVE.map((j, i) => [`x${i}`, params[`x${j}`] as number])));
}

const HARTMANN6_IN_20D: Problem = {
  name: "hartmann6-in-20d",
  space: box(20, 0, 1),
  fStar: HARTMANN6.fStar,
  argmin: (() => {
    const x = new Array<number>(20).fill(0.5);
    HARTMANN6_IN_20D_ACTIVE.forEach((j, i) => (x[j] = HARTMANN6.argmin[`x${i}`] as number));
    return point(x);
  })(),
  budget: 100,
  quickBudget: 40,
  seeds: DEFAULT_SEEDS,
  objective: "hartmann6-in-20d",
  evaluate: hartmann6In20d,
};

/**
 * max − min of the finite values over RANGE_SAMPLE_POINTS uniform points
 * (randomPoint with Rng(RANGE_SAMPLE_SEED)): computed once by sampledRange and
 * written here; run.ts recomputes them and refuses to run if they drift.
 */
export const SAMPLED_RANGES: Readonly<Record<string, number>> = {
  hartmann6: 2.9235374818691873,
  "llm-mixed": 5.003571311089004,
};

/** `base` observed with Gaussian noise of sd = fraction × its sampled range; regret stays noise-free. */
function withNoise(base: Problem, fractionOfRange: number, budget = base.budget): Problem {
  const range = SAMPLED_RANGES[base.name];
  if (range === undefined) throw new Error(`${base.name} has no sampled range in SAMPLED_RANGES`);
  return { ...base, name: `${base.name}-noise${fractionOfRange}`, budget, noise: { sd: fractionOfRange * range, fractionOfRange } };
}

/**
 * Budget of the noisy llm-mixed variants, below llm-mixed's 80 to keep the whole
 * bench within its time: Optuna's GPSampler spends about a CPU second per ask
 * on this mixed space (a 2001-value int among the parameters), about a minute
 * per 80-trial study, most of the bench's time at 30 seeds per variant.
 */
const NOISY_LLM_MIXED_BUDGET = 50;

export const PROBLEMS: readonly Problem[] = [
  {
    name: "branin",
    space: { x0: { type: "float", low: -5, high: 10, log: false }, x1: { type: "float", low: 0, high: 15, log: false } },
    fStar: 5 / (4 * Math.PI),
    argmin: point([-Math.PI, 12.275]),
    budget: 40,
    quickBudget: 20,
    seeds: DEFAULT_SEEDS,
    objective: "branin",
    evaluate: branin,
  },
  HARTMANN6,
  {
    name: "ackley5",
    space: box(5, -32.768, 32.768),
    fStar: 0,
    argmin: point([0, 0, 0, 0, 0]),
    budget: 70,
    quickBudget: 30,
    seeds: DEFAULT_SEEDS,
    objective: "ackley5",
    evaluate: (p) => ackley(p, 5),
  },
  {
    name: "levy6",
    space: box(6, -10, 10),
    fStar: 0,
    argmin: point([1, 1, 1, 1, 1, 1]),
    budget: 70,
    quickBudget: 30,
    seeds: DEFAULT_SEEDS,
    objective: "levy6",
    evaluate: (p) => levy(p, 6),
  },
  {
    name: "rosenbrock4",
    space: box(4, -5, 10),
    fStar: 0,
    argmin: point([1, 1, 1, 1]),
    budget: 60,
    quickBudget: 30,
    seeds: DEFAULT_SEEDS,
    objective: "rosenbrock4",
    evaluate: (p) => rosenbrock(p, 4),
  },
  {
    name: "styblinski-tang4",
    space: box(4, -5, 5),
    fStar: 4 * ST_MIN_PER_DIM,
    argmin: point([ST_ARGMIN, ST_ARGMIN, ST_ARGMIN, ST_ARGMIN]),
    budget: 60,
    quickBudget: 30,
    seeds: DEFAULT_SEEDS,
    objective: "styblinski-tang4",
    evaluate: (p) => styblinskiTang(p, 4),
  },
  LLM_MIXED,
  withNoise(HARTMANN6, 0.01),
  withNoise(HARTMANN6, 0.1),
  withNoise(LLM_MIXED, 0.01, NOISY_LLM_MIXED_BUDGET),
  withNoise(LLM_MIXED, 0.1, NOISY_LLM_MIXED_BUDGET),
  HARTMANN6_IN_20D,
];

export const RANGE_SAMPLE_POINTS = 10_000;
export const RANGE_SAMPLE_SEED = 20_240;

/** max − min of `problem`'s finite noise-free values over the fixed uniform sample of SAMPLED_RANGES. */
export function sampledRange(problem: Problem): number {
  const rng = new Rng(RANGE_SAMPLE_SEED);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < RANGE_SAMPLE_POINTS; i++) {
    const value = problem.evaluate(randomPoint(problem.space, rng));
    if (!Number.isFinite(value)) continue;
    lo = Math.min(lo, value);
    hi = Math.max(hi, value);
  }
  return hi - lo;
}

/** The d-dimensional Levy function on [−10, 10]^d: the ask-latency problem. */
export function levyProblem(d: number): Problem {
  return {
    name: `levy${d}`,
    space: box(d, -10, 10),
    fStar: 0,
    argmin: point(new Array<number>(d).fill(1)),
    budget: 0,
    quickBudget: 0,
    seeds: 0,
    objective: `levy${d}`,
    evaluate: (p) => levy(p, d),
  };
}

/** A uniform point of the space (log-uniform on log parameters), for checks and latency histories. */
export function randomPoint(space: Problem["space"], rng: Rng): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [name, def] of Object.entries(space)) {
    if (def.type === "categorical") {
      out[name] = def.choices[rng.int(def.choices.length)] as string;
    } else if (def.type === "int") {
      out[name] = def.log
        ? Math.min(def.high, Math.floor(Math.exp(Math.log(def.low) + rng.uniform() * Math.log((def.high + 1) / def.low))))
        : def.low + rng.int(def.high - def.low + 1);
    } else {
      out[name] = def.log
        ? Math.exp(Math.log(def.low) + rng.uniform() * (Math.log(def.high) - Math.log(def.low)))
        : def.low + rng.uniform() * (def.high - def.low);
    }
  }
  return out;
}
