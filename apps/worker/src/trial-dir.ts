import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { trialJobId, type TrialJob } from "@bayestune/protocol";

/** Where one trial job keeps its files. */
export interface TrialPaths {
  /** Private to the job (study, trial, rung): checkpoints and logs go here. */
  trialDir: string;
  /** The job's params as one JSON object. */
  paramsFile: string;
  /** Created when the script should stop early; absent at start. */
  stopFile: string;
}

/**
 * Creates the job's directory under `workDir` and writes its params file. Delivery
 * is at least once, so a redelivered job reuses the directory: a stop file left by
 * an earlier attempt is removed, or the script would stop at once.
 */
export async function prepareTrialDir(workDir: string, job: TrialJob): Promise<TrialPaths> {
  const trialDir = join(workDir, trialJobId(job.study, job.trial, job.rung));
  const paths: TrialPaths = {
    trialDir,
    paramsFile: join(trialDir, "params.json"),
    stopFile: join(trialDir, "STOP"),
  };
  await mkdir(trialDir, { recursive: true });
  await rm(paths.stopFile, { force: true });
  await writeFile(paths.paramsFile, `${JSON.stringify(job.params, null, 2)}\n`);
  return paths;
}
