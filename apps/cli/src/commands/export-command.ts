import { writeFile } from "node:fs/promises";
import type { StoredTrial } from "@bayestune/store";
import { ConfigError } from "@bayestune/coordinator";
import { renderStudyReport, studyPageData } from "@bayestune/dashboard";
import { csvRecord } from "../csv.js";
import { openStoreOf, requireStudy } from "../open-store.js";

export interface ExportCommandOptions {
  redis?: string;
  store?: string;
  prefix?: string;
  format: string;
  output?: string;
}

/** One exported trial; absent fields are null so that every row has the same keys. */
export interface ExportedTrial {
  number: number;
  state: StoredTrial["state"];
  value: number | null;
  reason: string | null;
  message: string | null;
  params: StoredTrial["params"];
  /** ISO 8601, UTC. */
  createdAt: string;
  finishedAt: string | null;
  rung: number;
  worker: string | null;
}

const FORMATS = ["csv", "json", "html"] as const;

/**
 * `bayestune export STUDY --format csv|json|html`: every trial of the study, to
 * stdout or `--output`; html is the self-contained report with the study's plots.
 */
export async function exportCommand(name: string, options: ExportCommandOptions): Promise<void> {
  const format = FORMATS.find((f) => f === options.format);
  if (format === undefined) throw new ConfigError(`--format must be one of ${FORMATS.join(", ")}, got ${JSON.stringify(options.format)}`);
  const opened = await openStoreOf(options);
  const { store, close } = opened;
  let text: string;
  try {
    const study = await requireStudy(opened, name);
    const stored = await store.getTrials(name);
    const trials = stored.map(exportedTrial);
    if (format === "html") text = renderStudyReport(await studyPageData(study, stored), new Date());
    else text = format === "json" ? `${JSON.stringify(trials, null, 2)}\n` : toCsv(trials, Object.keys(study.config.space));
  } finally {
    await close();
  }
  if (options.output === undefined) process.stdout.write(text);
  else await writeFile(options.output, text);
}

function exportedTrial(trial: StoredTrial): ExportedTrial {
  return {
    number: trial.number,
    state: trial.state,
    value: trial.value ?? null,
    reason: trial.reason ?? null,
    message: trial.message ?? null,
    params: trial.params,
    createdAt: new Date(trial.createdAt).toISOString(),
    finishedAt: trial.finishedAt === undefined ? null : new Date(trial.finishedAt).toISOString(),
    rung: trial.rung,
    worker: trial.worker ?? null,
  };
}

/** Numbers are written with String(), which reads back to the same float64; null is an empty field. */
function toCsv(trials: readonly ExportedTrial[], paramNames: readonly string[]): string {
  const columns = ["number", "state", "value", "reason", "message", "createdAt", "finishedAt", "rung", "worker"] as const;
  const field = (value: unknown): string => (value === null || value === undefined ? "" : String(value));
  const rows = trials.map((trial) => [
    ...columns.map((column) => field(trial[column])),
    ...paramNames.map((param) => field(trial.params[param])),
  ]);
  return [[...columns, ...paramNames.map((param) => `params.${param}`)], ...rows].map(csvRecord).join("");
}
