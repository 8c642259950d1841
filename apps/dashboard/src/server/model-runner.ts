import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { modelViews, type ModelViews } from "../plot-data/model-views.js";

/** The compiled thread entry; run from the sources (the tests), the build's copy is used. */
const THREAD_ENTRY = fileURLToPath(new URL("../../dist/server/model-thread.js", import.meta.url));

export interface ModelRunner {
  /** The model views of a study's trials; fitted off the event loop when the build is there. */
  run(config: StudyConfig, trials: readonly StoredTrial[]): Promise<ModelViews>;
  close(): Promise<void>;
}

/**
 * Fits the dashboard's GP (importance, slices) in a worker thread, one study at
 * a time, so that a fit of a long study never stalls the process that serves
 * the page, which may be the coordinator itself. Without a build (running from
 * the sources) or with `inProcess` (to measure what the thread saves) it fits
 * in-process instead.
 */
export function createModelRunner(options: { inProcess?: boolean } = {}): ModelRunner {
  if (options.inProcess === true || !existsSync(THREAD_ENTRY)) {
    return { run: (config, trials) => modelViews(config, trials), close: async () => {} };
  }
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
  const fitOnce = (config: StudyConfig, trials: readonly StoredTrial[]): Promise<ModelViews> =>
    new Promise<ModelViews>((resolve, reject) => {
      const w = thread();
      const onMessage = (message: { views?: ModelViews; error?: string }) => {
        w.off("error", onError);
        if (message.views !== undefined) resolve(message.views);
        else reject(new Error(message.error ?? "the model thread answered nothing"));
      };
      const onError = (error: Error) => {
        w.off("message", onMessage);
        reject(error);
      };
      w.once("message", onMessage);
      w.once("error", onError);
      w.postMessage({ config, trials });
    });
  return {
    run(config, trials) {
      const next = queue.then(() => fitOnce(config, trials));
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      await worker?.terminate();
      worker = undefined;
    },
  };
}
