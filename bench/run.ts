/**
 * bayestune's benchmark: simple regret and mean rank against Optuna (TPE and
 * GPSampler) and quasi-random baselines on classic and LLM-like problems, plus
 * ask latency against history size. Writes raw JSON under bench/results/ and the
 * report to docs/benchmarks.md. Run from the repository root: `npm run bench`
 * (`npm run bench -- --help` for the flags).
 */
import { copyFileSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { askBatchLatency, type BatchAskLatency } from "./ask-latency.js";
import { fencedSections } from "./doc-sections.js";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Rng } from "@bayestune/core";
import { describeMachine } from "./machine.js";
import { availableOptunaEngines, evaluateInPython, probePython, runOptunaJob } from "./optuna-bridge.js";
import { noiseOffsets } from "./noise.js";
import { defaultInitialCount, initialDesign } from "./paired-starts.js";
import { DEFAULT_SEEDS, levyProblem, PROBLEMS, randomPoint, SAMPLED_RANGES, sampledRange, type ParamValues, type Problem } from "./problems.js";
import type { LatencyRecord, RunRecord } from "./records.js";
import { renderReport } from "./report.js";
import { logRegret, median } from "./stats.js";
import { summarise } from "./summarise.js";
import { bayestuneAskLatency, runTsEngine, TS_ENGINES, type RunShared, type TsEngine } from "./ts-engines.js";

const USAGE = `usage: npm run bench -- [options]
  --seeds N          seeds 0..N-1 for every problem and engine (default: each
                     problem's own count, ${DEFAULT_SEEDS} or more; 3 with --quick)
  --problems a,b     only these problems (${PROBLEMS.map((p) => p.name).join(", ")})
  --quick            smoke run: 3 seeds, small budgets, short latency sweep
  --skip-optuna      run only the TypeScript engines
  --skip-latency     skip the ask-latency sweep
  --optuna-only      run only Optuna's regret runs (their results stay in the
                     results folder, for --optuna-from)
  --optuna-from DIR  take Optuna's regret runs from an earlier results folder
                     instead of running them; its job files must hold the same
                     problems, seeds, budgets, initial designs and noise. Optuna's
                     regret does not depend on bayestune's code, so a run that
                     changes only bayestune need not repeat Optuna's hour
  --optuna-partial   with --optuna-from: take the runs the folder holds now
                     instead of waiting for all (the report says which are missing)
  --ts-from DIR      take the TypeScript engines' runs from an earlier results
                     folder (every problem and seed of this run must be there)
  --report PATH      where to write the markdown (default docs/benchmarks.md for a
                     full run, the results folder otherwise)
  --help`;

const LATENCY_DIM = 10;
const LATENCY_HISTORY_SEED = 2024;
const CHECK_SEED = 1;
const AGREEMENT_TOLERANCE = 1e-9;
/** Optuna drivers side by side (torch one thread each): the machine has 2 cores, shared with the TypeScript engines until they finish. */
const OPTUNA_PROCESSES = 2;

interface Config {
  /** --seeds N: the same N seeds for every problem; undefined: each problem's own count. */
  seedsOverride: number | undefined;
  problems: Problem[];
  quick: boolean;
  optuna: boolean;
  latency: boolean;
  latencySizes: number[];
  latencyRepeats: number;
  reportPath: string | undefined;
  optunaOnly: boolean;
  optunaFrom: string | undefined;
  optunaPartial: boolean;
  tsFrom: string | undefined;
}

function parseConfig(argv: string[]): Config {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      seeds: { type: "string" },
      problems: { type: "string" },
      quick: { type: "boolean", default: false },
      "skip-optuna": { type: "boolean", default: false },
      "skip-latency": { type: "boolean", default: false },
      report: { type: "string" },
      "optuna-only": { type: "boolean", default: false },
      "optuna-from": { type: "string" },
      "optuna-partial": { type: "boolean", default: false },
      "ts-from": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick;
  const nSeeds = values.seeds === undefined ? (quick ? 3 : undefined) : Number(values.seeds);
  if (nSeeds !== undefined && (!Number.isInteger(nSeeds) || nSeeds < 1)) throw new Error(`--seeds must be a positive integer, got ${values.seeds}`);
  let problems = [...PROBLEMS];
  if (values.problems !== undefined) {
    const names = values.problems.split(",").map((n) => n.trim());
    const unknown = names.filter((n) => !PROBLEMS.some((p) => p.name === n));
    if (unknown.length > 0) throw new Error(`--problems must name known problems (${PROBLEMS.map((p) => p.name).join(", ")}), got ${unknown.join(", ")}`);
    problems = PROBLEMS.filter((p) => names.includes(p.name));
  }
  return {
    seedsOverride: nSeeds,
    problems,
    quick,
    optuna: !values["skip-optuna"],
    latency: !values["skip-latency"],
    latencySizes: quick ? [50, 100] : [50, 100, 200, 500],
    latencyRepeats: quick ? 3 : 5,
    reportPath: values.report,
    optunaOnly: values["optuna-only"],
    optunaFrom: values["optuna-from"],
    optunaPartial: values["optuna-partial"],
    tsFrom: values["ts-from"],
  };
}

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/**
 * Aborts unless the TypeScript and Python objectives agree, each f(argmin) is
 * f*, and the ranges that set the noise levels are still what the sample gives.
 */
