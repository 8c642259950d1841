import { join } from "node:path";
import type { ProcessGroupTracker, RunTrialOptions } from "@bayestune/worker";

/** How `tune` runs a job on a local slot: a folder per study under workDir, the slot's GPU, the orphan guard, the abort signal. */
export function localRunOptions(
  study: string,
  options: { readonly workDir: string; readonly signal?: AbortSignal | undefined },
  guard: ProcessGroupTracker,
  gpu: string | undefined,
): RunTrialOptions {
  return {
    worker: `embedded-${gpu ?? "cpu"}`,
    workDir: join(options.workDir, study),
    groups: guard,
    ...(gpu !== undefined ? { gpu } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
}
