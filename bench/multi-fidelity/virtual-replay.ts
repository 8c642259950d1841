/*
 * One study replayed over recorded learning curves on a virtual clock: the real
 * engine (StudyDriver over a MemoryStore) decides, and k virtual slots "train" by
 * looking the loss up in the curves; a job takes the training seconds the curves
 * recorded for it (or its steps, where they hold no seconds), and resumes from
 * its checkpoint when promoted. No Redis and no sleeping: a 30-seed sweep of
 * every engine runs in minutes, and a run is a pure function of its seed.
 */
import { SearchSpace } from "@bayestune/core";
import { StudyDriver, type StudyEngine, type TrialSlots } from "@bayestune/engine";
import { StudyConfig, type SchedulerSpec, type TrialJob } from "@bayestune/protocol";
import { MemoryStore } from "@bayestune/store";
import type { CurveParams, CurveProblem } from "./curve-problem.js";

export interface ReplayEngine {
  readonly name: string;
  readonly sampler: "random" | "gp";
  readonly scheduler?: SchedulerSpec;
}

/** What one replayed study spent and found. */
export interface ReplayRun {
  readonly engine: string;
  readonly slots: number;
  readonly seed: number;
  /** Best full-budget loss after each finished job, with the compute spent by then (steps and seconds), in finishing order. */
  readonly trace: readonly { readonly steps: number; readonly seconds: number; readonly best: number }[];
  readonly configurations: number;
  readonly promotions: number;
  /** The configurations' encoded coordinates at a bound (within 1e-3 of 0 or 1), for the "piled on the bounds" check. */
  readonly atBounds: readonly number[];
  /** Distinct recorded runs among the configurations (replays map each to its nearest recorded run; a repeat teaches an engine nothing new). */
  readonly distinct: number;
  /** Milliseconds the engine's decisions took in all. */
  readonly decideMs: number;
}

export interface ReplayLimits {
  /** Full-fidelity engines: trials in all. */
  readonly fullRuns: number;
  /** Scheduled engines stop once this much compute is spent, in the cost unit. */
  readonly cap: number;
  /** What the cap counts: training steps, or the curves' recorded seconds. */
  readonly unit: "steps" | "seconds";
}

/** The study an engine runs over a curve family: a scheduled one may create configurations without end (the bench cuts it off), a full-fidelity one `fullRuns`. */
export function replayConfig(problem: CurveProblem, engine: ReplayEngine, slots: number, seed: number, fullRuns: number): StudyConfig {
  return StudyConfig.parse({
    name: `${problem.name}-${engine.name}-${slots}-${seed}`,
    space: problem.space,
    sampler: engine.sampler,
    seed,
    maxTrials: engine.scheduler !== undefined ? 100_000 : fullRuns,
    fidelity: { min: problem.minSteps, max: problem.maxSteps, reductionFactor: problem.reductionFactor },
    ...(engine.scheduler !== undefined ? { scheduler: engine.scheduler } : {}),
    command: { argv: ["replayed"] },
  });
}