async function checkProblems(problems: readonly Problem[]): Promise<void> {
  for (const problem of problems) {
    if (problem.noise === undefined) continue;
    const base = PROBLEMS.find((p) => p.noise === undefined && p.objective === problem.objective);
    const recorded = SAMPLED_RANGES[base?.name ?? ""];
    const range = base === undefined ? Number.NaN : sampledRange(base);
    if (recorded === undefined || !(Math.abs(range - recorded) <= 1e-12 * recorded)) {
      throw new Error(`${problem.name}: the sampled range of its base is ${range}, SAMPLED_RANGES says ${recorded}; update problems.ts`);
    }
    if (!(Math.abs(problem.noise.sd - problem.noise.fractionOfRange * recorded) <= 1e-12 * recorded)) {
      throw new Error(`${problem.name}: noise sd ${problem.noise.sd} is not ${problem.noise.fractionOfRange} × range ${recorded}`);
    }
  }
  const rng = new Rng(CHECK_SEED);
  const points: { problem: Problem; params: ParamValues }[] = [];
  for (const problem of [...problems, levyProblem(LATENCY_DIM)]) {
    const fAtArgmin = problem.evaluate(problem.argmin);
    if (!(Math.abs(fAtArgmin - problem.fStar) <= AGREEMENT_TOLERANCE * Math.max(1, Math.abs(problem.fStar)))) {
      throw new Error(`${problem.name}: f(argmin) = ${fAtArgmin} must equal f* = ${problem.fStar}`);
    }
    points.push({ problem, params: problem.argmin });
    for (let i = 0; i < 6; i++) points.push({ problem, params: randomPoint(problem.space, rng) });
  }
  const mixed = problems.find((p) => p.objective === "llm-mixed");
  if (mixed !== undefined) {
    points.push({ problem: mixed, params: { lr: 0.05, batch: 8, warmup: 0, optimizer: "sgd", dropout: 0.2 } });
    points.push({ problem: mixed, params: { lr: 1e-3, batch: 512, warmup: 1500, optimizer: "lion", dropout: 0.4 } });
  }
  const python = await evaluateInPython(points.map((p) => ({ problem: p.problem.objective, params: p.params })));
  let diverged = 0;
  points.forEach((p, i) => {
    const a = p.problem.evaluate(p.params);
    const b = python[i] as number;
    if (Number.isNaN(a) && Number.isNaN(b)) {
      diverged++;
      return;
    }
    if (!(Math.abs(a - b) <= AGREEMENT_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b)))) {
      throw new Error(`${p.problem.name} at ${JSON.stringify(p.params)}: TypeScript gives ${a}, Python ${b}; the two implementations must agree`);
    }
  });
  log(`problem check: TypeScript and Python agree at ${points.length} points (${diverged} diverged in both)`);
}

/**
 * Takes the Optuna regret results of an earlier (or still running) `--optuna-only`
 * run: checks now that the job each shard would send is the one that makes them,
 * then waits until every shard holds all its runs and copies them into this
 * run's folder. Waiting lets the TypeScript engines run beside Optuna's, as in a
 * plain full run.
 */
function reuseOptunaRuns(
  fromDir: string,
  shards: readonly { out: string; problems: readonly { runs: readonly unknown[] }[] }[],
  engines: readonly string[],
  resultsDir: string,
  partial: boolean,
): () => Promise<void> {
  shards.forEach((shard, k) => {
    const jobPath = join(fromDir, `optuna-job-${k}.json`);
    const earlier = JSON.parse(readFileSync(jobPath, "utf8")) as { problems: unknown };
    if (JSON.stringify(earlier.problems) !== JSON.stringify(shard.problems)) {
      throw new Error(`--optuna-from ${fromDir}: ${jobPath} holds other problems, seeds, budgets, designs or noise than this run would send; rerun Optuna`);
    }
    copyFileSync(jobPath, join(resultsDir, `optuna-job-${k}.json`));
  });
  return async () => {
    for (const [k, shard] of shards.entries()) {
      const source = join(fromDir, `optuna-${k}.jsonl`);
      const expected = engines.length * shard.problems.reduce((n, p) => n + p.runs.length, 0);
      for (;;) {
        const have = readJsonLines<unknown>(source).length;
        if (have >= expected || partial) break;
        log(`waiting for ${source}: ${have} of ${expected} Optuna runs`);
        await new Promise((resolve) => setTimeout(resolve, 30_000));
      }
      copyFileSync(source, shard.out);
    }
  };
}

