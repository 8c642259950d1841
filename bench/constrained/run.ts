/*
 * Constrained optimisation and crashing runs: bayestune's GP (one GP per
 * constraint, a failure model for crashes) against random search and, where
 * bench/.venv has them, Optuna's GPSampler and TPESampler with constraints_func,
 * in the same run on the same problems and seeds. Reports the best feasible
 * value at the budget and the evaluations wasted on infeasible or crashing
 * points; writes its section of docs/benchmarks.md.
 *
 *   npm run bench:constrained [-- --seeds 5 --quick]
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createStudy } from "@bayestune/core";
import { replaceSection } from "../doc-sections.js";
import { describeMachine } from "../machine.js";
import { probePython } from "../optuna-bridge.js";
import { runOptunaOverPipe, VENV_PYTHON } from "../optuna-pipe.js";
import { CONSTRAINED_PROBLEMS, type ConstrainedProblem, type Outcome } from "./problems.js";
import { renderConstrainedReport, type ConstrainedRun } from "./report.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

/** Tallies one engine's evaluations on one problem and seed. */
class Tally {
  best = Infinity;
  infeasible = 0;
  crashed = 0;
  readonly askMs: number[] = [];

  record(outcome: Outcome): void {
    if ("crashed" in outcome) this.crashed++;
    else if (outcome.constraints.some((c) => c > 0)) this.infeasible++;
    else this.best = Math.min(this.best, outcome.value);
  }
}

async function runBayestune(problem: ConstrainedProblem, sampler: "gp" | "random", seed: number): Promise<Tally> {
  const names = Array.from({ length: problem.constraintCount }, (_, i) => `c${i}`);
  const study = createStudy({ space: problem.space, seed, sampler, constraints: names.map((name) => ({ name, max: 0 })), onWarning: () => undefined });
  const tally = new Tally();
  for (let i = 0; i < problem.budget; i++) {
    const started = performance.now();
    const trial = await study.ask();
    tally.askMs.push(performance.now() - started);
    const outcome = problem.evaluate(trial.params as Record<string, number>);
    tally.record(outcome);
    if ("crashed" in outcome) await study.tell(trial.number, { state: "failed", reason: "crashed" });
    else await study.tell(trial.number, { value: outcome.value, constraints: Object.fromEntries(names.map((n, k) => [n, outcome.constraints[k]!])) });
  }
  return tally;
}

async function runOptuna(problem: ConstrainedProblem, engine: "gp" | "tpe", seed: number): Promise<Tally> {
  const tally = new Tally();
  const askMs = await runOptunaOverPipe(engine, seed, problem.space, problem.budget, 1, (params) => {
    const outcome = problem.evaluate(params);
    tally.record(outcome);
    return outcome;
  });
  tally.askMs.push(...askMs);
  return tally;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seeds: { type: "string" }, quick: { type: "boolean", default: false }, report: { type: "string" } } });
  const quick = values.quick ?? false;
  const seeds = Array.from({ length: Number(values.seeds ?? (quick ? 1 : 5)) }, (_, i) => i);
  const reportPath = values.report ?? (quick ? join(tmpdir(), "bayestune-constrained-bench.md") : join(root, "docs/benchmarks.md"));
  const python = await probePython();
  const optuna: ("gp" | "tpe")[] = !existsSync(VENV_PYTHON) || python.optuna === null ? [] : python.torch !== null && python.scipy !== null ? ["gp", "tpe"] : ["tpe"];
  const started = Date.now();
  const runs: ConstrainedRun[] = [];
  const engines: { name: string; run: (p: ConstrainedProblem, seed: number) => Promise<Tally> }[] = [
    { name: "bayestune-gp", run: (p, seed) => runBayestune(p, "gp", seed) },
    { name: "random", run: (p, seed) => runBayestune(p, "random", seed) },
    ...optuna.map((engine) => ({ name: `optuna-${engine}`, run: (p: ConstrainedProblem, seed: number) => runOptuna(p, engine, seed) })),
  ];
  for (const problem of CONSTRAINED_PROBLEMS) {
    for (const engine of engines) {
      for (const seed of seeds) {
        const tally = await engine.run(problem, seed);
        runs.push({ problem: problem.name, engine: engine.name, seed, best: tally.best, infeasible: tally.infeasible, crashed: tally.crashed, askMs: tally.askMs });
        log(`${problem.name} ${engine.name} seed ${seed}: best feasible ${tally.best.toFixed(4)}, ${tally.infeasible} infeasible, ${tally.crashed} crashed`);
      }
    }
  }
  const section = renderConstrainedReport({
    command: `npm run bench:constrained${quick ? " -- --quick" : ""}`,
    date: new Date().toISOString(),
    wallMinutes: (Date.now() - started) / 60000,
    machine: describeMachine(python),
    problems: CONSTRAINED_PROBLEMS,
    seeds: seeds.length,
    runs,
    optunaNote: optuna.length === 0 ? "Optuna unavailable (run bench/setup-python.sh): only the TypeScript engines ran" : undefined,
  });
  const previous = await readFile(reportPath, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(reportPath, replaceSection(previous, "constrained", section));
  log(`wrote ${reportPath}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
