/*
 * What one worker message costs the study driver (the coordinator's and
 * `tune`'s loop) as the study grows: a study of N finished trials (each with
 * its learning curve) on a RedisStore, then jobs run through the driver with
 * their progress reports and results delivered as the coordinator delivers
 * them (each followed by a fill). Measures the time per message and the
 * store reads of the whole study per message; the one read at open is reported
 * apart. The random sampler keeps the ask out of it (the GP's ask, which does
 * grow with N, is measured in "Ask latency"). Writes its section of
 * docs/benchmarks.md.
 *
 *   npm run bench:per-message [-- --quick]
 */
import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { StudyDriver, type TrialSlots } from "@bayestune/engine";
import { StudyConfig, TrialResult, type TrialJob } from "@bayestune/protocol";
import { RedisStore, type Store } from "@bayestune/store";
import { deleteKeysWithPrefix } from "../../test/support/redis-keys.js";
import { replaceSection } from "../doc-sections.js";
import { describeMachine } from "../machine.js";
import { median, quantile } from "../stats.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SLOTS = 4;
/** Learning-curve points of every trial, stored and reported. */
const STEPS = 20;

/** A study without a scheduler, and one under ASHA (whose every fill ranks the rungs). */
type Variant = "plain" | "asha";
const VARIANTS: readonly Variant[] = ["plain", "asha"];

interface SizeResult {
  readonly variant: Variant;
  readonly trials: number;
  readonly openMs: number;
  readonly progressMs: number[];
  readonly resultMs: number[];
  /** Reads of every trial (getTrials) per message, and single-trial reads (getTrial). */
  readonly wholeReadsPerMessage: number;
  readonly trialReadsPerMessage: number;
}

const log = (message: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, report: { type: "string" } } });
  const quick = values.quick ?? false;
  const sizes = quick ? [100, 500] : [100, 500, 2000];
  const jobs = quick ? 12 : 40;
  const reportPath = values.report ?? (quick ? join(tmpdir(), "bayestune-per-message-bench.md") : join(root, "docs/benchmarks.md"));
  const started = Date.now();
  const redis = new Redis(REDIS_URL);
  const results: SizeResult[] = [];
  try {
    for (const variant of VARIANTS) {
      for (const n of sizes) {
        log(`${variant} study of ${n} trials: ${jobs} more jobs, ${STEPS} progress reports each`);
        results.push(await measure(redis, variant, n, jobs));
      }
    }
  } finally {
    redis.disconnect();
  }
  const section = render({ command: `npm run bench:per-message${quick ? " -- --quick" : ""}`, results, jobs, minutes: (Date.now() - started) / 60000 });
  const previous = await readFile(reportPath, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(reportPath, replaceSection(previous, "per-message", section));
  log(`wrote ${reportPath}`);
}

/** A study of n trials run through the driver (their curves recorded, untimed), then `jobs` more jobs timed message by message. */
async function measure(redis: Redis, variant: Variant, n: number, jobs: number): Promise<SizeResult> {
  const prefix = `bench-per-message-${randomUUID()}`;
  const config = StudyConfig.parse({
    name: "per-message",
    space: { lr: { type: "float", low: 1e-5, high: 1e-2, log: true }, dropout: { type: "float", low: 0, high: 0.3 }, batch: { type: "int", low: 8, high: 256, log: true } },
    sampler: "random",
    seed: 1,
    maxTrials: n + jobs,
    command: { argv: ["train"] },
    ...(variant === "asha" ? { fidelity: { min: 1, max: 27 }, scheduler: { type: "asha" } } : {}),
  });
  const store = new RedisStore({ redis, prefix });
  try {
    const counted = countingReads(store);
    const started: TrialJob[] = [];
    const slots: TrialSlots = { free: async (engine) => SLOTS - engine.running, start: async (job) => void started.push(job), stop: async () => undefined };
    const driver = await StudyDriver.open(config, counted.store, slots);
    await driver.fill();
    let next = 0;
    /** Delivers the next started job's reports and result; returns the time of each progress message and of the result. */
    const runJob = async (timed: boolean): Promise<{ progress: number[]; result: number }> => {
      const job = started[next++]!;
      const progress: number[] = [];
      for (let step = 1; step <= STEPS; step++) {
        const event = { kind: "progress" as const, study: config.name, trial: job.trial, rung: job.rung, step, metrics: { loss: curve(job.trial, step) } };
        if (!timed) {
          await store.recordProgress(event);
          continue;
        }
        const t0 = performance.now();
        await driver.applyProgress(event);
        await driver.fill();
        progress.push(performance.now() - t0);
      }
      const t0 = performance.now();
      const value = curve(job.trial, STEPS) / (job.fidelity ?? 1) ** 0.1;
      await driver.applyResult(TrialResult.parse({ kind: "result", study: config.name, trial: job.trial, rung: job.rung, state: "complete", value, durationSeconds: 1, worker: "bench" }));
      await driver.fill();
      return { progress, result: performance.now() - t0 };
    };
    while (driver.engine.trials.length < n) await runJob(false);
    const openStart = performance.now();
    const reopened = await StudyDriver.open(config, store, { free: async () => 0, start: async () => undefined, stop: async () => undefined });
    const openMs = performance.now() - openStart;
    if (reopened.engine.trials.length !== driver.engine.trials.length) throw new Error("the reopened study differs");
    counted.reset();
    const progressMs: number[] = [];
    const resultMs: number[] = [];
    for (let k = 0; k < jobs; k++) {
      const { progress, result } = await runJob(true);
      progressMs.push(...progress);
      resultMs.push(result);
    }
    const messages = jobs * (STEPS + 1);
    return { variant, trials: driver.engine.trials.length, openMs, progressMs, resultMs, wholeReadsPerMessage: counted.whole / messages, trialReadsPerMessage: counted.single / messages };
  } finally {
    await deleteKeysWithPrefix(redis, prefix);
  }
}

