import type { ProgressEvent, StudyConfig } from "@bayestune/protocol";
import {
  canonicalJson,
  checkNewTrials,
  newTrialRecord,
  checkFinish,
  checkProgress,
  checkStudyName,
  checkTrialNumber,
  compareIntermediate,
  completesRung,
  finishedState,
  deepFreeze,
  checkPromote,
  promotionError,
  parseStudyConfig,
  rungMismatchError,
  studyExistsError,
  trialFinishedError,
  unknownStudyError,
  unknownTrialError,
} from "./records.js";
import type {
  FinishTrialInput,
  FinishTrialOutcome,
  IntermediateValue,
  PromoteTrialInput,
  PromoteTrialOutcome,
  RungResult,
  Store,
  StoredStudy,
  NewTrial,
  StoredTrial,
} from "./store.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface StudyEntry {
  study: StoredStudy;
  configJson: string;
  trials: Mutable<StoredTrial>[];
  /** `${trial}-${rung}` of every applied finish. */
  finished: Set<string>;
  /** What the last createTrials stored with its trials (see Store.createTrials). */
  samplerState?: string;
}

/**
 * The Store of embedded mode: one process, nothing persisted. Every method runs
 * synchronously to its end before its promise settles, which is what makes each
 * call atomic under concurrent callers.
 */
export class MemoryStore implements Store {
  readonly #studies = new Map<string, StudyEntry>();

  async createStudy(config: StudyConfig): Promise<StoredStudy> {
    const parsed = parseStudyConfig(config);
    const configJson = canonicalJson(parsed);
    const existing = this.#studies.get(parsed.name);
    if (existing !== undefined) {
      if (existing.configJson !== configJson) throw studyExistsError(parsed.name, existing.study.config, parsed);
      return snapshot(existing.study);
    }
    const study: StoredStudy = { name: parsed.name, config: structuredClone(parsed), createdAt: Date.now() };
    this.#studies.set(parsed.name, { study, configJson, trials: [], finished: new Set() });
    return snapshot(study);
  }

  async getStudy(name: string): Promise<StoredStudy | undefined> {
    checkStudyName(name);
    const entry = this.#studies.get(name);
    return entry === undefined ? undefined : snapshot(entry.study);
  }

  async listStudies(): Promise<string[]> {
    return [...this.#studies.keys()].sort();
  }


  async createTrials(study: string, trials: readonly NewTrial[], samplerState?: string): Promise<StoredTrial[]> {
    const checked = checkNewTrials(trials, samplerState);
    const entry = this.#entry(study);
    const createdAt = Date.now();
    const created = checked.map((checkedTrial) => {
      const trial: Mutable<StoredTrial> = newTrialRecord(study, entry.trials.length, checkedTrial, createdAt);
      entry.trials.push(trial);
      return snapshot(trial);
    });
    if (samplerState !== undefined) entry.samplerState = samplerState;
    return created;
  }

  async getSamplerState(study: string): Promise<string | undefined> {
    return this.#entry(study).samplerState;
  }

  async recordProgress(event: ProgressEvent): Promise<{ applied: boolean }> {
    const progress = checkProgress(event);
    const trial = this.#trial(progress.study, progress.trial);
    if (trial.intermediate.some((v) => v.rung === progress.rung && v.step === progress.step)) return { applied: false };
    if (trial.state !== "running") throw trialFinishedError(progress.study, progress.trial, trial.state, `progress (step ${progress.step})`);
    if (progress.rung !== trial.rung) throw rungMismatchError(progress.study, progress.trial, trial.rung, progress.rung);
    const value: IntermediateValue = { rung: progress.rung, step: progress.step, metrics: progress.metrics };
    trial.intermediate = [...trial.intermediate, value].sort(compareIntermediate);
    return { applied: true };
  }

  async finishTrial(result: FinishTrialInput): Promise<FinishTrialOutcome> {
    const finish = checkFinish(result);
    const entry = this.#entry(finish.study);
    const trial = this.#trial(finish.study, finish.trial);
    const key = `${finish.trial}-${finish.rung}`;
    if (entry.finished.has(key)) return { trial: snapshot(trial), applied: false };
    if (trial.state !== "running") throw trialFinishedError(finish.study, finish.trial, trial.state, `a result for rung ${finish.rung}`);
    if (finish.rung !== trial.rung) throw rungMismatchError(finish.study, finish.trial, trial.rung, finish.rung);
    trial.state = finishedState(finish);
    trial.attempts = finish.attempts ?? trial.attempts + 1;
    trial.finishedAt = Date.now();
    if (completesRung(finish)) trial.rungs = [...trial.rungs, rungResult(trial, finish.value as number, finish.checkpoint, trial.finishedAt)];
    if (finish.value !== undefined) trial.value = finish.value;
    if (finish.metrics !== undefined) trial.metrics = finish.metrics;
    if (finish.reason !== undefined) trial.reason = finish.reason;
    if (finish.message !== undefined) trial.message = finish.message;
    if (finish.checkpoint !== undefined) trial.checkpoint = finish.checkpoint;
    if (finish.worker !== undefined) trial.worker = finish.worker;
    entry.finished.add(key);
    return { trial: snapshot(trial), applied: true };
  }

  async promoteTrial(input: PromoteTrialInput): Promise<PromoteTrialOutcome> {
    const promote = checkPromote(input);
    const trial = this.#trial(promote.study, promote.trial);
    if (trial.rung >= promote.rung) return { trial: snapshot(trial), applied: false };
    const refused = promotionError(promote.study, promote.trial, trial.state, trial.rung, promote.rung);
    if (refused !== undefined) throw refused;
    trial.state = "running";
    trial.rung = promote.rung;
    delete trial.value;
    delete trial.finishedAt;
    if (promote.fidelity !== undefined) trial.fidelity = promote.fidelity;
    else delete trial.fidelity;
    return { trial: snapshot(trial), applied: true };
  }

  async getTrial(study: string, number: number): Promise<StoredTrial | undefined> {
    checkTrialNumber(number);
    const trial = this.#entry(study).trials[number];
    return trial === undefined ? undefined : snapshot(trial);
  }

  async getTrials(study: string): Promise<StoredTrial[]> {
    return this.#entry(study).trials.map(snapshot);
  }

  async close(): Promise<void> {
    this.#studies.clear();
  }

  #entry(study: string): StudyEntry {
    checkStudyName(study);
    const entry = this.#studies.get(study);
    if (entry === undefined) throw unknownStudyError(study);
    return entry;
  }

  #trial(study: string, number: number): Mutable<StoredTrial> {
    const trial = this.#entry(study).trials[number];
    if (trial === undefined) throw unknownTrialError(study, number);
    return trial;
  }
}

function rungResult(trial: StoredTrial, value: number, checkpoint: string | undefined, finishedAt: number): RungResult {
  return {
    rung: trial.rung,
    value,
    ...(trial.fidelity !== undefined ? { fidelity: trial.fidelity } : {}),
    ...(checkpoint !== undefined ? { checkpoint } : {}),
    finishedAt,
  };
}

function snapshot<T>(record: T): T {
  return deepFreeze(structuredClone(record));
}
