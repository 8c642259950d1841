import { FailureReason, StudyConfig, StudyName, formatZodIssues } from "@bayestune/protocol";
import type { ChoiceValue, ProgressEvent } from "@bayestune/protocol";
import { StoreError } from "./errors.js";
import type { FinishTrialInput, Metrics, NewTrial, PromoteTrialInput, StoredTrial, TrialSource, TrialState } from "./store.js";

/*
 * Input checks and record helpers shared by every Store backend, so that they
 * accept and reject exactly the same things with exactly the same messages.
 * Everything is checked before a backend writes anything.
 */

export function checkStudyName(name: string): void {
  if (!StudyName.safeParse(name).success) {
    throw new StoreError(
      "INVALID_RECORD",
      `a study name must be 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}`,
    );
  }
}

export function checkTrialNumber(number: number, what = "trial"): void {
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new StoreError("INVALID_RECORD", `${what} must be an integer >= 0, got ${String(number)}`);
  }
}

export function parseStudyConfig(config: StudyConfig): StudyConfig {
  const parsed = StudyConfig.safeParse(config);
  if (!parsed.success) throw new StoreError("INVALID_RECORD", formatZodIssues(parsed.error, "study config"), { cause: parsed.error });
  return parsed.data;
}

/** JSON with object keys sorted, so that equal configs give equal strings whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function studyExistsError(name: string, stored: StudyConfig, given: StudyConfig): StoreError {
  const keys = new Set([...Object.keys(stored), ...Object.keys(given)]);
  const differing = [...keys]
    .filter((k) => canonicalJson((stored as Record<string, unknown>)[k]) !== canonicalJson((given as Record<string, unknown>)[k]))
    .sort();
  return new StoreError(
    "STUDY_EXISTS",
    `a study created again must have its stored config, got a different one for "${name}" ` +
      `(differs in: ${differing.join(", ")}); pick another study name`,
  );
}

export function unknownStudyError(study: string): StoreError {
  return new StoreError("UNKNOWN_STUDY", `study "${study}" must exist, got no such study (create it with createStudy first)`);
}

export function unknownTrialError(study: string, trial: number): StoreError {
  return new StoreError("UNKNOWN_TRIAL", `trial ${trial} must exist in study "${study}", got no such trial`);
}

export function trialFinishedError(study: string, trial: number, state: string, what: string): StoreError {
  return new StoreError("TRIAL_FINISHED", `trial ${trial} of study "${study}" must be running to accept ${what}, got state "${state}"`);
}

export function rungMismatchError(study: string, trial: number, currentRung: number, rung: number): StoreError {
  return new StoreError(
    "INVALID_RECORD",
    `rung must equal trial ${trial}'s current rung ${currentRung} in study "${study}", got ${rung}`,
  );
}

/** -0 becomes 0 because JSON, and so the Redis store, cannot tell them apart. */
function finite(value: number, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new StoreError("INVALID_RECORD", `${what} must be a finite number, got ${String(value)}`);
  }
  return value === 0 ? 0 : value;
}

function checkPlainObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new StoreError("INVALID_RECORD", `${what} must be a plain object, got ${Array.isArray(value) ? "an array" : String(value)}`);
  }
}

export function copyParams(params: Readonly<Record<string, ChoiceValue>>): Record<string, ChoiceValue> {
  checkPlainObject(params, "params");
  const copy: Record<string, ChoiceValue> = {};
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === "number") copy[key] = finite(value, `params.${key}`);
    else if (value === null || typeof value === "string" || typeof value === "boolean") copy[key] = value;
    else throw new StoreError("INVALID_RECORD", `params.${key} must be a string, finite number, boolean or null, got ${typeof value}`);
  }
  return copy;
}

export function copyMetrics(metrics: Readonly<Metrics>, what: string): Metrics {
  checkPlainObject(metrics, what);
  const copy: Metrics = {};
  for (const [key, value] of Object.entries(metrics)) copy[key] = value === null ? null : finite(value, `${what}.${key}`);
  return copy;
}

