import { readWorkerPool, type StoredStudy, type StoredTrial, type WorkerPool } from "@bayestune/store";
import { DEFAULT_PREFIX, openStoreOf, requireStudy } from "../open-store.js";
import { summarizeTrials, type StudySummary } from "../study-summary.js";
import { bestTrialLines, rankedTrial, storedValues } from "../print-front.js";

export interface StatusCommandOptions {
  redis?: string;
  store?: string;
  prefix?: string;
  json?: boolean;
}

/** `bayestune status [STUDY]`: every study's counts and the worker pool, or one study's counts, best trial and failures. */
export async function statusCommand(name: string | undefined, options: StatusCommandOptions): Promise<void> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const opened = await openStoreOf(options);
  const { store, redis, close } = opened;
  try {
    if (name === undefined) {
      const rows: Array<{ name: string; summary: StudySummary }> = [];
      for (const study of await store.listStudies()) {
        const stored = await requireStudy(opened, study);
        rows.push({ name: study, summary: summarizeTrials(await store.getTrials(study), stored.config) });
      }
      // A local store has no worker pool: its studies ran in `tune`'s own slots.
      const workers = redis === undefined ? undefined : await readWorkerPool(redis, prefix);
      const table = rows.length === 0 ? `no studies in ${opened.where.description}\n` : studyTable(rows);
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ studies: rows.map(studyListEntry), ...(workers !== undefined ? { workers } : {}) }, null, 2)}\n`
          : `${table}${workers === undefined ? "" : workerLine(workers)}`,
      );
    } else {
      const study = await requireStudy(opened, name);
      const trials = await store.getTrials(name);
      const summary = summarizeTrials(trials, study.config);
      process.stdout.write(options.json ? `${JSON.stringify(studyReport(study, summary, trials), null, 2)}\n` : studyText(study, summary, trials));
    }
  } finally {
    await close();
  }
}

function counts(summary: StudySummary): { running: number; paused: number; complete: number; pruned: number; failed: number; total: number } {
  return { running: summary.running, paused: summary.paused, complete: summary.complete, pruned: summary.pruned, failed: summary.failed, total: summary.total };
}

function studyListEntry({ name, summary }: { name: string; summary: StudySummary }): object {
  return { name, ...counts(summary), best: summary.best ? { number: summary.best.number, value: summary.best.value } : null };
}

function studyTable(rows: ReadonlyArray<{ name: string; summary: StudySummary }>): string {
  const cells = [
    ["STUDY", "RUNNING", "COMPLETE", "FAILED", "TOTAL", "BEST"],
    ...rows.map(({ name, summary: s }) => [
      name,
      String(s.running),
      String(s.complete),
      String(s.failed),
      String(s.total),
      s.best ? `${s.best.value} (trial ${s.best.number})` : "-",
    ]),
  ];
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return cells.map((row) => `${row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()}\n`).join("");
}

/** The pool in one line: each worker's busy of its slots (a previous-version worker's busy is unknown: "?"). */
function workerLine(pool: WorkerPool): string {
  if (pool.workers.length === 0) return "workers: none registered\n";
  const each = pool.workers.map((w) => `${w.id} ${w.busy ?? "?"}/${w.slots}`).join(", ");
  return `workers: ${pool.workers.length}, ${pool.busy} of ${pool.slots} slots busy (${each})\n`;
}

function failures(trials: readonly StoredTrial[]): Array<{ number: number; reason: string; message: string | null }> {
  return trials
    .filter((trial) => trial.state === "failed")
    .map((trial) => ({ number: trial.number, reason: trial.reason ?? "unknown", message: trial.message ?? null }));
}

function studyReport(study: StoredStudy, summary: StudySummary, trials: readonly StoredTrial[]): object {
  const { config } = study;
  return {
    name: study.name,
    direction: config.direction,
    metric: config.metric,
    maxTrials: config.maxTrials,
    ...counts(summary),
    best: summary.best ? { number: summary.best.number, value: summary.best.value, params: summary.best.params } : null,
    failures: failures(trials),
    ...(config.constraints.length > 0 ? { constraints: config.constraints, infeasible: summary.infeasible } : {}),
    ...(config.objectives !== undefined
      ? { objectives: config.objectives, front: summary.front.map((t) => ({ number: t.number, values: storedValues(config, t), params: t.params })) }
      : {}),
  };
}

function studyText(study: StoredStudy, summary: StudySummary, trials: readonly StoredTrial[]): string {
  const { config } = study;
  const lines = [
    `${study.name}: ${summary.total} of ${config.maxTrials} trials, ${summary.running} running, ` +
      `${summary.paused > 0 ? `${summary.paused} paused for promotion, ` : ""}${summary.complete} complete, ` +
      `${summary.pruned > 0 ? `${summary.pruned} pruned, ` : ""}${summary.failed} failed`,
  ];
  if (summary.front.length > 0) {
    lines.push(...bestTrialLines(config, summary.front.map((t) => rankedTrial(config, t))));
  } else if (summary.complete > 0 && summary.infeasible.length === summary.complete) {
    lines.push(`no feasible trial: all ${summary.complete} complete trials break a constraint`);
  } else {
    lines.push("no trial completed");
  }
  if (summary.infeasible.length > 0) lines.push("infeasible trials:");
  for (const trial of summary.infeasible) lines.push(`  trial ${trial.number}: ${trial.violations.join(", ")}`);
  const failed = failures(trials);
  if (failed.length > 0) lines.push("failed trials:");
  // A message is the tail of a trial's stderr: its continuation lines are indented under their trial.
  for (const trial of failed) lines.push(`  trial ${trial.number}: ${trial.reason}${trial.message === null ? "" : `: ${trial.message.replaceAll("\n", "\n    ")}`}`);
  return `${lines.join("\n")}\n`;
}
