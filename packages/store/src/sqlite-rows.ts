import type { ChoiceValue, FailureReason, StudyConfig } from "@bayestune/protocol";
import { deepFreeze, parseStudyConfig } from "./records.js";
import type { IntermediateValue, Metrics, RungResult, StoredStudy, StoredTrial, TrialSource, TrialState } from "./store.js";

/*
 * The rows of a SqliteStore's tables (./sqlite-schema.ts) as queries return them,
 * and the records they make. Every record is built from fresh rows and frozen,
 * so it shares nothing with the store or with another record.
 */

export interface StudyRow {
  name: string;
  config: string;
  created_at: number;
}

export interface TrialRow {
  number: number;
  params: string;
  state: TrialState;
  rung: number;
  source: TrialSource;
  attempts: number;
  created_at: number;
  fidelity: number | null;
  value: number | null;
  metrics: string | null;
  reason: FailureReason | null;
  message: string | null;
  checkpoint: string | null;
  finished_at: number | null;
  worker: string | null;
}

/** The columns of a {@link TrialRow}, to select. */
export const TRIAL_COLUMNS =
  "number, params, state, rung, source, attempts, created_at, fidelity, value, metrics, reason, message, checkpoint, finished_at, worker";

export interface IntermediateRow {
  trial: number;
  rung: number;
  step: number;
  metrics: string;
}

export interface RungResultRow {
  trial: number;
  rung: number;
  value: number;
  fidelity: number | null;
  checkpoint: string | null;
  finished_at: number;
}

export function studyRecord(row: StudyRow): StoredStudy {
  // Parsed again, so that a config stored by an older version gets the defaults of keys added since.
  const config = parseStudyConfig(JSON.parse(row.config) as StudyConfig);
  return deepFreeze({ name: row.name, config, createdAt: row.created_at });
}

/** The trial of `row`, with its reports and complete rungs (each sorted as the Store contract says). */
export function trialRecord(
  study: string,
  row: TrialRow,
  intermediate: readonly IntermediateRow[],
  rungResults: readonly RungResultRow[],
): StoredTrial {
  return deepFreeze({
    study,
    number: row.number,
    params: JSON.parse(row.params) as Record<string, ChoiceValue>,
    state: row.state,
    rung: row.rung,
    intermediate: intermediate.map(intermediateValue),
    rungs: rungResults.map(rungResult),
    source: row.source,
    attempts: row.attempts,
    createdAt: row.created_at,
    ...(row.value !== null ? { value: row.value } : {}),
    ...(row.metrics !== null ? { metrics: JSON.parse(row.metrics) as Metrics } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.message !== null ? { message: row.message } : {}),
    ...(row.fidelity !== null ? { fidelity: row.fidelity } : {}),
    ...(row.checkpoint !== null ? { checkpoint: row.checkpoint } : {}),
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
    ...(row.worker !== null ? { worker: row.worker } : {}),
  });
}

function intermediateValue(row: IntermediateRow): IntermediateValue {
  return { rung: row.rung, step: row.step, metrics: JSON.parse(row.metrics) as Metrics };
}

function rungResult(row: RungResultRow): RungResult {
  return {
    rung: row.rung,
    value: row.value,
    ...(row.fidelity !== null ? { fidelity: row.fidelity } : {}),
    ...(row.checkpoint !== null ? { checkpoint: row.checkpoint } : {}),
    finishedAt: row.finished_at,
  };
}
