import { join, resolve } from "node:path";
import { SingleBar, Presets } from "cli-progress";
import { tuneEmbedded } from "../embedded-tune.js";
import { describeValues, printBestTrials, rankedTrial, storedValues } from "../print-front.js";
import { ConfigError, loadStudyConfig } from "@bayestune/coordinator";
import { rungLadder } from "@bayestune/core";
import { budgetSpent, isBetter, paretoTrials, type StudyOutcome } from "@bayestune/engine";
import { constraintViolations, type StudyConfig, type TrialResult } from "@bayestune/protocol";
import { countTrialStates, StoreError, type Store, type StoredTrial } from "@bayestune/store";
import { LOCAL_STORE_FILE, openLocalStore } from "../open-store.js";
import { integerFlag } from "../integer-flag.js";
import { serveTuneDashboard } from "../tune-dashboard.js";
import { TOKEN_ENV } from "./dashboard-command.js";

export interface TuneCommandOptions {
  slots: string;
  gpus?: string;
  workDir: string;
  progress: boolean;
  port?: string;
  host: string;
  token?: string;
  refresh: string;
  stopGrace?: string;
  store?: string;
}

/** `bayestune tune CONFIG`: the whole study on this machine, no Redis. */
export async function tuneCommand(configFile: string, options: TuneCommandOptions): Promise<void> {
  const config = await loadStudyConfig(configFile);
  const slots = Number(options.slots);
  if (!Number.isInteger(slots) || slots < 1) throw new ConfigError(`--slots must be an integer >= 1, got ${options.slots}`);
  const gpus = options.gpus ? options.gpus.split(",").map((g) => g.trim()).filter(Boolean) : [];
  const port = options.port === undefined ? undefined : integerFlag("--port", options.port, 0, 65535);
  const stopGraceMs = options.stopGrace === undefined ? undefined : integerFlag("--stop-grace", options.stopGrace, 0) * 1000;
  const storePath = options.store ?? join(options.workDir, LOCAL_STORE_FILE);
  const opened = await openLocalStore(storePath, false);
  const { store } = opened;
  try {
    await announceResume(config, store, storePath);
  } catch (error) {
    await opened.close();
    throw error;
  }
  const dashboard =
    port === undefined ? undefined : await serveTuneDashboard(config, store, {
          port,
          host: options.host,
          token: options.token ?? process.env[TOKEN_ENV],
          refreshMs: integerFlag("--refresh", options.refresh, 200),
          slots,
          gpus,
        });
  if (dashboard !== undefined) console.error(`bayestune tune: dashboard on ${dashboard.address}/studies/${encodeURIComponent(config.name)} while the study runs`);
  try {
    await tuneOnThisMachine(config, { slots, gpus, workDir: resolve(options.workDir), progress: options.progress, store, stopGraceMs });
  } finally {
    await dashboard?.close();
    await opened.close();
  }
}

/**
 * A study already in the store is resumed (said on stderr); one stored with
 * another config is a ConfigError that says where it is kept.
 */
async function announceResume(config: StudyConfig, store: Store, path: string): Promise<void> {
  try {
    await store.createStudy(config);
  } catch (error) {
    if (error instanceof StoreError && error.code === "STUDY_EXISTS") {
      throw new ConfigError(`${error.message}, or another --store than ${path} (where the study is kept)`, { cause: error });
    }
    throw error;
  }
  const trials = await store.getTrials(config.name);
  if (trials.length === 0) return;
  const running = trials.filter((t) => t.state === "running").length;
  console.error(
    `bayestune tune: resuming study "${config.name}" from ${path}: ${trials.length - running} trials finished${running > 0 ? `, ${running} interrupted (run again)` : ""}`,
  );
}

/** The embedded run, recording into `store`. */
async function tuneOnThisMachine(
  config: StudyConfig,
  options: { slots: number; gpus: string[]; workDir: string; progress: boolean; store: Store; stopGraceMs: number | undefined },
): Promise<void> {
  const abort = new AbortController();
  // An interrupted study still prints what it has, then exits as a shell expects of a signal: 128 + its number.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!abort.signal.aborted) process.exitCode = signal === "SIGINT" ? 130 : 143;
    abort.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const report = progressReport(config, options.progress);
  try {
    const { trials, standing } = await tuneEmbedded(config, {
      slots: options.slots,
      gpus: options.gpus,
      workDir: options.workDir,
      signal: abort.signal,
      store: options.store,
      ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}),
      onResult: report.onResult,
    });
    report.stop();
    const interrupted = abort.signal.aborted ? " (interrupted)" : "";
    if (config.scheduler === undefined) printSummary(config, trials, standing, interrupted);
    else printScheduledSummary(config, trials, interrupted);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** A line per finished job, or with `progress`, a bar on stderr. */
