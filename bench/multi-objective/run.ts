/*
 * Several objectives: bayestune's GP sampler (composite ParEGO) against random search and,
 * where bench/.venv has them, Optuna's GPSampler (LogEHVI), NSGA-II and TPE, in
 * the same run on the same problems and seeds. Reports the hypervolume of each
 * engine's Pareto front at the budget; writes its section of docs/benchmarks.md.
 *
 *   npm run bench:multi-objective [-- --seeds 5 --quick]
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createStudy, hypervolume, paretoFront } from "@bayestune/core";
import { replaceSection } from "../doc-sections.js";
import { describeMachine } from "../machine.js";
import { probePython } from "../optuna-bridge.js";
import { runOptunaOverPipe, VENV_PYTHON } from "../optuna-pipe.js";
import { MULTI_OBJECTIVE_PROBLEMS, type MultiObjectiveProblem } from "./problems.js";
import { renderMultiObjectiveReport, type MultiObjectiveRun } from "./report.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

interface Evaluated {
  readonly values: number[][];
  readonly askMs: number[];
}

async function runBayestune(problem: MultiObjectiveProblem, sampler: "gp" | "random", seed: number): Promise<Evaluated> {
  const study = createStudy({ space: problem.space, seed, sampler, directions: Array.from({ length: problem.objectives }, () => "minimize" as const) });
  const values: number[][] = [];
  const askMs: number[] = [];
  for (let i = 0; i < problem.budget; i++) {
    const started = performance.now();
    const trial = await study.ask();
    askMs.push(performance.now() - started);
    const v = problem.evaluate(trial.params as Record<string, number>);
    values.push(v);
    await study.tell(trial.number, { values: v });
  }
  return { values, askMs };
}

async function runOptuna(problem: MultiObjectiveProblem, engine: "gp" | "tpe" | "nsga2", seed: number): Promise<Evaluated> {
  const values: number[][] = [];
  const askMs = await runOptunaOverPipe(engine, seed, problem.space, problem.budget, problem.objectives, (params) => {
    const v = problem.evaluate(params);
    values.push(v);
    return { values: v };
  });
  return { values, askMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seeds: { type: "string" }, quick: { type: "boolean", default: false }, report: { type: "string" } } });
  const quick = values.quick ?? false;
  const seeds = Array.from({ length: Number(values.seeds ?? (quick ? 1 : 5)) }, (_, i) => i);
  const reportPath = values.report ?? (quick ? join(tmpdir(), "bayestune-mo-bench.md") : join(root, "docs/benchmarks.md"));
  const python = await probePython();
  const optuna: ("gp" | "tpe" | "nsga2")[] =
    !existsSync(VENV_PYTHON) || python.optuna === null ? [] : python.torch !== null && python.scipy !== null ? ["gp", "nsga2", "tpe"] : ["nsga2", "tpe"];
  const engines: { name: string; run: (p: MultiObjectiveProblem, seed: number) => Promise<Evaluated> }[] = [
    { name: "bayestune-gp", run: (p, seed) => runBayestune(p, "gp", seed) },
    { name: "random", run: (p, seed) => runBayestune(p, "random", seed) },
    ...optuna.map((engine) => ({ name: `optuna-${engine}`, run: (p: MultiObjectiveProblem, seed: number) => runOptuna(p, engine, seed) })),
  ];
  const started = Date.now();
  const runs: MultiObjectiveRun[] = [];
  for (const problem of MULTI_OBJECTIVE_PROBLEMS) {
    for (const engine of engines) {
      for (const seed of seeds) {
        const { values: evaluated, askMs } = await engine.run(problem, seed);
        const front = paretoFront(evaluated).map((i) => evaluated[i]!);
        const volume = hypervolume(front, problem.reference);
        runs.push({ problem: problem.name, engine: engine.name, seed, hypervolume: volume, frontSize: front.length, askMs });
        log(`${problem.name} ${engine.name} seed ${seed}: hypervolume ${volume.toFixed(4)} of ${problem.frontVolume.toFixed(4)}, ${front.length} on the front`);
      }
    }
  }
  const section = renderMultiObjectiveReport({
    command: `npm run bench:multi-objective${quick ? " -- --quick" : ""}`,
    date: new Date().toISOString(),
    wallMinutes: (Date.now() - started) / 60000,
    machine: describeMachine(python),
    problems: MULTI_OBJECTIVE_PROBLEMS,
    seeds: seeds.length,
    runs,
    optunaNote: optuna.length === 0 ? "Optuna unavailable (run bench/setup-python.sh): only the TypeScript engines ran" : undefined,
  });
  const previous = await readFile(reportPath, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(reportPath, replaceSection(previous, "multi-objective", section));
  log(`wrote ${reportPath}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
