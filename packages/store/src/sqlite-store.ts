/*
 * SqliteStore: the Store of embedded studies, in one local file, so that a study
 * run again resumes where it stopped. The schema and how the file is opened are
 * in ./sqlite-schema.ts.
 *
 * better-sqlite3 is synchronous, so each method runs to its end before its
 * promise settles. Each write is one `BEGIN IMMEDIATE` transaction: it takes the
 * file's write lock before it reads, so two stores on one file (in one process or
 * several) can neither hand out the same trial number nor act on a state the
 * other is changing, and a reader sees a write whole or not at all. Reads of
 * several tables are one transaction too, so they come from one snapshot.
 */
import type Database from "better-sqlite3";
import type { ProgressEvent, StudyConfig } from "@bayestune/protocol";
import { StoreError } from "./errors.js";
import {
  canonicalJson,
  checkFinish,
  checkNewTrials,
  checkProgress,
  checkPromote,
  checkStudyName,
  checkTrialNumber,
  completesRung,
  deepFreeze,
  finishedState,
  newTrialRecord,
  parseStudyConfig,
  promotionError,
  rungMismatchError,
  studyExistsError,
  trialFinishedError,
  unknownStudyError,
  unknownTrialError,
} from "./records.js";
import { openStoreDatabase } from "./sqlite-schema.js";
import {
  TRIAL_COLUMNS,
  studyRecord,
  trialRecord,
  type IntermediateRow,
  type RungResultRow,
  type StudyRow,
  type TrialRow,
} from "./sqlite-rows.js";
import type {
  FinishTrialInput,
  FinishTrialOutcome,
  NewTrial,
  PromoteTrialInput,
  PromoteTrialOutcome,
  Store,
  StoredStudy,
  StoredTrial,
  TrialSource,
  TrialState,
} from "./store.js";

export interface SqliteStoreOptions {
  /** The store file, created when missing; ":memory:" for a store that lives only as long as this object. */
  path: string;
  /**
   * How long a write waits for another connection's write to the same file to
   * end before it fails with SQLITE_BUSY. @defaultValue 5000
   */
  busyTimeoutMs?: number;
}

/** What a write needs to know of a trial before it changes it. */
interface TrialStateRow {
  state: TrialState;
  rung: number;
  fidelity: number | null;
}

