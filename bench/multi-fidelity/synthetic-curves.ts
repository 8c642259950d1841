/**
 * A synthetic family of LLM-like learning curves: validation loss after t
 * training steps for hyperparameters θ,
 *
 *   loss(t; θ) = L∞(θ) + 3 · (t / 100)^(−α(θ)) + noise(θ, t),
 *
 * where L∞ (the loss a long run converges to) is best at lr = 10^−3.2, dropout 0.1,
 * batch 64, and the rate α grows with the learning rate: a high learning rate
 * looks best after a short run and ends worse, so curves cross and early
 * decisions can be wrong, as with real training. The noise is a fixed
 * pseudo-random ±0.01 per (θ, t), like seed-to-seed variation.
 */
import type { CurveParams, CurveProblem } from "./curve-problem.js";

const CURVE_SPACE = {
  lr: { type: "float", low: 1e-5, high: 1e-1, log: true },
  dropout: { type: "float", low: 0, high: 0.5 },
  batch_size: { type: "int", low: 8, high: 512, log: true },
  warmup: { type: "int", low: 0, high: 2000 },
} as const;

const MIN_STEPS = 100;
const MAX_STEPS = 8100;

function finalLossFloor(params: CurveParams): number {
  const u = Math.log10(params["lr"] as number);
  const dropout = params["dropout"] as number;
  const batch = Math.log2(params["batch_size"] as number);
  const warmup = (params["warmup"] as number) / 2000;
  return 2 + 0.15 * (u + 3.2) ** 2 + 0.5 * (dropout - 0.1) ** 2 + 0.05 * (batch - 6) ** 2 + 0.1 * (warmup - 0.2) ** 2;
}

function curveLoss(params: CurveParams, steps: number): number {
  const u = Math.log10(params["lr"] as number);
  const alpha = 0.3 + 0.15 * ((u + 5) / 4);
  return finalLossFloor(params) + 3 * (steps / MIN_STEPS) ** -alpha + noise(params, steps);
}

/**
 * The best noise-free loss any configuration reaches at the full budget: dropout,
 * batch and warmup at their optima, lr by a fine search (the faster rate of a
 * higher lr moves the full-budget optimum a little above 10^−3.2).
 */
function bestFullBudgetLoss(): number {
  let best = Infinity;
  for (let u = -5; u <= -1; u += 1e-4) {
    const alpha = 0.3 + 0.15 * ((u + 5) / 4);
    best = Math.min(best, 2 + 0.15 * (u + 3.2) ** 2 + 3 * (MAX_STEPS / MIN_STEPS) ** -alpha);
  }
  return best;
}

function noise(params: CurveParams, steps: number): number {
  // FNV-1a over the params and the step: the same run always gets the same noise.
  let h = 0x811c9dc5;
  for (const ch of `${JSON.stringify(params)}@${steps}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return ((h >>> 0) / 0xffffffff - 0.5) * 0.02;
}

export const SYNTHETIC_CURVES: CurveProblem = {
  name: "synthetic",
  description:
    "the synthetic family of `bench/multi-fidelity/synthetic-curves.ts` (lr log, dropout, batch size int log, warmup int; loss = L∞(θ) + 3·(t/100)^−α(θ) + ±0.01 noise, where a higher lr converges faster but to a worse floor, so curves cross)",
  space: CURVE_SPACE,
  minSteps: MIN_STEPS,
  maxSteps: MAX_STEPS,
  reductionFactor: 3,
  loss: curveLoss,
  bestFullBudgetLoss: bestFullBudgetLoss(),
  targetGap: 0.05,
};
