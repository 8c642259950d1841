/*
 * Multi-fidelity under the real coordinator: learning curves replayed by
 * simulated workers on Redis, with checkpoint resume (a promoted job trains only
 * its new steps). Two curve families: real validation-loss curves of the tiny
 * GPT (lm-curves.ts) and a synthetic LLM-like family (synthetic-curves.ts).
 * Engines: random search and GP BO at the full budget, random + ASHA, random +
 * Hyperband, random + median stopping, and bayestune's model-based
 * multi-fidelity (GP over params and budget, under ASHA); 1 and 16 worker slots.
 * Writes its section of docs/benchmarks.md.
 *
 *   npm run bench:multi-fidelity [-- --seeds 10 --quick]
 */
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { startCoordinator } from "@bayestune/coordinator";
import type { TrialJob } from "@bayestune/protocol";
import { cleanUp, startSimulatedWorkers, TEST_SECRET, uniquePrefix } from "../../test/support/simulated-workers.js";
import { replaceSection } from "../doc-sections.js";
import { describeMachine } from "../machine.js";
import type { CurveProblem } from "./curve-problem.js";
import { loadLmCurves } from "./lm-curves.js";
import { replayConfig, type ReplayEngine } from "./virtual-replay.js";
import { renderMultiFidelityReport, type EngineRun, type ProblemContext } from "./report.js";
import { SYNTHETIC_CURVES } from "./synthetic-curves.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export type Engine = ReplayEngine;

const ENGINES: readonly Engine[] = [
  { name: "random-full", sampler: "random" },
  { name: "bo-full", sampler: "gp" },
  { name: "random-asha", sampler: "random", scheduler: { type: "asha" } },
  { name: "random-hyperband", sampler: "random", scheduler: { type: "hyperband" } },
  { name: "random-median", sampler: "random", scheduler: { type: "median" } },
  { name: "bayestune-mf", sampler: "gp", scheduler: { type: "asha" } },
];

/** Full-budget runs the full-fidelity engines get. */
const FULL_RUNS = 30;
/** Scheduled engines stop at a third of that compute: the target compares them there. */
const CAP_SHARE = 1 / 3;
/** A full run takes this long on a simulated worker; a job, its share of new steps. */
const FULL_RUN_MS = 40;

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seeds: { type: "string" }, quick: { type: "boolean", default: false }, report: { type: "string" } } });
  const quick = values.quick ?? false;
  const seeds = Array.from({ length: Number(values.seeds ?? (quick ? 1 : 10)) }, (_, i) => i);
  const slotCounts = quick ? [4] : [1, 16];
  const fullRuns = quick ? 9 : FULL_RUNS;
  const reportPath = values.report ?? (quick ? join(tmpdir(), "bayestune-mf-bench.md") : join(root, "docs/benchmarks.md"));
  const started = Date.now();
  const problems: ProblemContext[] = [];
  for (const problem of [loadLmCurves(), SYNTHETIC_CURVES]) {
    const target = problem.bestFullBudgetLoss + problem.targetGap;
    const capSteps = Math.round(fullRuns * problem.maxSteps * CAP_SHARE);
    const runs: EngineRun[] = [];
    for (const slots of slotCounts) {
      for (const engine of ENGINES) {
        for (const seed of seeds) {
          const run = await runEngine(problem, engine, slots, seed, fullRuns, capSteps, target);
          log(
            `${problem.name} ${engine.name} slots=${slots} seed=${seed}: best@cap ${run.bestAtCap.toFixed(4)}, best@full ${run.bestAtFull?.toFixed(4) ?? "-"}, steps to target ${run.stepsToTarget ?? "never"}, ${run.configurations} configurations, ${run.promotions} promotions, ${run.steps} steps, ${(run.wallMs / 1000).toFixed(1)} s`,
          );
          runs.push(run);
        }
      }
    }
    problems.push({ problem, runs, fullRuns, capSteps, target, ...(await rerunSequentialBo(problem, runs, fullRuns, capSteps, target)) });
  }
  const section = renderMultiFidelityReport({
    command: `npm run bench:multi-fidelity${quick ? " -- --quick" : ""}`,
    date: new Date().toISOString(),
    wallMinutes: (Date.now() - started) / 60000,
    machine: describeMachine({ python: null, optuna: null, torch: null, scipy: null }),
    seeds: seeds.length,
    fullMs: FULL_RUN_MS,
    problems,
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
async function runEngine(problem: CurveProblem, engine: Engine, slots: number, seed: number, fullRuns: number, capSteps: number, target: number): Promise<EngineRun> {
  const prefix = uniquePrefix();
  const scheduled = engine.scheduler !== undefined;
  const config = replayConfig(problem, engine, slots, seed, fullRuns);
  // Steps spent, and the best full-budget loss after each finished job, in finishing order.
  let spent = 0;
  let best = Infinity;
  let bestAtCap = Infinity;
  let stepsToTarget: number | undefined;
  let configurations = 0;
  let promotions = 0;
  const proposals: string[] = [];
  let reachedCap: () => void = () => undefined;
  const capReached = new Promise<void>((resolve) => (reachedCap = resolve));
  const newSteps = (job: TrialJob): number => (job.fidelity ?? problem.maxSteps) - (job.checkpoint !== undefined ? Number(job.checkpoint.split(":")[1]) : 0);
  const evaluate = (job: TrialJob): { value: number; checkpoint: string } => {
    const steps = job.fidelity ?? problem.maxSteps;
    const value = problem.loss(job.params, steps);
    if (job.rung === 0) {
      configurations++;
      proposals.push(JSON.stringify(job.params));
    } else promotions++;
    spent += newSteps(job);
    if (steps >= problem.maxSteps && Number.isFinite(value)) best = Math.min(best, value);
    if (spent <= capSteps) bestAtCap = best;
    if (stepsToTarget === undefined && best <= target) stepsToTarget = spent;
    if (spent >= capSteps && scheduled) reachedCap();
    return { value, checkpoint: `steps:${steps}` };
  };
  const workers = startSimulatedWorkers({ prefix, slots, delayMs: (job) => Math.max(1, (newSteps(job) / problem.maxSteps) * FULL_RUN_MS), evaluate });
  const startedAt = Date.now();
  const coordinator = await startCoordinator({ redis: "redis://127.0.0.1:6379", prefix, secret: TEST_SECRET, config, logger: pino({ level: "error" }), pollIntervalMs: 20 });
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
    proposals,
  };
}

/** Runs 1-slot full-fidelity BO again on its first (up to) three seeds: a sequential study proposes the same trials for the same seed. */
async function rerunSequentialBo(problem: CurveProblem, runs: readonly EngineRun[], fullRuns: number, capSteps: number, target: number): Promise<{ rerun?: { seeds: number; identical: number } }> {
  const engine = ENGINES.find((e) => e.name === "bo-full");
  const firsts = runs.filter((r) => r.engine === "bo-full" && r.slots === 1).slice(0, 3);
  if (engine === undefined || firsts.length === 0) return {};
  let identical = 0;
  for (const first of firsts) {
    const again = await runEngine(problem, engine, 1, first.seed, fullRuns, capSteps, target);
    if (JSON.stringify(again.proposals) === JSON.stringify(first.proposals)) identical++;
  }
  log(`${problem.name} bo-full slots=1 run again: ${identical} of ${firsts.length} seeds identical`);
  return { rerun: { seeds: firsts.length, identical } };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