export function checkSource(source: TrialSource): void {
  if (source !== "sampler" && source !== "enqueued") {
    throw new StoreError("INVALID_RECORD", `source must be "sampler" or "enqueued", got ${JSON.stringify(source)}`);
  }
}

export function checkFidelity(fidelity: number | undefined): number | undefined {
  if (fidelity === undefined) return undefined;
  const value = finite(fidelity, "fidelity");
  if (value <= 0) throw new StoreError("INVALID_RECORD", `fidelity must be > 0, got ${value}`);
  return value;
}

/** A trial to create, checked and copied: params, source and fidelity as the store keeps them. */
export function checkNewTrial(trial: NewTrial): { params: Record<string, ChoiceValue>; source: TrialSource; fidelity: number | undefined } {
  checkPlainObject(trial, "a new trial");
  const params = copyParams(trial.params);
  checkSource(trial.source);
  return { params, source: trial.source, fidelity: checkFidelity(trial.fidelity) };
}

/** The record of a trial just created: running at rung 0, nothing reported yet. */
export function newTrialRecord(study: string, number: number, trial: ReturnType<typeof checkNewTrial>, createdAt: number): StoredTrial {
  return {
    study,
    number,
    params: trial.params,
    state: "running",
    rung: 0,
    intermediate: [],
    rungs: [],
    source: trial.source,
    attempts: 0,
    createdAt,
    ...(trial.fidelity !== undefined ? { fidelity: trial.fidelity } : {}),
  };
}

/** The trials of one createTrials call, checked before anything is written; `samplerState` must be text when given. */
export function checkNewTrials(trials: readonly NewTrial[], samplerState: string | undefined): ReturnType<typeof checkNewTrial>[] {
  if (!Array.isArray(trials)) throw new StoreError("INVALID_RECORD", "trials must be an array");
  if (samplerState !== undefined && typeof samplerState !== "string") {
    throw new StoreError("INVALID_RECORD", `samplerState must be a string, got ${typeof samplerState}`);
  }
  return trials.map(checkNewTrial);
}

export interface CheckedProgress {
  study: string;
  trial: number;
  rung: number;
  step: number;
  metrics: Metrics;
}

export function checkProgress(event: ProgressEvent): CheckedProgress {
  checkStudyName(event.study);
  checkTrialNumber(event.trial);
  checkTrialNumber(event.rung, "rung");
  checkTrialNumber(event.step, "step");
  return { study: event.study, trial: event.trial, rung: event.rung, step: event.step, metrics: copyMetrics(event.metrics, "metrics") };
}

/** The state a checked finish leaves its trial in. */
export function finishedState(finish: CheckedFinish): TrialState {
  return finish.pause ? "paused" : finish.stopped ? "pruned" : finish.state;
}

/** Whether a finish completes its rung (a rung result is recorded): a stopped trial did not reach the rung's end. */
export function completesRung(finish: CheckedFinish): boolean {
  return finish.state === "complete" && !finish.stopped;
}

/** The fields a finish writes, with absent ones left out. */
export interface CheckedFinish {
  study: string;
  trial: number;
  rung: number;
  state: "complete" | "failed";
  /** Leave the trial paused after a complete rung. */
  pause: boolean;
  /** The trial was stopped early: it becomes "pruned", its rung not completed. */
  stopped: boolean;
  value?: number;
  metrics?: Metrics;
  reason?: FailureReason;
  message?: string;
  checkpoint?: string;
  worker?: string;
  attempts?: number;
}