type TrialKey = { study: string; number: number };

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #sql: ReturnType<typeof prepareStatements>;

  constructor(options: SqliteStoreOptions) {
    const { path, busyTimeoutMs = 5000 } = options;
    if (typeof path !== "string" || path.length === 0) {
      throw new StoreError("INVALID_RECORD", `path must be a non-empty string, got ${JSON.stringify(path)}`);
    }
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new StoreError("INVALID_RECORD", `busyTimeoutMs must be an integer >= 0, got ${String(busyTimeoutMs)}`);
    }
    this.#db = openStoreDatabase(path, busyTimeoutMs);
    this.#sql = prepareStatements(this.#db);
  }

  async createStudy(config: StudyConfig): Promise<StoredStudy> {
    const parsed = parseStudyConfig(config);
    // Stored in the config's own key order (the dashboard shows the parameters in the order the user
    // wrote them); equality is checked on the canonical form, whatever the order.
    const row = this.#write(() => {
      this.#sql.insertStudy.run({ name: parsed.name, config: JSON.stringify(parsed), createdAt: Date.now() });
      // There now: inserted just above, or before.
      return this.#sql.selectStudy.get(parsed.name)!;
    });
    const stored = studyRecord(row);
    if (canonicalJson(stored.config) !== canonicalJson(parsed)) throw studyExistsError(parsed.name, stored.config, parsed);
    return stored;
  }

  async getStudy(name: string): Promise<StoredStudy | undefined> {
    checkStudyName(name);
    const row = this.#sql.selectStudy.get(name);
    return row === undefined ? undefined : studyRecord(row);
  }

  async listStudies(): Promise<string[]> {
    return this.#sql.listStudies.all();
  }


  async createTrials(study: string, trials: readonly NewTrial[], samplerState?: string): Promise<StoredTrial[]> {
    checkStudyName(study);
    const checked = checkNewTrials(trials, samplerState);
    const createdAt = Date.now();
    const first = this.#write(() => {
      this.#requireStudy(study);
      const next = this.#sql.nextTrialNumber.get(study)!;
      checked.forEach((trial, i) => {
        this.#sql.insertTrial.run({
          study,
          number: next + i,
          params: JSON.stringify(trial.params),
          source: trial.source,
          createdAt,
          fidelity: trial.fidelity ?? null,
        });
      });
      if (samplerState !== undefined) this.#sql.setSamplerState.run(samplerState, study);
      return next;
    });
    // Built here rather than read back: the transaction wrote exactly these fields.
    return checked.map((trial, i) => deepFreeze(newTrialRecord(study, first + i, trial, createdAt)));
  }

  async getSamplerState(study: string): Promise<string | undefined> {
    checkStudyName(study);
    return this.#requireStudy(study).sampler_state ?? undefined;
  }

  async recordProgress(event: ProgressEvent): Promise<{ applied: boolean }> {
    const progress = checkProgress(event);
    return this.#write(() => {
      const key = { study: progress.study, number: progress.trial };
      const trial = this.#trialState(key);
      if (trial.state !== "running" || progress.rung !== trial.rung) {
        // A redelivered report is no error, whatever the trial did since.
        if (this.#sql.intermediateExists.get({ ...key, rung: progress.rung, step: progress.step }) !== undefined) return { applied: false };
        if (trial.state !== "running") throw trialFinishedError(progress.study, progress.trial, trial.state, `progress (step ${progress.step})`);
        throw rungMismatchError(progress.study, progress.trial, trial.rung, progress.rung);
      }
      const { changes } = this.#sql.insertIntermediate.run({ ...key, rung: progress.rung, step: progress.step, metrics: JSON.stringify(progress.metrics) });
      return { applied: changes === 1 };
    });
  }

  async finishTrial(result: FinishTrialInput): Promise<FinishTrialOutcome> {
    const finish = checkFinish(result);
    return this.#write(() => {
      const key = { study: finish.study, number: finish.trial };
      const trial = this.#trialState(key);
      if (rungFinished(trial, finish.rung)) return this.#outcome(key, false);
      if (trial.state !== "running") throw trialFinishedError(finish.study, finish.trial, trial.state, `a result for rung ${finish.rung}`);
      if (finish.rung !== trial.rung) throw rungMismatchError(finish.study, finish.trial, trial.rung, finish.rung);
      const finishedAt = Date.now();
      this.#sql.finishTrial.run({
        ...key,
        state: finishedState(finish),
        finishedAt,
        attempts: finish.attempts ?? null,
        value: finish.value ?? null,
        metrics: finish.metrics === undefined ? null : JSON.stringify(finish.metrics),
        reason: finish.reason ?? null,
        message: finish.message ?? null,
        checkpoint: finish.checkpoint ?? null,
        worker: finish.worker ?? null,
      });
      if (completesRung(finish)) {
        this.#sql.insertRungResult.run({
          ...key,
          rung: finish.rung,
          value: finish.value as number, // checkFinish requires one of a complete result
          fidelity: trial.fidelity,
          checkpoint: finish.checkpoint ?? null,
          finishedAt,
        });
      }
      return this.#outcome(key, true);
    });
  }

  async promoteTrial(input: PromoteTrialInput): Promise<PromoteTrialOutcome> {
    const promote = checkPromote(input);
    return this.#write(() => {
      const key = { study: promote.study, number: promote.trial };
      const trial = this.#trialState(key);
      if (trial.rung >= promote.rung) return this.#outcome(key, false);
      const refused = promotionError(promote.study, promote.trial, trial.state, trial.rung, promote.rung);
      if (refused !== undefined) throw refused;
      this.#sql.promoteTrial.run({ ...key, rung: promote.rung, fidelity: promote.fidelity ?? null });
      return this.#outcome(key, true);
    });
  }

  async getTrial(study: string, number: number): Promise<StoredTrial | undefined> {
    checkStudyName(study);
    checkTrialNumber(number);
    return this.#read(() => {
      this.#requireStudy(study);
      return this.#readTrial({ study, number });
    });
  }

  async getTrials(study: string): Promise<StoredTrial[]> {
    checkStudyName(study);
    return this.#read(() => {
      this.#requireStudy(study);
      const intermediate = groupByTrial(this.#sql.selectStudyIntermediate.all(study));
      const rungResults = groupByTrial(this.#sql.selectStudyRungResults.all(study));
      return this.#sql.selectTrials
        .all(study)
        .map((row) => trialRecord(study, row, intermediate.get(row.number) ?? [], rungResults.get(row.number) ?? []));
    });
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  #write<T>(change: () => T): T {
    return this.#db.transaction(change).immediate();
  }

  #read<T>(query: () => T): T {
    return this.#db.transaction(query).deferred();
  }

  #requireStudy(study: string): { sampler_state: string | null } {
    const row = this.#sql.selectSamplerState.get(study);
    if (row === undefined) throw unknownStudyError(study);
    return row;
  }

  #trialState(key: TrialKey): TrialStateRow {
    const row = this.#sql.selectTrialState.get(key);
    if (row !== undefined) return row;
    this.#requireStudy(key.study);
    throw unknownTrialError(key.study, key.number);
  }

  /** The trial's record, in the caller's transaction; undefined when there is no such trial. */
  #readTrial(key: TrialKey): StoredTrial | undefined {
    const row = this.#sql.selectTrial.get(key);
    return row === undefined ? undefined : trialRecord(key.study, row, this.#sql.selectIntermediate.all(key), this.#sql.selectRungResults.all(key));
  }

  /** What a finish or promotion returns: the trial as the write left it (its existence checked by the write). */
  #outcome(key: TrialKey, applied: boolean): { trial: StoredTrial; applied: boolean } {
    return { trial: this.#readTrial(key)!, applied };
  }
}

