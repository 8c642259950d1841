import { categorical, createStudy, float, int } from "@bayestune/core";
import type { ParamDef, ParamValues, Problem } from "./problems.js";
import type { RunRecord } from "./records.js";

/** The in-process engines: bayestune's default sampler and its two baselines. */
export const TS_ENGINES = {
  "bayestune-gp": "gp",
  sobol: "sobol",
  random: "random",
} as const;
export type TsEngine = keyof typeof TS_ENGINES;

function toBayestuneParam(def: ParamDef) {
  switch (def.type) {
    case "float":
      return float(def.low, def.high, { log: def.log });
    case "int":
      return int(def.low, def.high, { log: def.log });
    case "categorical":
      return categorical([...def.choices]);
  }
}

/** The problem's space in bayestune's vocabulary. */
export function toBayestuneSpace(space: Problem["space"]) {
  return Object.fromEntries(Object.entries(space).map(([name, def]) => [name, toBayestuneParam(def)]));
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** One study of `budget` evaluations; a NaN objective is told as a diverged, failed trial. */
export async function runTsEngine(engine: TsEngine, problem: Problem, seed: number, budget: number): Promise<RunRecord> {
  const study = createStudy({ space: toBayestuneSpace(problem.space), direction: "minimize", seed, sampler: TS_ENGINES[engine] });
  let best = Number.POSITIVE_INFINITY;
  const bestSoFar: (number | null)[] = [];
  const askMs: number[] = [];
  let failed = 0;
  for (let i = 0; i < budget; i++) {
    const start = process.hrtime.bigint();
    const trial = await study.ask();
    askMs.push(elapsedMs(start));
    const value = problem.evaluate(trial.params as ParamValues);
    if (Number.isFinite(value)) {
      await study.tell(trial.number, value);
      best = Math.min(best, value);
    } else {
      await study.tell(trial.number, { state: "failed", reason: "diverged" });
      failed++;
    }
    bestSoFar.push(Number.isFinite(best) ? best : null);
  }
  const reported = study.bestTrial?.value;
  if ((reported ?? null) !== (Number.isFinite(best) ? best : null)) {
    throw new Error(`${engine} on ${problem.name} seed ${seed}: study.bestTrial.value ${reported} disagrees with the best told value ${best}`);
  }
  return { engine, problem: problem.name, seed, bestSoFar, askMs, failed };
}

/**
 * Median-ready ask latencies of bayestune's GP sampler after `history` told
 * trials: the history is enqueued and told (no sampler work), then each of
 * `repeats` asks is timed and told its true value, as in a live study.
 */
export async function bayestuneAskLatency(
  problem: Problem,
  history: readonly { params: ParamValues; value: number }[],
  repeats: number,
): Promise<number[]> {
  const study = createStudy({ space: toBayestuneSpace(problem.space), direction: "minimize", seed: 0, sampler: "gp" });
  for (const h of history) {
    study.enqueue({ ...h.params });
    const trial = await study.ask();
    await study.tell(trial.number, h.value);
  }
  const askMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    const trial = await study.ask();
    askMs.push(elapsedMs(start));
    await study.tell(trial.number, problem.evaluate(trial.params as ParamValues));
  }
  return askMs;
}
