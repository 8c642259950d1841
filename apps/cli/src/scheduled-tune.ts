import { mkdir } from "node:fs/promises";
import { createStudy, studyOptionsFromConfig } from "@bayestune/core";
import { nextConfiguration, RungSchedule, type ScheduledJob } from "@bayestune/coordinator";
import { trialJobFor, type StudyConfig, type TrialResult } from "@bayestune/protocol";
import { MemoryStore, type StoredTrial } from "@bayestune/store";
import { runTrial, startOrphanGuard } from "@bayestune/worker";
import { localRunOptions } from "./local-run-options.js";
import type { EmbeddedTuneOptions } from "./embedded-tune.js";

export interface ScheduledTuneOptions extends Omit<EmbeddedTuneOptions, "onTrialFinished"> {
  /** Called after each job ends, with the trial as stored after it and the worker's result. */
  onJobFinished?: (trial: StoredTrial, result: TrialResult) => void;
}

export interface ScheduledTuneOutcome {
  /** Every trial as stored at the end: complete (top rung), paused (stopped early), failed. */
  readonly trials: StoredTrial[];
  /** Training budget spent, summed over jobs: a promoted job resuming from a checkpoint counts only its new budget. */
  readonly budgetSpent: number;
  /** The top rung's budget: what each configuration would cost without a scheduler. */
  readonly fullBudget: number;
}

/**
 * `bayestune tune` for a study with a scheduler (ASHA, Hyperband, a staged
 * screen): a free slot takes what the schedule says (a promotion or a new
 * configuration); a promoted job resumes from the checkpoint its trial's last
 * job reported. Rungs are recorded in a MemoryStore, as the coordinator records
 * them in Redis. New configurations come from `nextConfiguration`: with the GP,
 * the multi-fidelity model over every rung result.
 */
export async function tuneScheduled(config: StudyConfig, options: ScheduledTuneOptions): Promise<ScheduledTuneOutcome> {
  const slots = options.slots ?? 1;
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be an integer >= 1, got ${slots}`);
  const schedule = new RungSchedule(config);
  const sampler = createStudy(studyOptionsFromConfig(config));
  const store = options.store ?? new MemoryStore();
  await store.createStudy(config);
  await mkdir(options.workDir, { recursive: true });

  const freeGpus = [...(options.gpus ?? [])];
  const running = new Set<Promise<void>>();
  let budgetSpent = 0;
  // Kills the trials' process groups if this process is killed without stopping them.
  const guard = startOrphanGuard();
  await guard.ready;
  try {
    for (;;) {
      let next: ScheduledJob | "wait" | "done" = "wait";
      while (running.size < slots && !options.signal?.aborted) {
        next = schedule.next(await store.getTrials(config.name), config.maxTrials);
        if (typeof next === "string") break;
        const job = await startJob(next);
        budgetSpent += job.budget;
        const gpu = freeGpus.shift();
        const done: Promise<void> = runTrial(job.trialJob, localRunOptions(config.name, { ...options, store }, guard, gpu)).then(async (result) => {
          const { trial } = await store.finishTrial({
            ...result,
            ...(result.state === "complete" ? { pause: !schedule.isTopRung(result.trial, result.rung) } : {}),
          });
          if (gpu !== undefined) freeGpus.push(gpu);
          running.delete(done);
          options.onJobFinished?.(trial, result);
        });
        running.add(done);
      }
      if (running.size === 0 && (next === "done" || options.signal?.aborted)) break;
      if (running.size === 0) throw new Error(`the schedule waits with no job running (${JSON.stringify(next)}): it would never go on`);
      await Promise.race(running);
    }
  } finally {
    guard.close();
  }
  return { trials: await store.getTrials(config.name), budgetSpent, fullBudget: schedule.scheduler.rungs.at(-1)! };

  async function startJob(job: ScheduledJob): Promise<{ trialJob: ReturnType<typeof trialJobFor>; budget: number }> {
    if (job.kind === "new") {
      const asked = await nextConfiguration(config, sampler, await store.getTrials(config.name), schedule.scheduler.rungs);
      const stored = await store.createTrial(config.name, asked.params, asked.source, job.fidelity);
      return { trialJob: trialJobFor(config, stored.number, stored.params, { fidelity: job.fidelity }), budget: job.fidelity };
    }
    const { trial } = await store.promoteTrial({ study: config.name, trial: job.trial, rung: job.rung, fidelity: job.fidelity });
    const previous = trial.rungs.at(-1)?.fidelity ?? 0;
    // Resuming from a checkpoint trains only the new steps; without one the run starts over.
    const budget = job.checkpoint !== undefined ? job.fidelity - previous : job.fidelity;
    return {
      trialJob: trialJobFor(config, trial.number, trial.params, {
        rung: job.rung,
        fidelity: job.fidelity,
        ...(job.checkpoint !== undefined ? { checkpoint: job.checkpoint } : {}),
      }),
      budget,
    };
  }
}