export function checkFinish(input: FinishTrialInput): CheckedFinish {
  checkStudyName(input.study);
  checkTrialNumber(input.trial);
  checkTrialNumber(input.rung, "rung");
  const pause = input.pause ?? false;
  if (typeof pause !== "boolean") throw new StoreError("INVALID_RECORD", `pause must be a boolean, got ${String(pause)}`);
  if (pause && input.state !== "complete") {
    throw new StoreError("INVALID_RECORD", `only a complete rung can pause a trial for promotion, got state ${JSON.stringify(input.state)} for trial ${input.trial}`);
  }
  const stopped = input.stopped ?? false;
  if (typeof stopped !== "boolean") throw new StoreError("INVALID_RECORD", `stopped must be a boolean, got ${String(stopped)}`);
  if (stopped && (input.state !== "complete" || pause)) {
    throw new StoreError("INVALID_RECORD", `only a complete result that does not pause can prune a trial, got state ${JSON.stringify(input.state)}${pause ? " with pause" : ""} for trial ${input.trial}`);
  }
  const out: CheckedFinish = { study: input.study, trial: input.trial, rung: input.rung, state: input.state, pause, stopped };
  if (input.state === "complete") {
    if (input.value === undefined) throw new StoreError("INVALID_RECORD", `a complete result must have a value, got none for trial ${input.trial}`);
  } else if (input.state === "failed") {
    if (input.reason === undefined) throw new StoreError("INVALID_RECORD", `a failed result must have a reason, got none for trial ${input.trial}`);
  } else {
    throw new StoreError("INVALID_RECORD", `state must be "complete" or "failed", got ${JSON.stringify(input.state)}`);
  }
  if (input.value !== undefined) out.value = finite(input.value, "value");
  if (input.metrics !== undefined) out.metrics = copyMetrics(input.metrics, "metrics");
  if (input.reason !== undefined) {
    const reason = FailureReason.safeParse(input.reason);
    if (!reason.success) {
      throw new StoreError("INVALID_RECORD", `reason must be one of ${FailureReason.options.join(", ")}, got ${JSON.stringify(input.reason)}`);
    }
    out.reason = reason.data;
  }
  if (input.message !== undefined) out.message = input.message;
  if (input.checkpoint !== undefined) out.checkpoint = input.checkpoint;
  if (input.worker !== undefined) out.worker = input.worker;
  if (input.attempts !== undefined) {
    checkTrialNumber(input.attempts, "attempts");
    out.attempts = input.attempts;
  }
  return out;
}

export interface CheckedPromote {
  study: string;
  trial: number;
  rung: number;
  fidelity?: number;
}

export function checkPromote(input: PromoteTrialInput): CheckedPromote {
  checkStudyName(input.study);
  checkTrialNumber(input.trial);
  checkTrialNumber(input.rung, "rung");
  if (input.rung < 1) throw new StoreError("INVALID_RECORD", `a promotion must go to rung 1 or above, got ${input.rung} for trial ${input.trial}`);
  const out: CheckedPromote = { study: input.study, trial: input.trial, rung: input.rung };
  const fidelity = checkFidelity(input.fidelity);
  if (fidelity !== undefined) out.fidelity = fidelity;
  return out;
}

/** Why `trial` (state, rung as stored) cannot be promoted to `rung`; undefined when it can. */
export function promotionError(study: string, trial: number, state: string, storedRung: number, rung: number): StoreError | undefined {
  if (state === "complete" || state === "failed" || state === "pruned") return trialFinishedError(study, trial, state, `a promotion to rung ${rung}`);
  if (state !== "paused") {
    return new StoreError("INVALID_RECORD", `trial ${trial} of study "${study}" must be paused to be promoted to rung ${rung}, got state "${state}"`);
  }
  if (rung !== storedRung + 1) {
    return new StoreError("INVALID_RECORD", `a promotion must go one rung up, from ${storedRung} to ${storedRung + 1}, got rung ${rung} for trial ${trial} of study "${study}"`);
  }
  return undefined;
}

export function compareIntermediate(a: { rung: number; step: number }, b: { rung: number; step: number }): number {
  return a.rung - b.rung || a.step - b.step;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