/** Issue 16's ceilings on a batch ask at 500 told trials, by q. */
const BATCH_CEILINGS_MS: readonly (readonly [number, number])[] = [
  [4, 100],
  [8, 200],
];

function renderBatchLatency(batches: readonly BatchAskLatency[]): string {
  const lines = [
    `Batch asks as the coordinator makes them: a GP study in a 6-d LLM-like space (lr log, batch size int log, warmup int, dropout, Adam β2, weight decay log) with ${batches[0]?.told ?? 0} complete trials and ${batches[0]?.running ?? 0} running, then \`askBatch(q)\` ${batches[0]?.samplesMs.length ?? 0} times per q, each batch told before the next (so refits fall among the timed asks). Targets: q = 4 < 100 ms, q = 8 < 200 ms.`,
    "",
    "| told trials | q | median (ms) | slowest (ms) | median CPU (ms) | target | |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const b of batches) {
    const ceiling = BATCH_CEILINGS_MS.find(([q]) => q === b.q)?.[1];
    const verdict = ceiling === undefined ? "" : b.medianMs < ceiling ? "**met**" : "**not met**";
    lines.push(`| ${b.told} | ${b.q} | ${b.medianMs.toFixed(0)} | ${b.maxMs.toFixed(0)} | ${b.medianCpuMs.toFixed(0)} | ${ceiling === undefined ? "–" : `< ${ceiling}`} | ${verdict} |`);
  }
  return lines.join("\n");
}

/** The TypeScript engines' runs of an earlier results folder, checked to hold every problem, seed and engine of this run. */
function reuseTsRuns(fromDir: string, problems: readonly Problem[], seedsOf: (p: Problem) => number[], tsOut: string): RunRecord[] {
  const earlier = readJsonLines<RunRecord>(join(fromDir, "ts.jsonl"));
  const chosen: RunRecord[] = [];
  for (const problem of problems) {
    for (const engine of Object.keys(TS_ENGINES)) {
      for (const seed of seedsOf(problem)) {
        const run = earlier.find((r) => r.problem === problem.name && r.engine === engine && r.seed === seed);
        if (run === undefined) throw new Error(`--ts-from ${fromDir}: no ${engine} run of ${problem.name} seed ${seed}`);
        chosen.push(run);
      }
    }
  }
  copyFileSync(join(fromDir, "ts.jsonl"), tsOut);
  log(`TypeScript engines' runs taken from ${fromDir} (${chosen.length})`);
  return chosen;
}

function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

