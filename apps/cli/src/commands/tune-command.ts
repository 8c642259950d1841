import { resolve } from "node:path";
import { SingleBar, Presets } from "cli-progress";
import { tuneEmbedded } from "../embedded-tune.js";
import { describeValues, printBestTrials, rankedTrial } from "../print-front.js";
import { tuneScheduled } from "../scheduled-tune.js";
import { ConfigError, loadStudyConfig, paretoTrials } from "@bayestune/coordinator";
import type { StudyConfig } from "@bayestune/protocol";
import { countTrialStates, type MemoryStore } from "@bayestune/store";
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
}

/** `bayestune tune CONFIG`: the whole study on this machine, no Redis. */
export async function tuneCommand(configFile: string, options: TuneCommandOptions): Promise<void> {
  const config = await loadStudyConfig(configFile);
  const slots = Number(options.slots);
  if (!Number.isInteger(slots) || slots < 1) throw new ConfigError(`--slots must be an integer >= 1, got ${options.slots}`);
  const gpus = options.gpus ? options.gpus.split(",").map((g) => g.trim()).filter(Boolean) : [];
  const port = options.port === undefined ? undefined : integerFlag("--port", options.port, 0, 65535);
  const dashboard =
    port === undefined ? undefined : await serveTuneDashboard(config, {
          port,
          host: options.host,
          token: options.token ?? process.env[TOKEN_ENV],
          refreshMs: integerFlag("--refresh", options.refresh, 200),
          slots,
          gpus,
        });
  if (dashboard !== undefined) console.error(`bayestune tune: dashboard on ${dashboard.address}/studies/${encodeURIComponent(config.name)} while the study runs`);
  try {
    await tuneOnThisMachine(config, { slots, gpus, workDir: resolve(options.workDir), progress: options.progress, store: dashboard?.store });
  } finally {
    await dashboard?.close();
  }
}

/** The embedded run (or its scheduled form), recording into `store` when the dashboard reads one. */
async function tuneOnThisMachine(
  config: StudyConfig,
  options: { slots: number; gpus: string[]; workDir: string; progress: boolean; store: MemoryStore | undefined },
): Promise<void> {
  const { slots, gpus } = options;
  const abort = new AbortController();
  // An interrupted study still prints what it has, then exits as a shell expects of a signal: 128 + its number.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!abort.signal.aborted) process.exitCode = signal === "SIGINT" ? 130 : 143;
    abort.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  if (config.scheduler !== undefined) {
    try {
      await tuneWithScheduler(config, { slots, gpus, workDir: options.workDir, progress: options.progress, signal: abort.signal, store: options.store });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    return;
  }

  const bar = options.progress
    ? new SingleBar({ format: "{bar} {value}/{total} trials | best {best} | failed {failed}", hideCursor: true }, Presets.shades_classic)
    : undefined;
  bar?.start(config.maxTrials, 0, { best: "-", failed: 0 });
  let failed = 0;
  let best: number | undefined;
  const better = (a: number, b: number | undefined): boolean => b === undefined || (config.direction === "minimize" ? a < b : a > b);
  const study = await tuneEmbedded(config, {
    slots,
    gpus,
    workDir: options.workDir,
    signal: abort.signal,
    ...(options.store !== undefined ? { store: options.store } : {}),
    onTrialFinished: (trial) => {
      if (trial.state === "failed") failed++;
      if (trial.value !== undefined && better(trial.value, best)) best = trial.value;
      const line =
        trial.state === "complete" ? `trial ${trial.number}: ${describeValues(config, trial.values ?? [trial.value!])}` : `trial ${trial.number} failed: ${trial.reason}`;
      if (bar) bar.increment(1, { best: best?.toPrecision(5) ?? "-", failed });
      else console.log(line);
    },
  });
  bar?.stop();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);

  const trials = study.trials;
  const finished = trials.filter((t) => t.state !== "running").length;
  console.log(`${config.name}: ${finished} trials finished, ${trials.filter((t) => t.state === "failed").length} failed${abort.signal.aborted ? " (interrupted)" : ""}`);
  for (const t of trials.filter((t) => t.state === "failed").slice(0, 5)) console.log(`  trial ${t.number} failed: ${t.reason}`);
  const complete = trials.filter((t) => t.state === "complete").length;
  if (config.constraints.length > 0) console.log(`${study.feasibleCount} of ${complete} complete trials within the constraints`);
  const none = complete > 0 ? `no feasible trial: all ${complete} complete trials break a constraint` : "no trial completed";
  printBestTrials(config, study.bestTrials.map((t) => ({ number: t.number, params: t.params, values: t.values ?? [t.value!] })), none);
}

/** The scheduled form of `tune`: rungs, promotions and the budget they spent. */
async function tuneWithScheduler(
  config: StudyConfig,
  options: { slots: number; gpus: string[]; workDir: string; progress: boolean; signal: AbortSignal; store: MemoryStore | undefined },
): Promise<void> {
  const unit = config.fidelity?.name ?? "budget";
  const bar = options.progress
    ? new SingleBar({ format: "{bar} {value}/{total} configurations | {promotions} promotions | best {best}", hideCursor: true }, Presets.shades_classic)
    : undefined;
  bar?.start(config.maxTrials, 0, { promotions: 0, best: "-" });
  let promotions = 0;
  const { trials, budgetSpent, fullBudget } = await tuneScheduled(config, {
    slots: options.slots,
    gpus: options.gpus,
    workDir: options.workDir,
    signal: options.signal,
    ...(options.store !== undefined ? { store: options.store } : {}),
    onJobFinished: (trial, result) => {
      if (result.rung > 0) promotions++;
      const fidelity = trial.rungs.at(-1)?.fidelity ?? trial.fidelity;
      const line =
        result.state === "complete"
          ? `trial ${trial.number} rung ${result.rung} (${fidelity} ${unit}): ${config.metric}=${result.value}${trial.state === "paused" ? "" : " (full budget)"}`
          : `trial ${trial.number} rung ${result.rung} failed: ${result.reason}`;
      const best = trial.state === "complete" ? trial.value : undefined;
      if (bar) bar.update(Math.min(config.maxTrials, trial.number + 1), { promotions, ...(best !== undefined ? { best: best.toPrecision(5) } : {}) });
      else console.log(line);
    },
  });
  bar?.stop();
  const counts = countTrialStates(trials);
  console.log(
    `${config.name}: ${trials.length} configurations: ${counts.complete} at the full budget, ${counts.paused} stopped early, ${counts.failed} failed${options.signal.aborted ? " (interrupted)" : ""}`,
  );
  console.log(`budget spent: ${budgetSpent} ${unit} (every configuration at the full budget: ${trials.length * fullBudget})`);
  printBestTrials(config, paretoTrials(trials, config).map((t) => rankedTrial(config, t)), "no trial completed the full budget");
}
