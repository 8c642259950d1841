import { createStudy } from "@bayestune/core";
import { toBayestuneSpace } from "./bayestune-space.js";
import { matchingPrefix } from "./paired-starts.js";
import type { ParamValues, Problem } from "./problems.js";
import type { RunRecord } from "./records.js";

/** The in-process engines: bayestune's default sampler and its two baselines. */
export const TS_ENGINES = {
  "bayestune-gp": "gp",
  sobol: "sobol",
  random: "random",
} as const;
export type TsEngine = keyof typeof TS_ENGINES;

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** What a run shares with the other engines on the same problem and seed. */
export interface RunShared {
  /** The paired initial design (see paired-starts.ts): recorded as how many first asks matched it. */
  readonly design: readonly ParamValues[];
  /** Added to the objective at each evaluation index on a noisy problem; null when noise-free. */
  readonly noise: readonly number[] | null;
}

/**
 * One study of `budget` evaluations; a NaN objective is told as a diverged,
 * failed trial. On a noisy problem the engine is told the noisy value, while
 * bestSoFar follows what a user would deploy: the noise-free value of the trial
 * with the best observed value so far.
 */
export async function runTsEngine(engine: TsEngine, problem: Problem, seed: number, budget: number, shared: RunShared): Promise<RunRecord> {
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const study = createStudy({ space: toBayestuneSpace(problem.space), direction: "minimize", seed, sampler: TS_ENGINES[engine] });
  let bestObserved = Number.POSITIVE_INFINITY;
  let deployed: number | null = null;
  const bestSoFar: (number | null)[] = [];
  const askMs: number[] = [];
  const firstAsked: ParamValues[] = [];
  let failed = 0;
  for (let i = 0; i < budget; i++) {
    const start = process.hrtime.bigint();
    const trial = await study.ask();
    askMs.push(elapsedMs(start));
    const params = trial.params as ParamValues;
    if (i < shared.design.length) firstAsked.push(params);
    const value = problem.evaluate(params);
    if (Number.isFinite(value)) {
      const observed = value + (shared.noise?.[i] ?? 0);
      await study.tell(trial.number, observed);
      if (observed < bestObserved) {
        bestObserved = observed;
        deployed = value;
      }
    } else {
      await study.tell(trial.number, { state: "failed", reason: "diverged" });
      failed++;
    }
    bestSoFar.push(deployed);
  }
  const reported = study.bestTrial?.value;
  if ((reported ?? null) !== (Number.isFinite(bestObserved) ? bestObserved : null)) {
    throw new Error(`${engine} on ${problem.name} seed ${seed}: study.bestTrial.value ${reported} disagrees with the best told value ${bestObserved}`);
  }
  const wallMs = elapsedMs(started);
  const cpuMs = cpuMsSince(cpuStart);
  const fittedNoiseStd = engine === "bayestune-gp" && study.trials.filter((t) => t.state === "complete").length >= 2 ? study.objectiveModel().noiseStd : undefined;
  return {
    engine,
    problem: problem.name,
    seed,
    bestSoFar,
    askMs,
    failed,
    pairedStart: matchingPrefix(firstAsked, shared.design),
    wallMs,
    cpuMs,
    ...(fittedNoiseStd !== undefined ? { fittedNoiseStd } : {}),
  };
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
