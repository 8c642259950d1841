import { resolve } from "node:path";
import { SingleBar, Presets } from "cli-progress";
import { tuneEmbedded } from "../embedded-tune.js";
import { ConfigError, loadStudyConfig } from "@bayestune/coordinator";

export interface TuneCommandOptions {
  slots: string;
  gpus?: string;
  workDir: string;
  progress: boolean;
}

/** `bayestune tune CONFIG`: the whole study on this machine, no Redis. */
export async function tuneCommand(configFile: string, options: TuneCommandOptions): Promise<void> {
  const config = await loadStudyConfig(configFile);
  const slots = Number(options.slots);
  if (!Number.isInteger(slots) || slots < 1) throw new ConfigError(`--slots must be an integer >= 1, got ${options.slots}`);
  const gpus = options.gpus ? options.gpus.split(",").map((g) => g.trim()).filter(Boolean) : [];

  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

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
    workDir: resolve(options.workDir),
    signal: abort.signal,
    onTrialFinished: (trial) => {
      if (trial.state === "failed") failed++;
      if (trial.value !== undefined && better(trial.value, best)) best = trial.value;
      const line = trial.state === "complete" ? `trial ${trial.number}: ${config.metric}=${trial.value}` : `trial ${trial.number} failed: ${trial.reason}`;
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
  const bestTrial = study.bestTrial;
  if (bestTrial === undefined) {
    console.log("no trial completed");
    process.exitCode = 1;
    return;
  }
  console.log(`best trial ${bestTrial.number}: ${config.metric} = ${bestTrial.value}`);
  console.log(`  params: ${JSON.stringify(bestTrial.params)}`);
}
