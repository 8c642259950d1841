export { runTrial, type RunTrialOptions } from "./run-trial.js";
export { renderArgv, formatParamValue } from "./command-template.js";
export { WorkerError, InvalidJobError, InvalidOptionsError, type WorkerErrorCode } from "./errors.js";
export { startWorker, type StartWorkerOptions, type RunningWorker } from "./worker-process.js";
export { startOrphanGuard, type OrphanGuard, type ProcessGroupTracker } from "./orphan-guard.js";
