/**
 * The environment a worker gives a training process, read by the Python client.
 * Parameters also arrive as a JSON file and as CLI arguments from the command template.
 */
export const CHILD_ENV = {
  /** The study's name. */
  study: "BAYESTUNE_STUDY",
  /** The trial's number. */
  trial: "BAYESTUNE_TRIAL",
  /** The rung (promotion level), 0 first. */
  rung: "BAYESTUNE_RUNG",
  /** All params as one JSON object. */
  params: "BAYESTUNE_PARAMS",
  /** Path of a JSON file holding the same params. */
  paramsFile: "BAYESTUNE_PARAMS_FILE",
  /** The training budget at this rung, when the study has a fidelity. */
  fidelity: "BAYESTUNE_FIDELITY",
  /** Checkpoint to resume from, when the trial was promoted from one. */
  checkpoint: "BAYESTUNE_CHECKPOINT",
  /** A directory private to this job (study, trial, rung), for logs and scratch files. */
  trialDir: "BAYESTUNE_TRIAL_DIR",
  /**
   * A directory private to the trial (study, trial), the same for each of its rungs, to
   * save checkpoints in: under the worker's shared --checkpoint-dir when it has one, so
   * that a promotion landing on another machine finds them.
   */
  checkpointDir: "BAYESTUNE_CHECKPOINT_DIR",
  /**
   * When this file exists, the script should stop early (the engine pruned or cancelled
   * the trial): print its final line and exit within the worker's stop grace period.
   * The file holds the engine's reason ("pruned"), for information only.
   */
  stopFile: "BAYESTUNE_STOP_FILE",
} as const;

/** Prefix of the one-variable-per-parameter form: BAYESTUNE_PARAM_LR=0.0003. */
export const CHILD_PARAM_PREFIX = "BAYESTUNE_PARAM_";

/** The variable name of one parameter: upper case, non-alphanumerics as '_'. */
export function childParamVariable(name: string): string {
  return CHILD_PARAM_PREFIX + name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}
