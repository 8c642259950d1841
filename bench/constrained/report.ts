import type { MachineInfo } from "../machine.js";
import { median } from "../stats.js";
import type { ConstrainedProblem } from "./problems.js";

/** One engine on one problem and seed. */
export interface ConstrainedRun {
  readonly problem: string;
  readonly engine: string;
  readonly seed: number;
  /** Best feasible, non-crashed value at the budget; Infinity when none was. */
  readonly best: number;
  /** Evaluations that broke a constraint. */
  readonly infeasible: number;
  /** Evaluations that crashed (no value). */
  readonly crashed: number;
  readonly askMs: readonly number[];
}

export interface ConstrainedReportContext {
  readonly command: string;
  readonly date: string;
  readonly wallMinutes: number;
  readonly machine: MachineInfo;
  readonly problems: readonly ConstrainedProblem[];
  readonly seeds: number;
  readonly runs: readonly ConstrainedRun[];
  readonly optunaNote: string | undefined;
}

/** The constrained section of docs/benchmarks.md. */
export function renderConstrainedReport(c: ConstrainedReportContext): string {
  const m = c.machine;
  const out: string[] = [];
  out.push("## Constraints and crashing runs");
  out.push("");
  out.push("<!-- Written by bench/constrained/run.ts from a real run; do not edit by hand. -->");
  out.push("");
  out.push(`- Command: \`${c.command}\``);
  out.push(
    `- Date: ${c.date} (wall time ${c.wallMinutes.toFixed(1)} min); ${m.nproc} CPUs, ${m.cpuModel}, Node ${m.node}, Python ${m.python.python ?? "-"}, Optuna ${m.python.optuna ?? "-"}, torch ${m.python.torch ?? "-"}`,
  );
  out.push(
    "- Engines: `bayestune-gp` (LogEI + Σ log P(c_i ≤ 0), one GP per constraint, a GP classifier of crashed runs), `random` (bayestune's random sampler), and Optuna's `GPSampler` and `TPESampler` with `constraints_func` (crashes told as failed trials). Optuna gets its points evaluated by this process over a pipe, so every engine sees the same problem code.",
  );
  out.push(`- ${c.seeds} seeds per engine and problem; median [min, max] over seeds. Regret: best feasible value − the problem's feasible optimum (∞ when no evaluation was feasible). Wasted: evaluations that broke a constraint or crashed.`);
  if (c.optunaNote !== undefined) out.push(`- ${c.optunaNote}.`);
  out.push("");
  out.push("| problem | budget | engine | regret at the budget | wasted evaluations | of them crashed | median ask (ms) |");
  out.push("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
  const engines = [...new Set(c.runs.map((r) => r.engine))];
  for (const problem of c.problems) {
    for (const engine of engines) {
      const runs = c.runs.filter((r) => r.problem === problem.name && r.engine === engine);
      if (runs.length === 0) continue;
      const regrets = runs.map((r) => r.best - problem.optimum);
      out.push(
        `| ${problem.name} | ${problem.budget} | ${engine} | ${spread(regrets, 4)} | ${spread(runs.map((r) => r.infeasible + r.crashed), 0)} | ${median(runs.map((r) => r.crashed)).toFixed(0)} | ${median(runs.flatMap((r) => r.askMs)).toFixed(1)} |`,
      );
    }
  }
  out.push("");
  out.push("Problems:");
  for (const p of c.problems) out.push(`- \`${p.name}\`: ${p.description}; feasible optimum ${p.optimum.toFixed(5)}.`);
  out.push("");
  out.push("### Targets");
  out.push("");
  const bestOf = (problem: string, score: (runs: ConstrainedRun[]) => number): { engine: string; value: number }[] =>
    engines
      .map((engine) => ({ engine, value: score(c.runs.filter((r) => r.problem === problem && r.engine === engine)) }))
      .sort((a, b) => a.value - b.value);
  for (const p of c.problems) {
    const regret = bestOf(p.name, (runs) => median(runs.map((r) => r.best - p.optimum)));
    const wasted = bestOf(p.name, (runs) => median(runs.map((r) => r.infeasible + r.crashed)));
    const ours = (list: { engine: string; value: number }[]): number => list.find((e) => e.engine === "bayestune-gp")!.value;
    const regretMet = ours(regret) <= regret[0]!.value;
    const wastedMet = ours(wasted) <= wasted[0]!.value;
    out.push(
      `- ${p.name}: the best feasible regret of all engines: **${regretMet ? "met" : "not met"}** (${regret.map((e) => `${e.engine} ${fmt(e.value, 4)}`).join(", ")}); the fewest wasted evaluations: **${wastedMet ? "met" : "not met"}** (${wasted.map((e) => `${e.engine} ${e.value.toFixed(0)}`).join(", ")}).`,
    );
  }
  return out.join("\n");
}

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "∞";
}

function spread(values: readonly number[], digits: number): string {
  return `${fmt(median(values), digits)} [${fmt(Math.min(...values), digits)}, ${fmt(Math.max(...values), digits)}]`;
}
