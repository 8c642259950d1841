/*
 * The file of a SqliteStore: how it is opened and what it holds.
 *
 * Schema version 1 (PRAGMA user_version; PRAGMA application_id marks the file
 * as a bayestune store):
 *
 *   studies              name PK, config (JSON, in the config's own key order),
 *                        created_at, sampler_state (opaque text, written with the
 *                        trials of the last createTrials that gave one)
 *   trials               (study, number) PK, params (JSON), state, rung, source,
 *                        attempts, created_at, and when set: fidelity, value,
 *                        metrics (JSON), reason, message, checkpoint, finished_at,
 *                        worker
 *   intermediate_values  (study, trial, rung, step) PK, metrics (JSON)
 *   rung_results         (study, trial, rung) PK, value, fidelity, checkpoint,
 *                        finished_at: one row per complete rung
 *
 * A progress report is one row of its own rather than part of the trial row, so
 * that its cost stays flat however many reports a trial already has.
 * Timestamps are milliseconds since the Unix epoch. Values are REAL and JSON, both
 * of which keep every float64 exactly.
 */
import Database from "better-sqlite3";
import { StoreError } from "./errors.js";

/** "BTst": tells a bayestune store from any other SQLite file. */
const APPLICATION_ID = 0x42547374;

/**
 * MIGRATIONS[v] takes a file from schema version v to v + 1 (version 0 is an
 * empty file). A later change of the schema appends one; the entries already
 * here never change, since files written by them exist.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE studies (
    name          TEXT PRIMARY KEY,
    config        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    sampler_state TEXT
  ) STRICT;

  CREATE TABLE trials (
    study       TEXT NOT NULL REFERENCES studies (name),
    number      INTEGER NOT NULL CHECK (number >= 0),
    params      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'paused', 'complete', 'failed', 'pruned')),
    rung        INTEGER NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('sampler', 'enqueued')),
    attempts    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    fidelity    REAL,
    value       REAL,
    metrics     TEXT,
    reason      TEXT,
    message     TEXT,
    checkpoint  TEXT,
    finished_at INTEGER,
    worker      TEXT,
    PRIMARY KEY (study, number)
  ) STRICT;

  -- WITHOUT ROWID keeps the rows in key order: a trial's reports are one range
  -- scan that comes back sorted by (rung, step).
  CREATE TABLE intermediate_values (
    study   TEXT NOT NULL,
    trial   INTEGER NOT NULL,
    rung    INTEGER NOT NULL,
    step    INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    PRIMARY KEY (study, trial, rung, step),
    FOREIGN KEY (study, trial) REFERENCES trials (study, number)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE rung_results (
    study       TEXT NOT NULL,
    trial       INTEGER NOT NULL,
    rung        INTEGER NOT NULL,
    value       REAL NOT NULL,
    fidelity    REAL,
    checkpoint  TEXT,
    finished_at INTEGER NOT NULL,
    PRIMARY KEY (study, trial, rung),
    FOREIGN KEY (study, trial) REFERENCES trials (study, number)
  ) STRICT, WITHOUT ROWID;
  `,
];

/** The schema version this code writes, and the newest it reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Opens (creating it when missing) the store file at `path`, ready for use: WAL
 * journal, so that readers never wait for a writer and a killed writer leaves the
 * last committed write intact; foreign keys on; the schema brought up to
 * {@link SCHEMA_VERSION}. Whatever keeps the file from being opened is a
 * StoreError naming the path.
 */
export function openStoreDatabase(path: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
    // The first statement reads the file's header, so a file that is not SQLite fails here.
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    // A result once written is acknowledged to the worker, so it must outlive an OS crash too:
    // one fsync of the WAL per write, a flat cost per message.
    db.pragma("synchronous = FULL");
    migrate(db, path);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError(
      "INVALID_RECORD",
      `${path} must be a SQLite file that bayestune can open, got: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Brings the file to SCHEMA_VERSION in one transaction, so two processes opening a new file do it once. */
function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    const applicationId = db.pragma("application_id", { simple: true }) as number;
    const empty = db.prepare("SELECT count(*) FROM sqlite_schema").pluck().get() === 0;
    if (!empty && applicationId !== APPLICATION_ID) {
      throw new StoreError(
        "INVALID_RECORD",
        `${path} must be a bayestune store, got a SQLite database of something else (application_id ${applicationId}); give another path`,
      );
    }
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        "INVALID_RECORD",
        `${path} must have schema version ${SCHEMA_VERSION} or older to be read by this bayestune, got version ${version}: it was written by a newer bayestune, so upgrade this one`,
      );
    }
    if (version === SCHEMA_VERSION) return;
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