/**
 * Whether a finish for `rung` was applied already. No table of applied finishes is
 * needed: a trial leaves "running" at its current rung only by a finish, and moves
 * past a rung only by a promotion, which needs that rung finished (paused).
 */
function rungFinished(trial: TrialStateRow, rung: number): boolean {
  return rung < trial.rung || (rung === trial.rung && trial.state !== "running");
}

function groupByTrial<Row extends { trial: number }>(rows: readonly Row[]): Map<number, Row[]> {
  const groups = new Map<number, Row[]>();
  for (const row of rows) {
    const group = groups.get(row.trial);
    if (group === undefined) groups.set(row.trial, [row]);
    else group.push(row);
  }
  return groups;
}

/** Every statement the store runs, prepared once; named parameters where there are several. */
function prepareStatements(db: Database.Database) {
  return {
    // Does nothing for an existing study: createStudy then compares the stored config with the given one.
    insertStudy: db.prepare<{ name: string; config: string; createdAt: number }>(
      "INSERT INTO studies (name, config, created_at) VALUES (@name, @config, @createdAt) ON CONFLICT (name) DO NOTHING",
    ),
    selectStudy: db.prepare<[string], StudyRow>("SELECT name, config, created_at FROM studies WHERE name = ?"),
    listStudies: db.prepare<[], string>("SELECT name FROM studies ORDER BY name").pluck(),
    selectSamplerState: db.prepare<[string], { sampler_state: string | null }>("SELECT sampler_state FROM studies WHERE name = ?"),
    setSamplerState: db.prepare<[string, string]>("UPDATE studies SET sampler_state = ? WHERE name = ?"),
    // One seek at the end of the study's range of the primary key, however many trials it has;
    // run under the write lock, so no other writer can take the same number.
    nextTrialNumber: db.prepare<[string], number>("SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study = ?").pluck(),
    insertTrial: db.prepare<{ study: string; number: number; params: string; source: TrialSource; createdAt: number; fidelity: number | null }>(
      `INSERT INTO trials (study, number, params, state, rung, source, attempts, created_at, fidelity)
       VALUES (@study, @number, @params, 'running', 0, @source, 0, @createdAt, @fidelity)`,
    ),
    selectTrialState: db.prepare<TrialKey, TrialStateRow>("SELECT state, rung, fidelity FROM trials WHERE study = @study AND number = @number"),
    selectTrial: db.prepare<TrialKey, TrialRow>(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE study = @study AND number = @number`),
    selectTrials: db.prepare<[string], TrialRow>(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE study = ? ORDER BY number`),
    // A repeated (rung, step) is ignored, and only that: any other failed constraint still throws.
    insertIntermediate: db.prepare<TrialKey & { rung: number; step: number; metrics: string }>(
      `INSERT INTO intermediate_values (study, trial, rung, step, metrics) VALUES (@study, @number, @rung, @step, @metrics)
       ON CONFLICT (study, trial, rung, step) DO NOTHING`,
    ),
    intermediateExists: db.prepare<TrialKey & { rung: number; step: number }, 1>(
      "SELECT 1 FROM intermediate_values WHERE study = @study AND trial = @number AND rung = @rung AND step = @step",
    ).pluck(),
    selectIntermediate: db.prepare<TrialKey, IntermediateRow>(
      "SELECT trial, rung, step, metrics FROM intermediate_values WHERE study = @study AND trial = @number ORDER BY rung, step",
    ),
    selectStudyIntermediate: db.prepare<[string], IntermediateRow>(
      "SELECT trial, rung, step, metrics FROM intermediate_values WHERE study = ? ORDER BY trial, rung, step",
    ),
    // A field the result leaves out keeps its stored value (null binds as "not given").
    finishTrial: db.prepare<
      TrialKey & {
        state: TrialState;
        finishedAt: number;
        attempts: number | null;
        value: number | null;
        metrics: string | null;
        reason: string | null;
        message: string | null;
        checkpoint: string | null;
        worker: string | null;
      }
    >(
      `UPDATE trials SET
         state = @state,
         finished_at = @finishedAt,
         attempts = COALESCE(@attempts, attempts + 1),
         value = COALESCE(@value, value),
         metrics = COALESCE(@metrics, metrics),
         reason = COALESCE(@reason, reason),
         message = COALESCE(@message, message),
         checkpoint = COALESCE(@checkpoint, checkpoint),
         worker = COALESCE(@worker, worker)
       WHERE study = @study AND number = @number`,
    ),
    insertRungResult: db.prepare<
      TrialKey & { rung: number; value: number; fidelity: number | null; checkpoint: string | null; finishedAt: number }
    >(
      `INSERT INTO rung_results (study, trial, rung, value, fidelity, checkpoint, finished_at)
       VALUES (@study, @number, @rung, @value, @fidelity, @checkpoint, @finishedAt)`,
    ),
    selectRungResults: db.prepare<TrialKey, RungResultRow>(
      "SELECT trial, rung, value, fidelity, checkpoint, finished_at FROM rung_results WHERE study = @study AND trial = @number ORDER BY rung",
    ),
    selectStudyRungResults: db.prepare<[string], RungResultRow>(
      "SELECT trial, rung, value, fidelity, checkpoint, finished_at FROM rung_results WHERE study = ? ORDER BY trial, rung",
    ),
    promoteTrial: db.prepare<TrialKey & { rung: number; fidelity: number | null }>(
      `UPDATE trials SET state = 'running', rung = @rung, fidelity = @fidelity, value = NULL, finished_at = NULL
       WHERE study = @study AND number = @number`,
    ),
  };
}
