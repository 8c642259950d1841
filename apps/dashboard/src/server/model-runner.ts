import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Params } from "@bayestune/core";
import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import type { ModelViews } from "../plot-data/model-views.js";
import { runModelJob, type ModelJob } from "./model-jobs.js";
import type { PredictionsAnswer } from "./study-predictions.js";

/** The compiled thread entry; run from the sources (the tests), the build's copy is used. */
const THREAD_ENTRY = fileURLToPath(new URL("../../dist/server/model-thread.js", import.meta.url));

export interface ModelRunner {
  /** The model views of a study's trials (the dashboard's importance and slices). */
  views(config: StudyConfig, trials: readonly StoredTrial[]): Promise<ModelViews>;
  /** The model's predictions for every trial, or for one candidate (the API's `/predictions`). */
  predictions(config: StudyConfig, trials: readonly StoredTrial[], candidate?: Params): Promise<PredictionsAnswer>;
  close(): Promise<void>;
}

/**
 * Fits a study's GP in a worker thread, one job at a time, so that a fit of a
 * long study never stalls the process that serves the page or the API, which
 * may be the coordinator itself. Without a build (running from the sources) or
 * with `inProcess` (to measure what the thread saves) it fits in-process instead.
 */
export function createModelRunner(options: { inProcess?: boolean } = {}): ModelRunner {
  const { run, close } = options.inProcess === true || !existsSync(THREAD_ENTRY) ? { run: runModelJob, close: async () => {} } : threadRunner();
  return {
    views: (config, trials) => run({ kind: "views", config, trials }) as Promise<ModelViews>,
    predictions: (config, trials, candidate) =>
      run({ kind: "predictions", config, trials, ...(candidate !== undefined ? { candidate } : {}) }) as Promise<PredictionsAnswer>,
    close,
  };
}

/** Runs jobs in one lazily started thread, in the order they come. */
function threadRunner(): { run(job: ModelJob): Promise<unknown>; close(): Promise<void> } {
  let worker: Worker | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const thread = (): Worker => {
    if (worker !== undefined) return worker;
    const started = new Worker(THREAD_ENTRY);
    // An idle thread must not keep the process alive after the server closes.
    started.unref();
    started.once("exit", () => {
      if (worker === started) worker = undefined;
    });
    worker = started;
    return started;
  };
  const runOnce = (job: ModelJob): Promise<unknown> =>
    new Promise<unknown>((resolve, reject) => {
      const w = thread();
      const onMessage = (message: { result?: unknown; error?: string }) => {
        w.off("error", onError);
        if (message.result !== undefined) resolve(message.result);
        else reject(new Error(message.error ?? "the model thread answered nothing"));
      };
      const onError = (error: Error) => {
        w.off("message", onMessage);
        reject(error);
      };
      w.once("message", onMessage);
      w.once("error", onError);
      w.postMessage(job);
    });
  const run = (job: ModelJob): Promise<unknown> => {
    const next = queue.then(() => runOnce(job));
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    run,
    async close() {
      await worker?.terminate();
      worker = undefined;
    },
  };
}