function progressReport(config: StudyConfig, progress: boolean): { onResult: (trial: StoredTrial, result: TrialResult) => void; stop(): void } {
  const scheduled = config.scheduler !== undefined;
  const format = scheduled ? "{bar} {value}/{total} configurations | {promotions} promotions | best {best}" : "{bar} {value}/{total} trials | best {best} | failed {failed}";
  const bar = progress ? new SingleBar({ format, hideCursor: true }, Presets.shades_classic) : undefined;
  bar?.start(config.maxTrials, 0, { best: "-", failed: 0, promotions: 0 });
  let finished = 0;
  let failed = 0;
  let promotions = 0;
  let best: number | undefined;
  return {
    onResult(trial, result) {
      if (result.rung > 0) promotions++;
      if (trial.state !== "paused") finished++;
      if (trial.state === "failed") failed++;
      if (trial.state === "complete" && isBetter(config.direction, trial.value!, best)) best = trial.value;
      if (bar) {
        bar.update(scheduled ? Math.min(config.maxTrials, trial.number + 1) : finished, { best: best?.toPrecision(5) ?? "-", failed, promotions });
        return;
      }
      console.log(scheduled ? rungLine(config, trial, result) : trialLine(config, trial));
    },
    stop: () => bar?.stop(),
  };
}

function trialLine(config: StudyConfig, trial: StoredTrial): string {
  if (trial.state === "failed") return `trial ${trial.number} failed: ${failureOf(trial)}`;
  const values = describeValues(config, storedValues(config, trial));
  if (trial.state !== "pruned") return `trial ${trial.number}: ${values}`;
  return `trial ${trial.number} pruned at step ${trial.intermediate.at(-1)?.step ?? "?"}: ${values}`;
}

/** "timeout", or with the worker's message, "nonzero-exit: exited with code 3; last stderr line: …". */
function failureOf(trial: StoredTrial): string {
  return trial.message === undefined ? String(trial.reason) : `${trial.reason}: ${trial.message}`;
}

function rungLine(config: StudyConfig, trial: StoredTrial, result: TrialResult): string {
  const unit = config.fidelity?.name ?? "budget";
  const fidelity = trial.rungs.at(-1)?.fidelity ?? trial.fidelity;
  return result.state === "complete"
    ? `trial ${trial.number} rung ${result.rung} (${fidelity} ${unit}): ${config.metric}=${result.value}${trial.state === "paused" ? "" : " (full budget)"}`
    : `trial ${trial.number} rung ${result.rung} failed: ${result.reason}`;
}

/** Counts, failures, feasibility and the best trials of a study without a scheduler. */
function printSummary(config: StudyConfig, trials: readonly StoredTrial[], standing: StudyOutcome, interrupted: string): void {
  const pruned = trials.filter((t) => t.state === "pruned").length;
  console.log(`${config.name}: ${standing.finished} trials finished, ${pruned > 0 ? `${pruned} pruned, ` : ""}${standing.failed} failed${interrupted}`);
  for (const t of trials.filter((t) => t.state === "failed").slice(0, 5)) console.log(`  trial ${t.number} failed: ${failureOf(t)}`);
  const complete = trials.filter((t) => t.state === "complete").length;
  const feasible = trials.filter((t) => t.state === "complete" && constraintViolations(config.constraints, t.metrics ?? {}).length === 0).length;
  if (config.constraints.length > 0) console.log(`${feasible} of ${complete} complete trials within the constraints`);
  const none = complete > 0 ? `no feasible trial: all ${complete} complete trials break a constraint` : "no trial completed";
  printBestTrials(config, standing.front.map((t) => rankedTrial(config, t)), none);
}

/** Rungs, promotions and the budget they spent. */
function printScheduledSummary(config: StudyConfig, trials: readonly StoredTrial[], interrupted: string): void {
  const unit = config.fidelity?.name ?? "budget";
  const counts = countTrialStates(trials);
  console.log(`${config.name}: ${trials.length} configurations: ${counts.complete} at the full budget, ${counts.paused} stopped early, ${counts.failed} failed${interrupted}`);
  const fullBudget = rungLadder(config.fidelity!).at(-1)!;
  console.log(`budget spent: ${budgetSpent(trials)} ${unit} (every configuration at the full budget: ${trials.length * fullBudget})`);
  printBestTrials(config, paretoTrials(trials, config).map((t) => rankedTrial(config, t)), "no trial completed the full budget");
}
