import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { trialJobId, type TrialJob } from "@bayestune/protocol";

/** Where one trial job keeps its files. */
export interface TrialPaths {
  /** Private to the job (study, trial, rung): logs and scratch files go here. */
  trialDir: string;
  /** The job's params as one JSON object. */
  paramsFile: string;
  /** Created when the script should stop early; absent at start. */
  stopFile: string;
  /** Everything the script wrote to stdout, and to stderr (the result keeps only stderr's tail). */
  stdoutLog: string;
  stderrLog: string;
  /** Private to the trial (study, trial) and the same for all its rungs: checkpoints go here. */
  checkpointDir: string;
}

/**
 * Creates the job's directory under `workDir` and its trial's checkpoint directory
 * under `checkpointRoot`, and writes its params file. Delivery is at least once, so a
 * redelivered job reuses the directories: a stop file left by an earlier attempt is
 * removed, or the script would stop at once.
 */
export async function prepareTrialDir(workDir: string, checkpointRoot: string, job: TrialJob): Promise<TrialPaths> {
  const trialDir = join(workDir, trialJobId(job.study, job.trial, job.rung));
  const paths: TrialPaths = {
    trialDir,
    paramsFile: join(trialDir, "params.json"),
    stopFile: join(trialDir, "STOP"),
    stdoutLog: join(trialDir, "stdout.log"),
    stderrLog: join(trialDir, "stderr.log"),
    checkpointDir: join(checkpointRoot, job.study, String(job.trial)),
  };
  await mkdir(trialDir, { recursive: true });
  await mkdir(paths.checkpointDir, { recursive: true });
  await rm(paths.stopFile, { force: true });
  await writeFile(paths.paramsFile, `${JSON.stringify(job.params, null, 2)}\n`);
  return paths;
}
