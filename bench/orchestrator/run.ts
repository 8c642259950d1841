/*
 * The distributed orchestrator under load: a real coordinator (in this process)
 * and real worker processes on Redis, running simulated training jobs
 * (simulated-trial.sh: sleeps with a learning curve) on 1, 8, 32 and 128 slots.
 * Measures the scheduling latency (a slot freed until its next trial starts), the
 * trials per second through Redis, the idle fraction of the slots, and the
 * coordinator's batch asks; then the ask for a batch at 500 trials on its own.
 * Writes its section of docs/benchmarks.md.
 *
 *   npm run bench:orchestrator [-- --quick]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { pino } from "pino";
import { startCoordinator } from "@bayestune/coordinator";
import { SECRET_ENV, type StudyConfigInput } from "@bayestune/protocol";
import { readWorkerPool } from "@bayestune/store";
import { clearPrefix } from "../../test/support/redis-keys.js";
import { TEST_SECRET } from "../../test/support/simulated-workers.js";
import { replaceSection } from "../doc-sections.js";
import { askBatchLatency, LLM_SPACE } from "../ask-latency.js";
import { describeMachine } from "../machine.js";
import { median, quantile } from "../stats.js";
import { renderOrchestratorReport, type Scenario, type ScenarioResult } from "./report.js";
import { parseTrialEvents, slotUsage } from "./slot-usage.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(root, "apps/cli/dist/main.js");
const TRIAL_SCRIPT = join(root, "bench/orchestrator/simulated-trial.sh");
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** Slots per worker process: one 8-GPU machine each. */
const GPUS_PER_WORKER = 8;
/** The coordinator's queue ahead, as a share of the slots (rounded up). */
const QUEUE_AHEAD_SHARES = [0, 1 / 8, 1 / 4];


function scenarios(quick: boolean): Scenario[] {
  const slotCounts = quick ? [1, 8] : [1, 8, 32, 128];
  const list: Scenario[] = [];
  for (const slots of slotCounts) {
    list.push({ name: "throughput", sampler: "sobol", trialSeconds: 0, slots, trials: quick ? 40 : Math.max(200, 8 * slots), queueAhead: 0, queueAheadShare: 0 });
  }
  const seconds = quick ? 2 : 10;
  for (const slots of slotCounts) {
    for (const share of QUEUE_AHEAD_SHARES) {
      list.push({ name: `gp-${seconds}s`, sampler: "gp", trialSeconds: seconds, slots, trials: Math.max(4, 3 * slots), queueAhead: Math.ceil(slots * share), queueAheadShare: share });
    }
  }
  return list;
}

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, report: { type: "string" } } });
  const quick = values.quick ?? false;
  const reportPath = values.report ?? (quick ? join(tmpdir(), "bayestune-orchestrator-bench.md") : join(root, "docs/benchmarks.md"));
  const started = Date.now();
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios(quick)) {
    log(`${scenario.name}: ${scenario.slots} slots, ${scenario.trials} trials, queueAhead ${scenario.queueAhead}`);
    const result = await runScenario(scenario);
    log(
      `  ${result.trialsPerSecond.toFixed(1)} trials/s, gap p50 ${result.gapP50Ms.toFixed(0)} ms p95 ${result.gapP95Ms.toFixed(0)} ms, idle ${(100 * result.idleFraction).toFixed(2)}%`,
    );
    results.push(result);
  }
  log("ask for a batch at 500 told trials");
  const asks = await askBatchLatency({ told: quick ? 200 : 500, repeats: quick ? 2 : 7 });
  const machine = describeMachine({ python: null, optuna: null, torch: null, scipy: null });
  const section = renderOrchestratorReport({
    command: `npm run bench:orchestrator${quick ? " -- --quick" : ""}`,
    date: new Date().toISOString(),
    wallMinutes: (Date.now() - started) / 60000,
    machine,
    gpusPerWorker: GPUS_PER_WORKER,
    results,
    asks,
  });
  const previous = await readFile(reportPath, "utf8").catch(() => "# Benchmarks\n");
  writeFileSync(reportPath, replaceSection(previous, "orchestrator", section));
  log(`wrote ${reportPath}`);
}

