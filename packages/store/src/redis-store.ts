/*
 * RedisStore: the Store of distributed mode, shared by the coordinator and the
 * workers' side of the results queue, and the truth a restarted coordinator reads.
 *
 * Key layout ({prefix} defaults to "bayestune"; study names cannot hold ':', so
 * no key of one study can be mistaken for a key of another):
 *
 *   {prefix}:studies                          set     names of every study
 *   {prefix}:study:{name}                     hash    config (JSON, in the config's key order), createdAt
 *   {prefix}:study:{name}:trial-count         string  trials created so far (INCRBY)
 *   {prefix}:study:{name}:sampler-state       string  the sampler's state after the last ask (opaque
 *                                                     text), written with the trials of that ask
 *   {prefix}:study:{name}:trial:{n}           hash    params (JSON), state, rung, source,
 *                                                     attempts, createdAt, and when set:
 *                                                     fidelity, value, metrics (JSON),
 *                                                     reason, message, checkpoint,
 *                                                     finishedAt, worker
 *   {prefix}:study:{name}:trial:{n}:progress  hash    "{rung}-{step}" -> {rung, step, metrics} JSON
 *   {prefix}:study:{name}:done                set     "{trial}-{rung}" of every applied finish
 *   {prefix}:study:{name}:lease               string  the live coordinator's lease: its owner, host, pid,
 *                                                     since (JSON), with a TTL it renews (./study-lease.ts)
 *
 * Beside them, under the same prefix, the workers keep theirs (apps/worker): worker:{id}
 * (registration), alive:{instance} and claim:{jobId} (trial-claims.ts).
 *
 * Numbers are written with String(x) (the shortest string that parses back to the
 * same float64) and read with Number(), so they round-trip exactly. Every write
 * that touches more than one key, or reads before it writes, is one Lua script
 * (./redis-scripts.ts); reads of several keys are one MULTI.
 */
import { Redis } from "ioredis";
import type { ChoiceValue, FailureReason, ProgressEvent, StudyConfig } from "@bayestune/protocol";
import { StoreError } from "./errors.js";
import {
  canonicalJson,
  checkNewTrials,
  newTrialRecord,
  checkFinish,
  checkProgress,
  checkPromote,
  checkStudyName,
  checkTrialNumber,
  compareIntermediate,
  completesRung,
  finishedState,
  deepFreeze,
  parseStudyConfig,
  promotionError,
  rungMismatchError,
  studyExistsError,
  trialFinishedError,
  unknownStudyError,
  unknownTrialError,
} from "./records.js";
import {
  ScriptCode,
  allScripts,
  createStudyScript,
  createTrialsScript,
  finishTrialScript,
  promoteTrialScript,
  recordProgressScript,
  type ScriptDefinition,
} from "./redis-scripts.js";
import type {
  FinishTrialInput,
  FinishTrialOutcome,
  IntermediateValue,
  Metrics,
  PromoteTrialInput,
  PromoteTrialOutcome,
  RungResult,
  Store,
  StoredStudy,
  NewTrial,
  StoredTrial,
  TrialSource,
} from "./store.js";

export interface RedisStoreOptions {
  /**
   * A connection to use, or a URL to open one. A connection passed in stays the
   * caller's: `close()` leaves it open (the store's scripts are defined on it).
   */
  redis: Redis | string;
  /** First part of every key, to keep several deployments apart in one Redis. @defaultValue "bayestune" */
  prefix?: string;
}

type ScriptReply = [number, string | null, string | null];
type ScriptFunction = (...keysAndArgs: string[]) => Promise<unknown>;

export class RedisStore implements Store {
  readonly #redis: Redis;
  readonly #ownsConnection: boolean;
  readonly #prefix: string;