/** Replays one engine on one seed at `slots` parallel slots until the cap (scheduled) or `fullRuns` trials (full fidelity). */
export async function replay(problem: CurveProblem, engine: ReplayEngine, slots: number, seed: number, limits: ReplayLimits): Promise<ReplayRun> {
  const scheduled = engine.scheduler !== undefined;
  const config = replayConfig(problem, engine, slots, seed, limits.fullRuns);
  const stepsOf = (job: TrialJob): number => job.fidelity ?? problem.maxSteps;
  const resumedFrom = (job: TrialJob): number => (job.checkpoint !== undefined ? Number(job.checkpoint.split(":")[1]) : 0);
  const secondsOf = (job: TrialJob): number =>
    problem.seconds === undefined ? stepsOf(job) - resumedFrom(job) : problem.seconds(job.params, stepsOf(job)) - problem.seconds(job.params, resumedFrom(job));
  // Jobs under way, each with the virtual time it ends at.
  const running: { job: TrialJob; endsAt: number }[] = [];
  let now = 0;
  const slotsOf: TrialSlots = {
    free: async (e: StudyEngine) => slots - e.running,
    start: async (job) => {
      running.push({ job, endsAt: now + secondsOf(job) });
    },
    stop: async () => undefined,
  };
  const driver = await StudyDriver.open(config, new MemoryStore(), slotsOf);
  const compute = new ComputeTrace();
  let promotions = 0;
  let decideMs = 0;
  const fill = async (): Promise<void> => {
    const started = performance.now();
    await driver.fill();
    decideMs += performance.now() - started;
  };
  await fill();
  while (running.length > 0) {
    running.sort((a, b) => a.endsAt - b.endsAt || a.job.trial - b.job.trial);
    const { job, endsAt } = running.shift()!;
    now = endsAt;
    const fidelity = stepsOf(job);
    const value = problem.loss(job.params, fidelity);
    compute.record(fidelity - resumedFrom(job), secondsOf(job), fidelity >= problem.maxSteps ? value : undefined);
    if (job.rung > 0) promotions++;
    const common = { kind: "result" as const, study: config.name, trial: job.trial, rung: job.rung, metrics: {}, durationSeconds: 0, stderrTail: "", worker: "virtual" };
    await driver.applyResult(
      Number.isFinite(value)
        ? { ...common, state: "complete", value, checkpoint: `steps:${fidelity}` }
        : { ...common, state: "failed", reason: "non-finite-metric", message: "diverged" },
    );
    if (scheduled && compute.spent(limits.unit) >= limits.cap) break;
    await fill();
  }
  return { engine: engine.name, slots, seed, trace: compute.trace, promotions, ...describeConfigurations(problem, driver.engine.trials.map((t) => t.params)), decideMs };
}

/**
 * The compute a replayed study has spent and the best full-budget loss it has
 * found, recorded as each job (or segment between reports) ends: one definition
 * of compute for bayestune's engines and Optuna's alike.
 */
export class ComputeTrace {
  readonly trace: { steps: number; seconds: number; best: number }[] = [];
  #steps = 0;
  #seconds = 0;
  #best = Infinity;

  /** A job ended having trained `steps` new steps in `seconds`; `fullBudgetValue` is its loss when it reached the full budget. */
  record(steps: number, seconds: number, fullBudgetValue: number | undefined): void {
    this.#steps += steps;
    this.#seconds += seconds;
    if (fullBudgetValue !== undefined && Number.isFinite(fullBudgetValue)) this.#best = Math.min(this.#best, fullBudgetValue);
    this.trace.push({ steps: this.#steps, seconds: this.#seconds, best: this.#best });
  }

  spent(unit: "steps" | "seconds"): number {
    return unit === "steps" ? this.#steps : this.#seconds;
  }
}

/** How many configurations an engine tried, how many distinct recorded runs they replayed, and how many coordinates of each sit at a bound. */
export function describeConfigurations(problem: CurveProblem, configurations: readonly CurveParams[]): Pick<ReplayRun, "configurations" | "distinct" | "atBounds"> {
  const space = SearchSpace.from(problem.space);
  return {
    configurations: configurations.length,
    distinct: new Set(configurations.map((p) => problem.loss(p, problem.maxSteps))).size,
    atBounds: configurations.map((p) => [...space.encode(p)].filter((u) => u < 1e-3 || u > 1 - 1e-3).length),
  };
}

/** The best full-budget loss once `budget` compute was spent (Infinity before any full run). */
export function bestAt(run: ReplayRun, budget: number, unit: "steps" | "seconds"): number {
  let best = Infinity;
  for (const point of run.trace) {
    if (point[unit] > budget) break;
    best = point.best;
  }
  return best;
}

/** The compute spent when the best full-budget loss first reached `target`; undefined when it never did. */
export function computeToTarget(run: ReplayRun, target: number, unit: "steps" | "seconds"): number | undefined {
  return run.trace.find((point) => point.best <= target)?.[unit];
}
