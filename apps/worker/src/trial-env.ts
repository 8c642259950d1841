import { CHILD_ENV, CHILD_PARAM_PREFIX, childParamVariable, type TrialJob } from "@bayestune/protocol";
import { formatParamValue } from "./command-template.js";
import type { TrialPaths } from "./trial-dir.js";
import { PROCESS_TAG_ENV } from "./trial-processes.js";

/**
 * The training process's environment: the worker's own, then `command.env`, then
 * what the worker owns (the CHILD_ENV variables, one `BAYESTUNE_PARAM_*` per
 * parameter, `CUDA_VISIBLE_DEVICES` when a GPU is assigned, the job's process tag),
 * later ones winning.
 *
 * Trial variables inherited from the worker's environment are removed first, so a
 * worker started from inside a trial never leaks, say, a stale checkpoint.
 * `PYTHONUNBUFFERED=1` is set unless given, because Python block-buffers a piped
 * stdout and progress lines would otherwise arrive only at exit.
 */
export function buildTrialEnv(
  job: TrialJob,
  paths: TrialPaths,
  gpu: string | undefined,
  processTag: string,
  parentEnv: Readonly<NodeJS.ProcessEnv>,
): NodeJS.ProcessEnv {
  const trialVariables = new Set<string>(Object.values(CHILD_ENV));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(parentEnv)) {
    if (value !== undefined && !trialVariables.has(key) && !key.startsWith(CHILD_PARAM_PREFIX)) env[key] = value;
  }
  env["PYTHONUNBUFFERED"] ??= "1";
  Object.assign(env, job.command.env);

  env[CHILD_ENV.study] = job.study;
  env[CHILD_ENV.trial] = String(job.trial);
  env[CHILD_ENV.rung] = String(job.rung);
  env[CHILD_ENV.params] = JSON.stringify(job.params);
  env[CHILD_ENV.paramsFile] = paths.paramsFile;
  if (job.fidelity !== undefined) env[CHILD_ENV.fidelity] = String(job.fidelity);
  if (job.checkpoint !== undefined) env[CHILD_ENV.checkpoint] = job.checkpoint;
  env[CHILD_ENV.trialDir] = paths.trialDir;
  env[CHILD_ENV.stopFile] = paths.stopFile;
  env[CHILD_ENV.checkpointDir] = paths.checkpointDir;
  for (const [name, value] of Object.entries(job.params)) env[childParamVariable(name)] = formatParamValue(value);
  if (gpu !== undefined) env["CUDA_VISIBLE_DEVICES"] = gpu;
  env[PROCESS_TAG_ENV] = processTag;
  return env;
}