async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), "bayestune-orch-"));
  const events = join(dir, "events");
  writeFileSync(events, "");
  const workerCount = Math.ceil(scenario.slots / GPUS_PER_WORKER);
  const workers: ChildProcess[] = [];
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const asks: { q: number; trials: number; askMs: number }[] = [];
  try {
    for (let w = 0; w < workerCount; w++) {
      const gpus = Array.from({ length: Math.min(GPUS_PER_WORKER, scenario.slots - w * GPUS_PER_WORKER) }, (_, g) => g);
      const args = [CLI, "worker", "--redis", REDIS_URL, "--prefix", prefix, "--id", `w${w}`, "--work-dir", join(dir, `w${w}`), "--gpus", gpus.join(",")];
      workers.push(spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, [SECRET_ENV]: TEST_SECRET } }));
    }
    await waitForSlots(redis, prefix, scenario.slots);

    const config: StudyConfigInput = {
      name: `${scenario.name}-${scenario.slots}`,
      space: LLM_SPACE,
      sampler: scenario.sampler,
      seed: 1,
      maxTrials: scenario.trials,
      command: {
        argv: ["/bin/sh", TRIAL_SCRIPT, "{lr}"],
        env: { TRIAL_SECONDS: String(scenario.trialSeconds), BENCH_EVENTS: events },
      },
      trialTimeoutSeconds: 120,
    };
    // The coordinator's debug log carries each batch ask's size and time.
    const capture = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString("utf8").split("\n")) {
          if (!line.includes('"batch asked"')) continue;
          const entry = JSON.parse(line) as { q: number; trials: number; askMs: number };
          asks.push({ q: entry.q, trials: entry.trials, askMs: entry.askMs });
        }
        callback();
      },
    });
    const coordinator = await startCoordinator({
      redis: REDIS_URL,
      prefix,
      secret: TEST_SECRET,
      config: config as never,
      queueAhead: scenario.queueAhead,
      logger: pino({ level: "debug" }, capture),
    });
    const outcome = await coordinator.done;
    await coordinator.close();
    if (outcome.finished !== scenario.trials || outcome.failed !== 0) {
      throw new Error(`${scenario.name}/${scenario.slots}: ${outcome.finished} finished, ${outcome.failed} failed; expected ${scenario.trials} complete`);
    }
    const usage = slotUsage(parseTrialEvents(readFileSync(events, "utf8"), (trialDir) => /\/(w\d+)\//.exec(trialDir)?.[1] ?? "?"));
    if (usage.trials !== scenario.trials) throw new Error(`${usage.trials} trial events for ${scenario.trials} trials`);
    const gaps = usage.gapsMs.length > 0 ? usage.gapsMs : [0];
    const gpAsks = asks.filter((a) => a.askMs > 0);
    return {
      ...scenario,
      trialsPerSecond: usage.trialsPerSecond,
      gapP50Ms: median(gaps),
      gapP95Ms: quantile(gaps, 0.95),
      gapMaxMs: Math.max(...gaps),
      idleFraction: usage.idleFraction,
      rampUpMs: usage.rampUpMs,
      batches: gpAsks.length,
      meanBatch: gpAsks.reduce((s, a) => s + a.q, 0) / Math.max(1, gpAsks.length),
      askMsPerPointP50: gpAsks.length > 0 ? median(gpAsks.map((a) => a.askMs / a.q)) : 0,
    };
  } finally {
    for (const worker of workers) worker.kill("SIGTERM");
    await Promise.all(workers.map((w) => (w.exitCode !== null ? Promise.resolve() : new Promise((resolve) => w.once("exit", resolve)))));
    await clearPrefix(REDIS_URL, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForSlots(redis: Redis, prefix: string, slots: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await readWorkerPool(redis, prefix)).slots >= slots) return;
    if (Date.now() > deadline) throw new Error(`workers did not register ${slots} slots within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
