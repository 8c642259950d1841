import { mkdir } from "node:fs/promises";
import { createStudy, rungLadder, studyOptionsFromConfig, tellOutcomeOf, type Study, type Trial } from "@bayestune/core";
import { trialJobFor, type StudyConfig, type TrialResult } from "@bayestune/protocol";
import type { Store } from "@bayestune/store";
import { runTrial, startOrphanGuard } from "@bayestune/worker";
import { localRunOptions } from "./local-run-options.js";

export interface EmbeddedTuneOptions {
  /** Trials run at once, each in its own child process. @defaultValue 1 */
  slots?: number;
  /** GPU ids handed out one per slot as CUDA_VISIBLE_DEVICES; none when empty. */
  gpus?: readonly string[];
  /** Directory under which each trial gets its own folder. */
  workDir: string;
  /** Called after each trial is told, with its snapshot and the worker's result. */
  onTrialFinished?: (trial: Trial, result: TrialResult) => void;
  /** Aborting cancels the running trials (their process groups are killed) and stops asking. */
  signal?: AbortSignal;
  /** Where the trials, their intermediate values and results are also recorded, as the coordinator records them (for the dashboard). */
  store?: Store;
}

/**
 * Runs a whole study on this machine without Redis: the core in-process, the
 * training command in local child-process slots through the worker's runner.
 * New trials are asked for as slots free up, with the running ones pending,
 * until `maxTrials` have finished.
 */
export async function tuneEmbedded(config: StudyConfig, options: EmbeddedTuneOptions): Promise<Study> {
  const slots = options.slots ?? 1;
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be an integer >= 1, got ${slots}`);
  const gpus = options.gpus ?? [];
  const study = createStudy(studyOptionsFromConfig(config));
  const { store } = options;
  await store?.createStudy(config);
  await mkdir(options.workDir, { recursive: true });

  // Without a scheduler every trial trains at the full budget (studies with one run in tuneScheduled).
  const fidelity = config.fidelity === undefined ? undefined : rungLadder(config.fidelity).at(-1);
  const freeGpus = [...gpus];
  const running = new Map<number, Promise<void>>();
  let started = 0;
  // Kills the trials' process groups if this process is killed without stopping them.
  const guard = startOrphanGuard();
  await guard.ready;
  try {
    while (running.size > 0 || (started < config.maxTrials && !options.signal?.aborted)) {
      const free = Math.min(slots - running.size, config.maxTrials - started);
      if (free > 0 && !options.signal?.aborted) {
        const batch = await study.askBatch(free);
        // The store numbers trials densely in creation order, as the core does: the numbers agree.
        // The sampler's state goes with them, as the coordinator stores it.
        const state = study.samplerState();
        await store?.createTrials(config.name, batch.map((t) => ({ params: t.params, source: t.source })), state === undefined ? undefined : JSON.stringify(state));
        for (const trial of batch) {
          started++;
          const gpu = freeGpus.shift();
          const job = trialJobFor(config, trial.number, trial.params, fidelity === undefined ? {} : { fidelity });
          const done = runTrial(job, localRunOptions(config.name, options, guard, gpu)).then(async (result) => {
            const told = await study.tell(trial.number, tellOutcomeOf(config, result));
            await store?.finishTrial(result);
            if (gpu !== undefined) freeGpus.push(gpu);
            running.delete(trial.number);
            options.onTrialFinished?.(told, result);
          });
          running.set(trial.number, done);
        }
      }
      if (running.size > 0) await Promise.race(running.values());
    }
  } finally {
    guard.close();
  }
  return study;
}
