import { mkdir } from "node:fs/promises";
import { StudyDriver, type StudyOutcome, type TrialSlots } from "@bayestune/engine";
import type { ProgressEvent, StudyConfig, TrialResult } from "@bayestune/protocol";
import { StoreError, type Store, type StoredTrial } from "@bayestune/store";
import { runTrial, startOrphanGuard } from "@bayestune/worker";
import { localRunOptions } from "./local-run-options.js";

export interface EmbeddedTuneOptions {
  /** Trials run at once, each in its own child process. @defaultValue 1 */
  slots?: number;
  /** GPU ids handed out one per slot as CUDA_VISIBLE_DEVICES; none when empty. */
  gpus?: readonly string[];
  /** Directory under which each trial gets its own folder. */
  workDir: string;
  /** Where the study lives. A study already there is resumed: its finished trials are kept, its running ones run again. */
  store: Store;
  /** Called after each job's result is recorded, with the trial as stored after it and the result. */
  onResult?: (trial: StoredTrial, result: TrialResult) => void;
  /** How long a trial the pruner stops has to checkpoint and report before it is terminated. @defaultValue the runner's (30 s) */
  stopGraceMs?: number;
  /** Aborting cancels the running jobs (their process groups are killed; their trials stay running in the store, to run again on a resume) and starts nothing more. */
  signal?: AbortSignal;
}

export interface EmbeddedTuneOutcome {
  /** Every trial as stored at the end. */
  readonly trials: readonly StoredTrial[];
  /** The counts, the best trial and the front, as they stand at the end. */
  readonly standing: StudyOutcome;
  /** True when the study ended (every trial finished); false when it was interrupted. */
  readonly finished: boolean;
}

/** What a local slot reports back, in the order it happened. */
type SlotEvent = ProgressEvent | TrialResult | { readonly kind: "error"; readonly error: unknown };

/**
 * `bayestune tune`: the study driver (the same as the coordinator's) on a local
 * store, with the training command in local child-process slots through the
 * worker's runner instead of BullMQ. Results are applied one at a time in the
 * order they arrive, and free slots are filled once no other result waits, as
 * the coordinator does: a 1-slot study is sequential and proposes what a 1-slot
 * distributed study proposes.
 */
export async function tuneEmbedded(config: StudyConfig, options: EmbeddedTuneOptions): Promise<EmbeddedTuneOutcome> {
  const slotCount = options.slots ?? 1;
  if (!Number.isInteger(slotCount) || slotCount < 1) throw new RangeError(`slots must be an integer >= 1, got ${slotCount}`);
  const { signal } = options;
  await mkdir(options.workDir, { recursive: true });

  const events = new EventQueue<SlotEvent>();
  const freeGpus = [...(options.gpus ?? [])];
  /** Jobs running here, by trial and rung (a job is never started twice), with what stops each early. */
  const running = new Map<string, AbortController>();
  // Kills the trials' process groups if this process is killed without stopping them.
  const guard = startOrphanGuard();
  await guard.ready;
  const slots: TrialSlots = {
    free: async (engine) => (signal?.aborted ? 0 : slotCount - engine.running),
    async start(job, trial) {
      const key = `${trial.number}:${trial.rung}`;
      if (running.has(key) || signal?.aborted) return;
      const stop = new AbortController();
      running.set(key, stop);
      const gpu = freeGpus.shift();
      const runOptions = localRunOptions(
        config.name,
        { workDir: options.workDir, signal, stop: stop.signal, stopGraceMs: options.stopGraceMs, onProgress: (event) => events.push(event) },
        guard,
        gpu,
      );
      runTrial(job, runOptions).then(
        (result) => {
          if (gpu !== undefined) freeGpus.push(gpu);
          running.delete(key);
          events.push(result);
        },
        // The runner throws only for failures of this machine (an unwritable trial directory, EMFILE): the study cannot go on.
        (error: unknown) => events.push({ kind: "error", error }),
      );
    },
    async stop(trial, reason) {
      running.get(`${trial.number}:${trial.rung}`)?.abort(reason);
    },
  };

  try {
    const driver = await StudyDriver.open(config, options.store, slots);
    await driver.resumeRunning();
    await driver.fill();
    while (running.size > 0 || events.size > 0) {
      const event = await events.next();
      if (event.kind === "error") throw event.error;
      if (event.kind === "progress") {
        // A lost progress report costs a point on a learning curve, never the trial.
        await driver.applyProgress(event).catch((error: unknown) => {
          if (!(error instanceof StoreError)) throw error;
        });
        continue;
      }
      // A job cancelled by the interruption did not fail: its trial stays running, to run again on a resume.
      if (signal?.aborted && event.state === "failed" && event.reason === "cancelled") continue;
      const { trial } = await driver.applyResult(event);
      options.onResult?.(trial, event);
      if (!events.holdsResult()) await driver.fill();
    }
    const finished = driver.outcome() !== undefined;
    if (!finished && !signal?.aborted) throw new Error(`study "${config.name}" waits with no job running: it would never go on`);
    return { trials: driver.engine.trials, standing: driver.engine.standing(), finished };
  } finally {
    guard.close();
  }
}

/** A first-in, first-out queue whose `next()` waits for an item. */
class EventQueue<T extends { readonly kind: string }> {
  readonly #items: T[] = [];
  #wake: (() => void) | undefined;

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
    this.#wake = undefined;
  }

  /** Whether a result (not only progress) waits. */
  holdsResult(): boolean {
    return this.#items.some((item) => item.kind !== "progress");
  }

  async next(): Promise<T> {
    while (this.#items.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
    return this.#items.shift()!;
  }
}