  constructor(options: RedisStoreOptions) {
    const prefix = options.prefix ?? "bayestune";
    if (typeof prefix !== "string" || prefix.length === 0) {
      throw new StoreError("INVALID_RECORD", `prefix must be a non-empty string, got ${JSON.stringify(prefix)}`);
    }
    if (typeof options.redis === "string") {
      this.#redis = new Redis(options.redis);
      this.#ownsConnection = true;
    } else if (options.redis instanceof Redis) {
      this.#redis = options.redis;
      this.#ownsConnection = false;
    } else {
      throw new StoreError("INVALID_RECORD", `redis must be an ioredis connection or a URL, got ${String(options.redis)}`);
    }
    this.#prefix = prefix;
    for (const script of allScripts) {
      this.#redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    }
  }

  async createStudy(config: StudyConfig): Promise<StoredStudy> {
    const parsed = parseStudyConfig(config);
    // Stored in the config's own key order, so that the dashboard shows the parameters in the order
    // the user wrote them; equality is checked on the canonical form, whatever the order.
    const [, storedJson, createdAt] = (await this.#run(
      createStudyScript,
      [this.#key("studies"), this.#studyKey(parsed.name)],
      [parsed.name, JSON.stringify(parsed), String(Date.now())],
    )) as ScriptReply;
    const stored = this.#decodeStudy(parsed.name, storedJson, createdAt);
    // Compared after parsing, so a config stored by an older version (without keys added since, which
    // take their defaults, or with its keys sorted) still matches the same study given again.
    if (canonicalJson(stored.config) !== canonicalJson(parsed)) throw studyExistsError(parsed.name, stored.config, parsed);
    return stored;
  }

  async getStudy(name: string): Promise<StoredStudy | undefined> {
    checkStudyName(name);
    const [configJson, createdAt] = await this.#redis.hmget(this.#studyKey(name), "config", "createdAt");
    return configJson === null || configJson === undefined ? undefined : this.#decodeStudy(name, configJson, createdAt ?? null);
  }

  async listStudies(): Promise<string[]> {
    return (await this.#redis.smembers(this.#key("studies"))).sort();
  }


  async createTrials(study: string, trials: readonly NewTrial[], samplerState?: string): Promise<StoredTrial[]> {
    checkStudyName(study);
    const checked = checkNewTrials(trials, samplerState);
    const createdAt = Date.now();
    const args = [`${this.#studyKey(study)}:trial:`, String(createdAt), samplerState === undefined ? "0" : "1", samplerState ?? ""];
    for (const t of checked) args.push(JSON.stringify(t.params), t.source, t.fidelity === undefined ? "" : String(t.fidelity));
    const first = Number(await this.#run(createTrialsScript, [this.#studyKey(study), this.#trialCountKey(study), this.#samplerStateKey(study)], args));
    if (first === ScriptCode.UNKNOWN_STUDY) throw unknownStudyError(study);
    // Built here rather than read back: the script wrote exactly these fields.
    return checked.map((trial, i) => deepFreeze(newTrialRecord(study, first + i, trial, createdAt)));
  }

  async getSamplerState(study: string): Promise<string | undefined> {
    checkStudyName(study);
    const [exists, state] = (await this.#redis.multi().exists(this.#studyKey(study)).get(this.#samplerStateKey(study)).exec()) ?? [];
    if (exists?.[1] === 0) throw unknownStudyError(study);
    return (state?.[1] as string | null) ?? undefined;
  }

  async recordProgress(event: ProgressEvent): Promise<{ applied: boolean }> {
    const progress = checkProgress(event);
    const report: IntermediateValue = { rung: progress.rung, step: progress.step, metrics: progress.metrics };
    const [code, state, rung] = (await this.#run(
      recordProgressScript,
      [this.#studyKey(progress.study), this.#trialKey(progress.study, progress.trial), this.#progressKey(progress.study, progress.trial)],
      [String(progress.rung), `${progress.rung}-${progress.step}`, JSON.stringify(report)],
    )) as ScriptReply;
    switch (code) {
      case ScriptCode.APPLIED:
        return { applied: true };
      case ScriptCode.ALREADY_APPLIED:
        return { applied: false };
      case ScriptCode.TRIAL_FINISHED:
        throw trialFinishedError(progress.study, progress.trial, String(state), `progress (step ${progress.step})`);
      default:
        throw this.#scriptError(code, progress.study, progress.trial, progress.rung, rung);
    }
  }

  async finishTrial(result: FinishTrialInput): Promise<FinishTrialOutcome> {
    const finish = checkFinish(result);
    const finishedAt = Date.now();
    const fields: string[] = ["state", finishedState(finish), "finishedAt", String(finishedAt)];
    if (finish.value !== undefined) fields.push("value", String(finish.value));
    if (finish.metrics !== undefined) fields.push("metrics", JSON.stringify(finish.metrics));
    if (finish.reason !== undefined) fields.push("reason", finish.reason);
    if (finish.message !== undefined) fields.push("message", finish.message);
    if (finish.checkpoint !== undefined) fields.push("checkpoint", finish.checkpoint);
    if (finish.worker !== undefined) fields.push("worker", finish.worker);
    // JSON keeps every float64 exact (shortest round-trip form); the script adds the fidelity.
    const rungResult = completesRung(finish)
        ? JSON.stringify({ rung: finish.rung, value: finish.value, ...(finish.checkpoint !== undefined ? { checkpoint: finish.checkpoint } : {}), finishedAt })
        : "";
    const [code, state, rung] = (await this.#run(
      finishTrialScript,
      [this.#studyKey(finish.study), this.#trialKey(finish.study, finish.trial), this.#key("study", finish.study, "done"), this.#rungsKey(finish.study, finish.trial)],
      [`${finish.trial}-${finish.rung}`, String(finish.rung), finish.attempts === undefined ? "" : String(finish.attempts), rungResult, ...fields],
    )) as ScriptReply;
    if (code === ScriptCode.TRIAL_FINISHED) {
      throw trialFinishedError(finish.study, finish.trial, String(state), `a result for rung ${finish.rung}`);
    }
    if (code !== ScriptCode.APPLIED && code !== ScriptCode.ALREADY_APPLIED) {
      throw this.#scriptError(code, finish.study, finish.trial, finish.rung, rung);
    }
    // Read after the write: a paused trial may be promoted in between, and the read then shows it (a newer state).
    const trial = await this.getTrial(finish.study, finish.trial);
    if (trial === undefined) throw unknownTrialError(finish.study, finish.trial);
    return { trial, applied: code === ScriptCode.APPLIED };
  }

  async promoteTrial(input: PromoteTrialInput): Promise<PromoteTrialOutcome> {
    const promote = checkPromote(input);
    const [code, state, rung] = (await this.#run(
      promoteTrialScript,
      [this.#studyKey(promote.study), this.#trialKey(promote.study, promote.trial)],
      [String(promote.rung), promote.fidelity === undefined ? "" : String(promote.fidelity)],
    )) as ScriptReply;
    if (code === ScriptCode.PROMOTION_REFUSED) {
      throw promotionError(promote.study, promote.trial, String(state), Number(rung), promote.rung) ?? new StoreError("INVALID_RECORD", `the promotion of trial ${promote.trial} was refused`);
    }
    if (code !== ScriptCode.APPLIED && code !== ScriptCode.ALREADY_APPLIED) {
      throw this.#scriptError(code, promote.study, promote.trial, promote.rung, rung);
    }
    const trial = await this.getTrial(promote.study, promote.trial);
    if (trial === undefined) throw unknownTrialError(promote.study, promote.trial);
    return { trial, applied: code === ScriptCode.APPLIED };
  }

  async getTrial(study: string, number: number): Promise<StoredTrial | undefined> {
    checkStudyName(study);
    checkTrialNumber(number);
    const replies = await this.#redis
      .multi()
      .exists(this.#studyKey(study))
      .hgetall(this.#trialKey(study, number))
      .hgetall(this.#progressKey(study, number))
      .hgetall(this.#rungsKey(study, number))
      .exec();
    const [exists, hash, progress, rungs] = execResults(replies);
    if (exists === 0) throw unknownStudyError(study);
    const fields = hash as Record<string, string>;
    if (Object.keys(fields).length === 0) return undefined;
    return this.#decodeTrial(study, number, fields, progress as Record<string, string>, rungs as Record<string, string>);
  }

  async getTrials(study: string): Promise<StoredTrial[]> {
    checkStudyName(study);
    const [exists, count] = execResults(
      await this.#redis.multi().exists(this.#studyKey(study)).get(this.#trialCountKey(study)).exec(),
    );
    if (exists === 0) throw unknownStudyError(study);
    const n = count === null ? 0 : Number(count);
    if (n === 0) return [];
    const read = this.#redis.multi();
    for (let i = 0; i < n; i++) read.hgetall(this.#trialKey(study, i)).hgetall(this.#progressKey(study, i)).hgetall(this.#rungsKey(study, i));
    const replies = execResults(await read.exec()) as Record<string, string>[];
    const trials: StoredTrial[] = [];
    for (let i = 0; i < n; i++) {
      trials.push(this.#decodeTrial(study, i, replies[3 * i]!, replies[3 * i + 1]!, replies[3 * i + 2]!));
    }
    return trials;
  }

  async close(): Promise<void> {
    if (this.#ownsConnection) await this.#redis.quit();
  }

  #key(...parts: string[]): string {
    return [this.#prefix, ...parts].join(":");
  }

  #studyKey(study: string): string {
    return this.#key("study", study);
  }

  #trialCountKey(study: string): string {
    return this.#key("study", study, "trial-count");
  }

  #samplerStateKey(study: string): string {
    return this.#key("study", study, "sampler-state");
  }

  #trialKey(study: string, number: number): string {
    return this.#key("study", study, "trial", String(number));
  }

  #rungsKey(study: string, number: number): string {
    return this.#key("study", study, "trial", String(number), "rungs");
  }

  #progressKey(study: string, number: number): string {
    return this.#key("study", study, "trial", String(number), "progress");
  }

  #run(script: ScriptDefinition, keys: string[], args: string[]): Promise<unknown> {
    const command = (this.#redis as unknown as Record<string, ScriptFunction>)[script.name];
    if (command === undefined) throw new Error(`bayestune store: script ${script.name} is not defined on the connection`);
    return command.call(this.#redis, ...keys, ...args);
  }

  #scriptError(code: number, study: string, trial: number, rung: number, storedRung: string | null): StoreError {
    switch (code) {
      case ScriptCode.UNKNOWN_STUDY:
        return unknownStudyError(study);
      case ScriptCode.UNKNOWN_TRIAL:
        return unknownTrialError(study, trial);
      case ScriptCode.RUNG_MISMATCH:
        return rungMismatchError(study, trial, Number(storedRung), rung);
      default:
        return new StoreError("INVALID_RECORD", `a store script must return a known code, got ${code}`);
    }
  }

  #decodeStudy(name: string, configJson: string | null, createdAt: string | null): StoredStudy {
    if (configJson === null || createdAt === null) throw corrupt(this.#studyKey(name), "config and createdAt");
    return deepFreeze({ name, config: parseStudyConfig(parseJson(configJson, this.#studyKey(name)) as StudyConfig), createdAt: Number(createdAt) });
  }

  #decodeTrial(
    study: string,
    number: number,
    hash: Record<string, string>,
    progress: Record<string, string>,
    rungHash: Record<string, string>,
  ): StoredTrial {
    const key = this.#trialKey(study, number);
    const { params, state, rung, source, attempts, createdAt } = hash;
    if (params === undefined || state === undefined || rung === undefined || source === undefined || attempts === undefined || createdAt === undefined) {
      throw corrupt(key, "params, state, rung, source, attempts and createdAt");
    }
    const intermediate = Object.values(progress)
      .map((json) => parseJson(json, `${key}:progress`) as IntermediateValue)
      .sort(compareIntermediate);
    const trial: { -readonly [K in keyof StoredTrial]: StoredTrial[K] } = {
      study,
      number,
      params: parseJson(params, key) as Record<string, ChoiceValue>,
      state: state as StoredTrial["state"],
      rung: Number(rung),
      intermediate,
      rungs: decodeRungs(rungHash, `${key}:rungs`),
      source: source as TrialSource,
      attempts: Number(attempts),
      createdAt: Number(createdAt),
    };
    if (hash.value !== undefined) trial.value = Number(hash.value);
    if (hash.metrics !== undefined) trial.metrics = parseJson(hash.metrics, key) as Metrics;
    if (hash.reason !== undefined) trial.reason = hash.reason as FailureReason;
    if (hash.message !== undefined) trial.message = hash.message;
    if (hash.fidelity !== undefined) trial.fidelity = Number(hash.fidelity);
    if (hash.checkpoint !== undefined) trial.checkpoint = hash.checkpoint;
    if (hash.finishedAt !== undefined) trial.finishedAt = Number(hash.finishedAt);
    if (hash.worker !== undefined) trial.worker = hash.worker;
    return deepFreeze(trial);
  }
}

/** RungResults from the rungs hash: "{rung}" → JSON, "{rung}:fidelity" → the fidelity string. */
function decodeRungs(hash: Record<string, string>, key: string): RungResult[] {
  const results: RungResult[] = [];
  for (const [field, json] of Object.entries(hash)) {
    if (field.endsWith(":fidelity")) continue;
    const entry = parseJson(json, key) as Omit<RungResult, "fidelity">;
    const fidelity = hash[`${field}:fidelity`];
    results.push(fidelity === undefined ? entry : { ...entry, fidelity: Number(fidelity) });
  }
  return results.sort((a, b) => a.rung - b.rung);
}

/** The replies of a MULTI, failing on the first command that failed. */
function execResults(replies: [error: Error | null, result: unknown][] | null): unknown[] {
  if (replies === null) throw new Error("bayestune store: a MULTI must run, got it discarded");
  return replies.map(([error, result]) => {
    if (error !== null) throw error;
    return result;
  });
}

function parseJson(json: string, key: string): unknown {
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw new StoreError("INVALID_RECORD", `${key} must hold valid JSON, got ${JSON.stringify(json.slice(0, 80))}`, { cause });
  }
}

function corrupt(key: string, fields: string): StoreError {
  return new StoreError("INVALID_RECORD", `${key} must hold ${fields}, got a hash without them (written by something else?)`);
}
