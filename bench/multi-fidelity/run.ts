/*
 * Multi-fidelity under the real coordinator: synthetic LLM-like learning curves
 * (curves.ts) replayed by simulated workers on Redis, with checkpoint resume (a
 * promoted job trains only its new steps). Engines: random search and GP BO at
 * the full budget, random + ASHA, random + Hyperband, and bayestune's model-based
 * multi-fidelity (GP over params and budget, under ASHA); 1 and 16 worker slots.
 * Writes its section of docs/benchmarks.md.
 *
 *   npm run bench:multi-fidelity [-- --seeds 3 --quick]
 */
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { startCoordinator } from "@bayestune/coordinator";
import { StudyConfig, type SchedulerSpec, type TrialJob } from "@bayestune/protocol";
import { cleanUp, startSimulatedWorkers, uniquePrefix } from "../../test/support/simulated-workers.js";
import { replaceSection } from "../doc-sections.js";
import { describeMachine } from "../machine.js";
import { bestFullBudgetLoss, CURVE_SPACE, curveLoss, MAX_STEPS, MIN_STEPS } from "./curves.js";
import { renderMultiFidelityReport, type EngineRun } from "./report.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface Engine {
  readonly name: string;
  readonly sampler: "random" | "gp";
  readonly scheduler?: SchedulerSpec;
}

const ENGINES: readonly Engine[] = [
  { name: "random-full", sampler: "random" },
  { name: "bo-full", sampler: "gp" },
  { name: "random-asha", sampler: "random", scheduler: { type: "asha" } },
  { name: "random-hyperband", sampler: "random", scheduler: { type: "hyperband" } },
  { name: "bayestune-mf", sampler: "gp", scheduler: { type: "asha" } },
];

/** Full-budget runs the full-fidelity engines get. */
const FULL_RUNS = 30;
/** Scheduled engines stop at a third of that compute: the target compares them there. */
const CAP_SHARE = 1 / 3;
/** Within this much of the best reachable full-budget loss counts as reaching the target. */
const TARGET_GAP = 0.05;

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seeds: { type: "string" }, quick: { type: "boolean", default: false }, report: { type: "string" } } });
  const quick = values.quick ?? false;
  const seeds = Array.from({ length: Number(values.seeds ?? (quick ? 1 : 3)) }, (_, i) => i);
  const slotCounts = quick ? [4] : [1, 16];
  const fullRuns = quick ? 9 : FULL_RUNS;
  const reportPath = values.report ?? (quick ? join(tmpdir(), "bayestune-mf-bench.md") : join(root, "docs/benchmarks.md"));
  const started = Date.now();
  const target = bestFullBudgetLoss() + TARGET_GAP;
  const runs: EngineRun[] = [];
  for (const slots of slotCounts) {
    for (const engine of ENGINES) {
      for (const seed of seeds) {
        const run = await runEngine(engine, slots, seed, fullRuns, target);
        log(
          `${engine.name} slots=${slots} seed=${seed}: best@cap ${run.bestAtCap.toFixed(4)}, best@full ${run.bestAtFull?.toFixed(4) ?? "-"}, steps to target ${run.stepsToTarget ?? "never"}, ${run.configurations} configurations, ${run.promotions} promotions, ${run.steps} steps, ${(run.wallMs / 1000).toFixed(1)} s`,
        );
        runs.push(run);
      }
    }
  }
  const section = renderMultiFidelityReport({
    command: `npm run bench:multi-fidelity${quick ? " -- --quick" : ""}`,
    date: new Date().toISOString(),
    wallMinutes: (Date.now() - started) / 60000,
    machine: describeMachine({ python: null, optuna: null, torch: null, scipy: null }),
    runs,
    seeds: seeds.length,
    fullRuns,
    capSteps: fullRuns * MAX_STEPS * CAP_SHARE,
    target,
    targetGap: TARGET_GAP,
  });
  const previous = await readFile(reportPath, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(reportPath, replaceSection(previous, "multi-fidelity", section));
  log(`wrote ${reportPath}`);
}

/**
 * One engine, one seed: the coordinator and simulated workers run until the
 * study ends (full-fidelity engines: `fullRuns` trials) or, for scheduled
 * engines, until the training steps spent reach the cap.
 */
async function runEngine(engine: Engine, slots: number, seed: number, fullRuns: number, target: number): Promise<EngineRun> {
  const prefix = uniquePrefix();
  const capSteps = fullRuns * MAX_STEPS * CAP_SHARE;
  const scheduled = engine.scheduler !== undefined;
  const config = StudyConfig.parse({
    name: `${engine.name}-${slots}-${seed}`,
    space: CURVE_SPACE,
    sampler: engine.sampler,
    seed,
    maxTrials: scheduled ? 100_000 : fullRuns,
    fidelity: { min: MIN_STEPS, max: MAX_STEPS, reductionFactor: 3 },
    ...(engine.scheduler !== undefined ? { scheduler: engine.scheduler } : {}),
    command: { argv: ["simulated"] },
  });
  // Steps spent, and the best full-budget loss after each finished job, in finishing order.
  let spent = 0;
  let best = Infinity;
  let bestAtCap = Infinity;
  let stepsToTarget: number | undefined;
  let configurations = 0;
  let promotions = 0;
  let reachedCap: () => void = () => undefined;
  const capReached = new Promise<void>((resolve) => (reachedCap = resolve));
  const newSteps = (job: TrialJob): number => (job.fidelity ?? MAX_STEPS) - (job.checkpoint !== undefined ? Number(job.checkpoint.split(":")[1]) : 0);
  const evaluate = (job: TrialJob): { value: number; checkpoint: string } => {
    const steps = job.fidelity ?? MAX_STEPS;
    const value = curveLoss(job.params, steps);
    if (job.rung === 0) configurations++;
    else promotions++;
    spent += newSteps(job);
    if (steps >= MAX_STEPS) best = Math.min(best, value);
    if (spent <= capSteps) bestAtCap = best;
    if (stepsToTarget === undefined && best <= target) stepsToTarget = spent;
    if (spent >= capSteps && scheduled) reachedCap();
    return { value, checkpoint: `steps:${steps}` };
  };
  const workers = startSimulatedWorkers({ prefix, slots, delayMs: (job) => Math.max(1, newSteps(job) / 200), evaluate });
  const startedAt = Date.now();
  const coordinator = await startCoordinator({ redis: "redis://127.0.0.1:6379", prefix, config, logger: pino({ level: "warn" }), pollIntervalMs: 20 });
  try {
    await Promise.race([coordinator.done, capReached]);
  } finally {
    await coordinator.close();
    await workers.close();
    await cleanUp(prefix);
  }
  return {
    engine: engine.name,
    slots,
    seed,
    bestAtCap,
    ...(scheduled ? {} : { bestAtFull: best }),
    ...(stepsToTarget !== undefined ? { stepsToTarget } : {}),
    configurations,
    promotions,
    steps: spent,
    wallMs: Date.now() - startedAt,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