/** A loss curve falling towards a per-trial floor. */
function curve(trial: number, step: number): number {
  return 1 + (trial % 7) / 10 + 2 / step;
}

/** The store with its reads counted: whole-study reads (getTrials) and single-trial reads (getTrial). */
function countingReads(store: Store): { store: Store; whole: number; single: number; reset(): void } {
  const counts = {
    whole: 0,
    single: 0,
    reset() {
      counts.whole = 0;
      counts.single = 0;
    },
    store: new Proxy(store, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (key === "getTrials") counts.whole++;
          if (key === "getTrial") counts.single++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }),
  };
  return counts;
}

function meanPerMessage(r: SizeResult): number {
  const all = [...r.progressMs, ...r.resultMs];
  return all.reduce((sum, x) => sum + x, 0) / all.length;
}

function machineLine(): string {
  const m = describeMachine({ python: null, optuna: null, torch: null, scipy: null });
  return `${m.nproc} × ${m.cpuModel}, ${m.os}, Node ${m.node}`;
}

function render(c: { command: string; results: readonly SizeResult[]; jobs: number; minutes: number }): string {
  const ms = (x: number): string => x.toFixed(2);
  const verdicts = VARIANTS.map((variant) => {
    const rows = c.results.filter((r) => r.variant === variant);
    const first = rows[0]!;
    const last = rows.at(-1)!;
    const ratio = meanPerMessage(last) / meanPerMessage(first);
    const flat = ratio <= 1.5 && last.wholeReadsPerMessage === 0;
    return `${variant}: mean time per message (progress and results) at ${last.trials} trials / at ${first.trials} = ${ms(meanPerMessage(last))} / ${ms(meanPerMessage(first))} ms = ${ratio.toFixed(2)}, whole-study reads per message ${last.wholeReadsPerMessage.toFixed(2)}: ${flat ? "MET" : "NOT MET"}`;
  });
  return [
    "## The study driver: cost per worker message as the study grows",
    "",
    `\`${c.command}\`, ${new Date().toISOString().slice(0, 16)} UTC, ${c.minutes.toFixed(1)} min on ${machineLine()}.`,
    `A study of N trials run through the driver (the coordinator's and \`tune\`'s loop) on a RedisStore (local Redis), each job with ${STEPS} learning-curve points; then ${c.jobs} more jobs on ${SLOTS} slots, each sending ${STEPS} progress reports and a result, every message followed by a fill as the coordinator does. "asha": fidelity 1..27, ASHA (each fill ranks every trial's rungs). Random sampler: the ask is not measured here (the GP's, which grows with N, is in "Ask latency"). "open" is a restart: the one whole read of the study.`,
    "",
    "| study | trials | open ms | progress message ms, median / p90 | result message ms, median / p90 | whole-study reads per message | single-trial reads per message |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...c.results.map(
      (r) =>
        `| ${r.variant} | ${r.trials} | ${ms(r.openMs)} | ${ms(median(r.progressMs))} / ${ms(quantile(r.progressMs, 0.9))} | ${ms(median(r.resultMs))} / ${ms(quantile(r.resultMs, 0.9))} | ${r.wholeReadsPerMessage.toFixed(2)} | ${r.trialReadsPerMessage.toFixed(2)} |`,
    ),
    "",
    `Target (issue 17) "per message cost flat from 100 to 2,000 trials" (met: the mean time per message at the largest study within 1.5× of the smallest, and no whole-study read): ${verdicts.join("; ")}.`,
  ].join("\n");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