function latencyHistory(n: number): { params: ParamValues; value: number }[] {
  const problem = levyProblem(LATENCY_DIM);
  const rng = new Rng(LATENCY_HISTORY_SEED);
  return Array.from({ length: n }, () => {
    const params = randomPoint(problem.space, rng);
    return { params, value: problem.evaluate(params) };
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const config = parseConfig(argv);
  const started = Date.now();
  const stamp = new Date(started).toISOString().replace(/[:.]/g, "-");
  const resultsDir = join("bench", "results", stamp);
  mkdirSync(resultsDir, { recursive: true });
  const fullRun = !config.quick && config.seedsOverride === undefined && config.problems.length === PROBLEMS.length;
  const reportPath = config.reportPath ?? (fullRun ? join("docs", "benchmarks.md") : join(resultsDir, "benchmarks.md"));
  const budgetOf = (p: Problem): number => (config.quick ? p.quickBudget : p.budget);
  const seedsOf = (p: Problem): number[] => Array.from({ length: config.seedsOverride ?? p.seeds }, (_, i) => i);

  const versions = await probePython();
  const optunaEngines = config.optuna ? availableOptunaEngines(versions) : [];
  let optunaNote: string | null = null;
  if (!config.optuna) optunaNote = "skipped (--skip-optuna)";
  else if (optunaEngines.length === 0) optunaNote = "unavailable (bench/.venv missing or Optuna not importable: run bench/setup-python.sh); only the TypeScript engines ran";
  else if (!optunaEngines.includes("gp")) optunaNote = "GPSampler unavailable (torch or scipy missing in bench/.venv); only TPE ran";
  log(`results in ${resultsDir}; report to ${reportPath}; Optuna engines: ${optunaEngines.join(", ") || "none"}`);

  await checkProblems(config.problems);

  // What every engine shares per problem and seed: the initial design and the noise.
  const shared = new Map<string, RunShared>();
  const sharedKey = (p: Problem, seed: number): string => `${p.name}#${seed}`;
  for (const problem of config.problems) {
    for (const seed of seedsOf(problem)) {
      shared.set(sharedKey(problem, seed), { design: await initialDesign(problem, seed), noise: noiseOffsets(problem, seed, budgetOf(problem)) });
    }
  }

  // The Optuna runs are split over OPTUNA_PROCESSES drivers, seed by seed in turn, so
  // that once the TypeScript engines are done both cores work on Optuna's share.
  const optunaShards = Array.from({ length: OPTUNA_PROCESSES }, (_, k) => ({
    out: join(resultsDir, `optuna-${k}.jsonl`),
    problems: config.problems
      .map((p) => ({
        name: p.name,
        objective: p.objective,
        space: p.space,
        budget: budgetOf(p),
        nStartup: defaultInitialCount(Object.keys(p.space).length),
        runs: seedsOf(p)
          .filter((_, i) => i % OPTUNA_PROCESSES === k)
          .map((seed) => ({ seed, ...shared.get(sharedKey(p, seed))! })),
      }))
      .filter((p) => p.runs.length > 0),
  })).filter((shard) => shard.problems.length > 0);
  const reusedOptuna = config.optunaFrom === undefined ? undefined : reuseOptunaRuns(config.optunaFrom, optunaShards, optunaEngines, resultsDir, config.optunaPartial);
  if (config.optunaFrom !== undefined) {
    optunaNote = `regret runs reused from \`${config.optunaFrom}\` (same job files: problems, seeds, budgets, initial designs, noise); the latency rows were measured in this run`;
  }
  const optunaRegret =
    optunaEngines.length === 0 || config.optunaFrom !== undefined
      ? Promise.resolve()
      : Promise.all(
          optunaShards.map((shard, k) =>
            runOptunaJob({ kind: "regret", torchThreads: 1, engines: optunaEngines, problems: shard.problems }, join(resultsDir, `optuna-job-${k}.json`), shard.out).catch(
              (error: unknown) => {
                optunaNote = `an Optuna driver failed (${String(error)}); its finished runs are kept`;
                log(optunaNote);
              },
            ),
          ),
        );

  const tsOut = join(resultsDir, "ts.jsonl");
  const runs: RunRecord[] = [];
  if (config.tsFrom !== undefined) runs.push(...reuseTsRuns(config.tsFrom, config.problems, seedsOf, tsOut));
  for (const problem of config.optunaOnly || config.tsFrom !== undefined ? [] : config.problems) {
    for (const engine of Object.keys(TS_ENGINES) as TsEngine[]) {
      const t0 = Date.now();
      const finals: number[] = [];
      for (const seed of seedsOf(problem)) {
        const run = await runTsEngine(engine, problem, seed, budgetOf(problem), shared.get(sharedKey(problem, seed))!);
        runs.push(run);
        finals.push(logRegret(run.bestSoFar[run.bestSoFar.length - 1] ?? null, problem.fStar));
        await appendFile(tsOut, JSON.stringify(run) + "\n");
      }
      log(`${engine} ${problem.name}: ${seedsOf(problem).length} seeds in ${((Date.now() - t0) / 1000).toFixed(1)}s, median log10 regret ${median(finals).toFixed(2)}`);
    }
  }
  if (optunaEngines.length > 0) log("TypeScript engines done; waiting for Optuna");
  await optunaRegret;
  await reusedOptuna?.();
  for (const shard of optunaShards) runs.push(...readJsonLines<RunRecord>(shard.out));
  if (config.optunaPartial) {
    const missing = config.problems
      .map((p) => ({ name: p.name, have: new Set(runs.filter((r) => r.problem === p.name && r.engine.startsWith("optuna-gp")).map((r) => r.seed)).size, of: seedsOf(p).length }))
      .filter((m) => m.have < m.of);
    if (missing.length > 0) {
      optunaNote = `${optunaNote ?? ""}; the Optuna run was stopped before it finished, so optuna-gp lacks seeds on ${missing.map((m) => `${m.name} (${m.have} of ${m.of})`).join(", ")}: its paired tests there use the seeds it has`;
      log(optunaNote!);
    }
  }
  if (config.optunaOnly) {
    log(`Optuna's regret runs are in ${resultsDir}; pass --optuna-from ${resultsDir} to a later run`);
    return;
  }

  const latencies: LatencyRecord[] = [];
  const latencyProblem = levyProblem(LATENCY_DIM);
  if (config.latency) {
    const history = latencyHistory(Math.max(...config.latencySizes));
    for (const n of config.latencySizes) {
      const askMs = await bayestuneAskLatency(latencyProblem, history.slice(0, n), config.latencyRepeats);
      latencies.push({ engine: "bayestune-gp", problem: latencyProblem.name, history: n, askMs });
      log(`latency bayestune-gp n=${n}: median ${median(askMs).toFixed(1)} ms`);
    }
    await writeFile(join(resultsDir, "latency-ts.json"), JSON.stringify(latencies));
    if (optunaEngines.length > 0) {
      const out = join(resultsDir, "latency-optuna.jsonl");
      await runOptunaJob(
        {
          kind: "latency",
          problem: { name: latencyProblem.name, space: latencyProblem.space },
          history,
          sizes: config.latencySizes,
          repeats: config.latencyRepeats,
          engines: [...optunaEngines].reverse(),
        },
        join(resultsDir, "latency-job.json"),
        out,
      ).catch((error: unknown) => log(`Optuna latency failed: ${String(error)}`));
      latencies.push(...readJsonLines<LatencyRecord>(out));
    }
  }

  // Hook: further latency measurements (the batch asks of bench/ask-latency.ts,
  // askBatchLatency for q = 1, 4, 8 at 500 told trials, d = 6) render their own
  // markdown here; each block is appended to the report's "Ask latency" section.
  const extraLatencySections: string[] = [];
  const batchTargets: { statement: string; met: boolean; evidence: string }[] = [];
  if (config.latency) {
    const batches = await askBatchLatency({ repeats: config.quick ? 3 : 9 });
    await writeFile(join(resultsDir, "latency-batch.json"), JSON.stringify(batches));
    for (const b of batches) log(`latency bayestune-gp askBatch(${b.q}) at ${b.told}: median ${b.medianMs.toFixed(1)} ms`);
    extraLatencySections.push(renderBatchLatency(batches));
    for (const [q, ceiling] of BATCH_CEILINGS_MS) {
      const cell = batches.find((b) => b.q === q);
      if (cell === undefined) continue;
      batchTargets.push({
        statement: `\`askBatch(${q})\` at ${cell.told} told trials (d = 6) takes < ${ceiling} ms`,
        met: cell.medianMs < ceiling,
        evidence: `median ${cell.medianMs.toFixed(0)} ms (slowest ${cell.maxMs.toFixed(0)} ms, median CPU ${cell.medianCpuMs.toFixed(0)} ms)`,
      });
    }
  }

  const summary = summarise(config.problems, runs, latencies, LATENCY_DIM);
  const machine = describeMachine(versions);
  await writeFile(join(resultsDir, "summary.json"), JSON.stringify({ config: { ...config, problems: config.problems.map((p) => p.name) }, machine, summary }, null, 2));
  const npmCommand = process.env["npm_lifecycle_event"] === "bench";
  const report = renderReport(summary, {
    command: (npmCommand ? "npm run bench" : "tsx bench/run.ts") + (argv.length > 0 ? `${npmCommand ? " --" : ""} ${argv.join(" ")}` : ""),
    date: new Date(started).toISOString(),
    wallMinutes: (Date.now() - started) / 60000,
    machine,
    seeds: Object.fromEntries(config.problems.map((p) => [p.name, seedsOf(p).length])),
    problems: config.problems,
    budgets: Object.fromEntries(config.problems.map((p) => [p.name, budgetOf(p)])),
    latencyProblem: latencyProblem.name,
    latencyRepeats: config.latencyRepeats,
    optunaNote,
    resultsDir,
    extraLatencySections,
  });
  // The orchestrator bench's section (bench/orchestrator) is kept as it is.
  const previous = await readFile(reportPath, "utf8").catch(() => "");
  await writeFile(reportPath, [report.trimEnd(), ...fencedSections(previous)].join("\n\n") + "\n");
  log(`wrote ${reportPath}`);
  for (const t of batchTargets) log(`target: ${t.statement}: ${t.met ? "met" : "NOT met"} (${t.evidence})`);
  for (const t of summary.targets) log(`target: ${t.statement}: ${t.met === null ? "not measured" : t.met ? "met" : "NOT met"} (${t.evidence})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
