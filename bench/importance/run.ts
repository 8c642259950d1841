/*
 * How right is the dashboard's parameter importance? On functions whose
 * first-order Sobol indices are known in closed form, the importance the
 * dashboard draws (the main-effect variance of the GP's mean, normalised) is
 * compared with the truth, beside Optuna's evaluators on the same trials
 * (fANOVA and mean decrease in impurity over random forests, and PED-ANOVA,
 * Optuna's default, which scores importance for reaching the top 10%: another
 * question, so its distance to the indices is shown, not judged). The trials
 * come from uniform random sampling and from a bayestune GP study (data that
 * crowds near the optimum, as a real study's does).
 *
 *   npm run bench:importance [-- --seeds 5]
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createStudy, float, Rng, type Study } from "@bayestune/core";
import { parameterImportance } from "@bayestune/dashboard";
import { replaceSection } from "../doc-sections.js";
import { describeMachine } from "../machine.js";
import { probePython } from "../optuna-bridge.js";
import { VENV_PYTHON } from "../optuna-pipe.js";
import { median } from "../stats.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const DRIVER = join(root, "bench/importance/optuna_importance.py");
const { values: flags } = parseArgs({ options: { seeds: { type: "string", default: "5" } } });
const SEEDS = Number(flags.seeds);

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

interface Problem {
  readonly name: string;
  readonly description: string;
  readonly bounds: Readonly<Record<string, readonly [number, number]>>;
  readonly f: (x: Readonly<Record<string, number>>) => number;
  /** The first-order Sobol indices S_i, in closed form. */
  readonly indices: Readonly<Record<string, number>>;
}

/** Ishigami & Homma (1990), a = 7, b = 0.1, on [-π, π]³: x3 acts only through an interaction, so its first-order index is 0. */
function ishigami(): Problem {
  const a = 7;
  const b = 0.1;
  const v1 = 0.5 * (1 + (b * Math.PI ** 4) / 5) ** 2;
  const v2 = a ** 2 / 8;
  const total = a ** 2 / 8 + (b * Math.PI ** 4) / 5 + (b ** 2 * Math.PI ** 8) / 18 + 0.5;
  const pi: readonly [number, number] = [-Math.PI, Math.PI];
  return {
    name: "ishigami",
    description: "Ishigami (a = 7, b = 0.1) on [-π, π]³; S = (0.314, 0.442, 0): x3 matters only with x1",
    bounds: { x1: pi, x2: pi, x3: pi },
    f: (x) => Math.sin(x["x1"]!) + a * Math.sin(x["x2"]!) ** 2 + b * x["x3"]! ** 4 * Math.sin(x["x1"]!),
    indices: { x1: v1 / total, x2: v2 / total, x3: 0 },
  };
}

/** Sobol's G-function on [0, 1]⁶ with a = (0, 1, 4.5, 9, 99, 99): importance falls with a_i, the last two next to nothing. */
function gFunction(): Problem {
  const a = [0, 1, 4.5, 9, 99, 99];
  const names = a.map((_, i) => `x${i + 1}`);
  const partial = a.map((ai) => 1 / (3 * (1 + ai) ** 2));
  const total = partial.reduce((p, v) => p * (1 + v), 1) - 1;
  return {
    name: "g-function",
    description: "Sobol's G-function, a = (0, 1, 4.5, 9, 99, 99), on [0, 1]⁶; S = (0.587, 0.147, 0.024, 0.007, 0.000, 0.000)",
    bounds: Object.fromEntries(names.map((n) => [n, [0, 1] as const])),
    f: (x) => names.reduce((p, n, i) => p * ((Math.abs(4 * x[n]! - 2) + a[i]!) / (1 + a[i]!)), 1),
    indices: Object.fromEntries(names.map((n, i) => [n, partial[i]! / total])),
  };
}

type Trials = { params: Record<string, number>; value: number }[];

function randomTrials(problem: Problem, n: number, seed: number): Trials {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const params = Object.fromEntries(Object.entries(problem.bounds).map(([name, [lo, hi]]) => [name, lo + (hi - lo) * rng.uniform()]));
    return { params, value: problem.f(params) };
  });
}

function spaceOf(problem: Problem) {
  return Object.fromEntries(Object.entries(problem.bounds).map(([name, [lo, hi]]) => [name, float(lo, hi)]));
}

/** A bayestune GP study minimising the problem for n trials: the data a real study leaves. */
async function studyTrials(problem: Problem, n: number, seed: number): Promise<Trials> {
  const study = createStudy({ space: spaceOf(problem), seed, sampler: "gp", onWarning: () => undefined });
  const trials: Trials = [];
  for (let i = 0; i < n; i++) {
    const trial = await study.ask();
    const params = trial.params as Record<string, number>;
    const value = problem.f(params);
    await study.tell(trial.number, value);
    trials.push({ params, value });
  }
  return trials;
}

/** The dashboard's estimate: a GP fitted to the trials, then parameterImportance on its mean. */
async function bayestuneImportance(problem: Problem, trials: Trials): Promise<Record<string, number>> {
  const study: Study = createStudy({ space: spaceOf(problem), seed: 0, sampler: "random" });
  for (const t of trials) {
    study.enqueue(t.params);
    const asked = await study.ask();
    await study.tell(asked.number, t.value);
  }
  const ranked = parameterImportance(study.space, (points) => study.predict(points).map((p) => p.objective.mean));
  return Object.fromEntries(ranked.map((r) => [r.name, r.importance]));
}

