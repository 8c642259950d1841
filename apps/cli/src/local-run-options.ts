import { join } from "node:path";
import type { ProcessGroupTracker, RunTrialOptions } from "@bayestune/worker";

/**
 * How `tune` runs a job on a local slot: a folder per study under workDir, the
 * slot's GPU, the orphan guard, the abort signal, what stops it early (the
 * pruner), and where its intermediate reports go.
 */
export function localRunOptions(
  study: string,
  options: {
    readonly workDir: string;
    readonly signal?: AbortSignal | undefined;
    readonly stop: AbortSignal;
    readonly stopGraceMs?: number | undefined;
    readonly onProgress: NonNullable<RunTrialOptions["onProgress"]>;
  },
  guard: ProcessGroupTracker,
  gpu: string | undefined,
): RunTrialOptions {
  return {
    worker: `embedded-${gpu ?? "cpu"}`,
    workDir: join(options.workDir, study),
    groups: guard,
    onProgress: options.onProgress,
    stop: options.stop,
    ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}),
    ...(gpu !== undefined ? { gpu } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
}
