/**
 * The coordinator of an asynchronous study, simulated in-process: k worker
 * slots, each trial running for a random time; whenever one finishes its result
 * is told and the freed slot gets a new trial, asked while the other k − 1 are
 * still running (pending points the sampler must account for).
 */
import { createStudy, Rng, type SamplerChoice } from "@bayestune/core";
import type { ParamValues, Problem } from "../problems.js";
import { toBayestuneSpace } from "../bayestune-space.js";

/** Trial durations are uniform on [MIN_DURATION, MAX_DURATION) time units. */
const MIN_DURATION = 0.5;
const MAX_DURATION = 1.5;
/** Offsets the duration stream from the study's own seed, so the two streams are unrelated. */
const DURATION_SEED_OFFSET = 0x5eed;

export interface AsyncRun {
  readonly problem: string;
  readonly seed: number;
  readonly slots: number;
  /** Best finite value after each completion, in completion order (null before the first). */
  readonly bestSoFar: (number | null)[];
  /** How many sampler asks saw each count of running trials, by count. */
  readonly pendingAtAsk: number[];
  readonly failed: number;
}

/**
 * The durations of a seed's trials, in the order they are asked: the same for
 * every slot count and sampler, so methods differ only in what they propose.
 */
export function trialDurations(seed: number, count: number): number[] {
  const rng = new Rng(seed + DURATION_SEED_OFFSET);
  return Array.from({ length: count }, () => MIN_DURATION + (MAX_DURATION - MIN_DURATION) * rng.uniform());
}

/** One study of `trials` evaluations on `slots` asynchronous workers. */
export async function runAsync(problem: Problem, seed: number, slots: number, trials: number, sampler: SamplerChoice = "gp"): Promise<AsyncRun> {
  const study = createStudy({ space: toBayestuneSpace(problem.space), direction: "minimize", seed, sampler });
  const durations = trialDurations(seed, trials);
  const running: { number: number; params: ParamValues; finishesAt: number }[] = [];
  const pendingAtAsk: number[] = [];
  let asked = 0;
  const start = async (count: number, now: number): Promise<void> => {
    pendingAtAsk[running.length] = (pendingAtAsk[running.length] ?? 0) + 1;
    // All slots are free at time 0, as when a coordinator starts: one batch fills them.
    for (const trial of await study.askBatch(count)) {
      running.push({ number: trial.number, params: trial.params as ParamValues, finishesAt: now + durations[asked++]! });
    }
  };
  await start(Math.min(slots, trials), 0);
  let best = Number.POSITIVE_INFINITY;
  let failed = 0;
  const bestSoFar: (number | null)[] = [];
  while (running.length > 0) {
    let next = 0;
    for (let i = 1; i < running.length; i++) if (running[i]!.finishesAt < running[next]!.finishesAt) next = i;
    const [done] = running.splice(next, 1);
    const value = problem.evaluate(done!.params);
    if (Number.isFinite(value)) {
      await study.tell(done!.number, value);
      best = Math.min(best, value);
    } else {
      await study.tell(done!.number, { state: "failed", reason: "diverged" });
      failed++;
    }
    bestSoFar.push(Number.isFinite(best) ? best : null);
    if (asked < trials) await start(1, done!.finishesAt);
  }
  return { problem: problem.name, seed, slots, bestSoFar, pendingAtAsk: Array.from(pendingAtAsk, (c) => c ?? 0), failed };
}
