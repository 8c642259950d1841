/*
 * Sample efficiency under asynchronous parallel workers: the GP sampler with k
 * worker slots, simulated in-process (simulate.ts), against the sequential
 * k = 1 run. Writes the raw runs under bench/results/ and the batch section of
 * the report (docs/benchmarks.md for a full run).
 *
 *   npm run bench:batch [-- --seeds 30 --problems hartmann6,branin,llm-mixed --slots 1,4,16 --jobs 2]
 */
import { mkdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { replaceSection } from "../doc-sections.js";
import { describeMachine } from "../machine.js";
import { PROBLEMS, type Problem } from "../problems.js";
import { renderBatchReport, summarise, type ProblemRuns } from "./report.js";
import type { AsyncRun } from "./simulate.js";
import type { Job } from "./worker.js";

const USAGE = `usage: npm run bench:batch -- [options]
  --seeds N          seeds 0..N-1 (default 30)
  --problems a,b     problems (default hartmann6,branin,llm-mixed; any of ${PROBLEMS.map((p) => p.name).join(", ")})
  --slots 1,4,16     slot counts; 1 (the reference) is always run (default 1,4,16)
  --budget N         the sequential budget N for every problem (default: each problem's budget)
  --jobs N           child processes running seeds in parallel (default 1)
  --report PATH      where to write the section (default docs/benchmarks.md with the
                     default problems and 30 or more seeds, bench/results/batch.md otherwise)
  --help`;

const DEFAULT_PROBLEMS = ["hartmann6", "branin", "llm-mixed"];
/** k > 1 runs this many times the sequential budget, so a slower reach is still measured. */
const PARALLEL_BUDGET_FACTOR = 2;
const TARGET_SLOTS = 16;
const TARGET_RATIO = 1.3;

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

function parseList(value: string, flag: string): number[] {
  const list = value.split(",").map(Number);
  if (list.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`${flag} must list positive integers, got ${value}`);
  return list;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      seeds: { type: "string" },
      problems: { type: "string" },
      slots: { type: "string" },
      budget: { type: "string" },
      jobs: { type: "string" },
      report: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  const nSeeds = Number(values.seeds ?? 30);
  if (!Number.isInteger(nSeeds) || nSeeds < 1) throw new Error(`--seeds must be a positive integer, got ${values.seeds}`);
  const names = values.problems?.split(",").map((n) => n.trim()) ?? DEFAULT_PROBLEMS;
  const problems = names.map((n) => PROBLEMS.find((p) => p.name === n) ?? fail(`--problems: unknown problem ${n}`));
  const slots = [...new Set([1, ...parseList(values.slots ?? "1,4,16", "--slots")])].sort((a, b) => a - b);
  const budget = values.budget === undefined ? undefined : parseList(values.budget, "--budget")[0];
  const jobs = parseList(values.jobs ?? "1", "--jobs")[0]!;
  const fullRun = values.problems === undefined && nSeeds >= 30 && values.budget === undefined;
  const reportPath = values.report ?? (fullRun ? join("docs", "benchmarks.md") : join("bench", "results", "batch.md"));

  const started = Date.now();
  const budgetOf = (p: Problem): number => budget ?? p.budget;
  const queue: Job[] = [];
  for (const seed of Array.from({ length: nSeeds }, (_, i) => i)) {
    for (const p of problems) for (const k of slots) queue.push({ problem: p.name, seed, slots: k, trials: k === 1 ? budgetOf(p) : PARALLEL_BUDGET_FACTOR * budgetOf(p) });
  }
  const runs = await runAll(queue, jobs);

  const results: ProblemRuns[] = problems.map((p) => ({
    name: p.name,
    fStar: p.fStar,
    budget: budgetOf(p),
    bySlots: new Map(slots.map((k) => [k, runs.filter((r) => r.problem === p.name && r.slots === k).sort((a, b) => a.seed - b.seed)])),
  }));
  for (const p of results) {
    for (const row of summarise(p, TARGET_RATIO)) {
      log(`${p.name} k=${row.slots}: T=${row.reach} (${row.ratio.toFixed(2)}·N), median log10 regret at N ${row.medianAtN.toFixed(2)}, at ${TARGET_RATIO}·N ${row.medianAtTarget.toFixed(2)}, p=${row.p.toFixed(3)}`);
    }
  }
  mkdirSync(join("bench", "results"), { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  await writeFile(join("bench", "results", `batch-${stamp}.json`), JSON.stringify(runs));
  const args = process.argv.slice(2);
  const section = renderBatchReport({
    command: `npm run bench:batch${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`,
    date: new Date().toISOString(),
    wallMinutes: (Date.now() - started) / 60000,
    machine: describeMachine({ python: null, optuna: null, torch: null, scipy: null }),
    seeds: nSeeds,
    problems: results,
    targetSlots: TARGET_SLOTS,
    targetRatio: TARGET_RATIO,
  });
  const previous = await readFile(reportPath, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(reportPath, replaceSection(previous, "batch", section));
  log(`wrote ${reportPath}`);
}

/** Runs the jobs in `jobs` child processes, each taking the next job when it finishes one. */
async function runAll(queue: readonly Job[], jobs: number): Promise<AsyncRun[]> {
  const runs: AsyncRun[] = [];
  let next = 0;
  const thread = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = fork(fileURLToPath(new URL("./worker.ts", import.meta.url)), { execArgv: ["--import", "tsx"] });
      const feed = (): void => {
        const job = queue[next++];
        worker.send(job ?? { done: true });
        if (job === undefined) resolve();
      };
      worker.on("message", (run: AsyncRun) => {
        runs.push(run);
        log(`${run.problem} seed ${run.seed} k=${run.slots} (${runs.length}/${queue.length})`);
        feed();
      });
      worker.on("error", reject);
      worker.on("exit", (code) => (code === 0 ? undefined : reject(new Error(`a bench process exited with ${code}`))));
      feed();
    });
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, thread));
  return runs;
}

function fail(message: string): never {
  throw new Error(message);
}

await main();