/** Total variation between two importance vectors, each normalised to sum 1: 0 is exact, 1 disjoint. */
function distance(estimate: Readonly<Record<string, number>>, truth: Readonly<Record<string, number>>): number {
  const sum = (v: Readonly<Record<string, number>>) => Object.values(v).reduce((s, x) => s + x, 0) || 1;
  const [se, st] = [sum(estimate), sum(truth)];
  return 0.5 * Object.keys(truth).reduce((s, k) => s + Math.abs((estimate[k] ?? 0) / se - truth[k]! / st), 0);
}

function topParameter(v: Readonly<Record<string, number>>): string {
  return Object.entries(v).reduce((best, e) => (e[1] > best[1] ? e : best))[0];
}

/** One Python process answering every importance request over a pipe. */
function optunaPipe(): { ask(problem: Problem, trials: Trials, seed: number): Promise<Record<string, Record<string, number>>>; close(): void } {
  const child = spawn(VENV_PYTHON, [DRIVER], { stdio: ["pipe", "pipe", "inherit"] });
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()?.(line));
  return {
    ask(problem, trials, seed) {
      return new Promise((resolve) => {
        waiting.push((line) => resolve(JSON.parse(line) as Record<string, Record<string, number>>));
        child.stdin.write(`${JSON.stringify({ space: problem.bounds, trials, seed })}\n`);
      });
    },
    close: () => child.stdin.end(),
  };
}

interface Row {
  problem: string;
  design: string;
  n: number;
  estimator: string;
  distances: number[];
  topRight: number;
  ms: number[];
}

async function main(): Promise<void> {
  const started = Date.now();
  const python = await probePython();
  const withOptuna = existsSync(VENV_PYTHON) && python.optuna !== null;
  if (!withOptuna) log("bench/.venv with Optuna is missing (bash bench/setup-python.sh): bayestune alone");
  const pipe = withOptuna ? optunaPipe() : undefined;
  const rows = new Map<string, Row>();
  const record = (key: Omit<Row, "distances" | "topRight" | "ms">, estimate: Record<string, number>, truth: Record<string, number>, ms: number) => {
    const id = `${key.problem}|${key.design}|${key.n}|${key.estimator}`;
    const row = rows.get(id) ?? { ...key, distances: [], topRight: 0, ms: [] };
    row.distances.push(distance(estimate, truth));
    if (topParameter(estimate) === topParameter(truth)) row.topRight++;
    row.ms.push(ms);
    rows.set(id, row);
  };
  for (const problem of [ishigami(), gFunction()]) {
    for (const design of ["random", "gp study"] as const) {
      for (const n of [30, 100]) {
        log(`${problem.name}, ${design}, n = ${n}`);
        for (let seed = 0; seed < SEEDS; seed++) {
          const trials = design === "random" ? randomTrials(problem, n, seed) : await studyTrials(problem, n, seed);
          const key = { problem: problem.name, design, n };
          let t0 = performance.now();
          record({ ...key, estimator: "bayestune (GP main effects)" }, await bayestuneImportance(problem, trials), problem.indices, performance.now() - t0);
          if (pipe !== undefined) {
            t0 = performance.now();
            const optuna = await pipe.ask(problem, trials, seed);
            const ms = (performance.now() - t0) / 3;
            record({ ...key, estimator: "optuna fANOVA" }, optuna["fanova"]!, problem.indices, ms);
            record({ ...key, estimator: "optuna mean decrease impurity" }, optuna["mdi"]!, problem.indices, ms);
            record({ ...key, estimator: "optuna PED-ANOVA (default; top-10% question)" }, optuna["ped-anova"]!, problem.indices, ms);
          }
        }
      }
    }
  }
  pipe?.close();

  const m = describeMachine(python);
  const f = (x: number) => x.toFixed(3);
  const lines = [
    "## Parameter importance against known answers",
    "",
    "<!-- Written by bench/importance/run.ts from a real run; do not edit by hand. -->",
    "",
    `- Command: \`npm run bench:importance -- --seeds ${SEEDS}\``,
    `- Date: ${new Date().toISOString()} (wall time ${((Date.now() - started) / 60_000).toFixed(1)} min); ${m.nproc} CPUs, ${m.cpuModel}, Node ${m.node}, Python ${m.python.python ?? "-"}, Optuna ${m.python.optuna ?? "-"}`,
    "- Truth: each problem's first-order Sobol indices in closed form, normalised to sum 1 (what the dashboard's bar chart shows). Error: total variation ½ Σ |estimate − truth| between the normalised vectors (0: exact; 1: disjoint). Top right: seeds whose most important parameter is the true one.",
    "- Trials: `random` = uniform samples; `gp study` = the trials of a bayestune GP study minimising the problem (crowded near its optimum, as a real study's are). Every estimator sees the same trials.",
    `- ${SEEDS} seeds; median [min, max] over seeds. The timings include Optuna's fitting only (one Python process, shared by its three evaluators: their time is the request's divided by three).`,
    "",
    "| problem | trials | n | estimator | error | top right | median time (ms) |",
    "| --- | --- | ---: | --- | ---: | ---: | ---: |",
    ...[...rows.values()].map(
      (r) => `| ${r.problem} | ${r.design} | ${r.n} | ${r.estimator} | ${f(median(r.distances))} [${f(Math.min(...r.distances))}, ${f(Math.max(...r.distances))}] | ${r.topRight}/${r.distances.length} | ${median(r.ms).toFixed(0)} |`,
    ),
    "",
    "Problems:",
    ...[ishigami(), gFunction()].map((p) => `- \`${p.name}\`: ${p.description}.`),
  ];
  const body = lines.join("\n");
  const docPath = join(root, "docs/benchmarks.md");
  await writeFile(docPath, replaceSection(await readFile(docPath, "utf8"), "importance", body));
  process.stdout.write(`${body}\n`);
}

await main();
