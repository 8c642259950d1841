import { join } from "node:path";
import type { Store } from "@bayestune/store";
import type { ProcessGroupTracker, RunTrialOptions } from "@bayestune/worker";

/**
 * How `tune` runs a job on a local slot: a folder per study under workDir, the
 * slot's GPU, the orphan guard, the abort signal, and with a store, its
 * intermediate values recorded there (for the dashboard's learning curves).
 */
export function localRunOptions(
  study: string,
  options: { readonly workDir: string; readonly signal?: AbortSignal | undefined; readonly store?: Store | undefined },
  guard: ProcessGroupTracker,
  gpu: string | undefined,
): RunTrialOptions {
  const { store } = options;
  return {
    worker: `embedded-${gpu ?? "cpu"}`,
    workDir: join(options.workDir, study),
    groups: guard,
    ...(gpu !== undefined ? { gpu } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    // A lost progress report costs a point on a learning curve, never the trial.
    ...(store !== undefined ? { onProgress: (event) => void store.recordProgress(event).catch(() => undefined) } : {}),
  };
}
