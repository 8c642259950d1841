import type { MachineInfo } from "../machine.js";
import { median } from "../stats.js";
import type { MultiObjectiveProblem } from "./problems.js";

/** One engine on one problem and seed. */
export interface MultiObjectiveRun {
  readonly problem: string;
  readonly engine: string;
  readonly seed: number;
  /** Hypervolume of the engine's Pareto front at the budget, for the problem's reference point. */
  readonly hypervolume: number;
  readonly frontSize: number;
  readonly askMs: readonly number[];
}

export interface MultiObjectiveReportContext {
  readonly command: string;
  readonly date: string;
  readonly wallMinutes: number;
  readonly machine: MachineInfo;
  readonly problems: readonly MultiObjectiveProblem[];
  readonly seeds: number;
  readonly runs: readonly MultiObjectiveRun[];
  readonly optunaNote: string | undefined;
}

/** The multi-objective section of docs/benchmarks.md. */
export function renderMultiObjectiveReport(c: MultiObjectiveReportContext): string {
  const m = c.machine;
  const out: string[] = [];
  out.push("## Several objectives");
  out.push("");
  out.push("<!-- Written by bench/multi-objective/run.ts from a real run; do not edit by hand. -->");
  out.push("");
  out.push(`- Command: \`${c.command}\``);
  out.push(
    `- Date: ${c.date} (wall time ${c.wallMinutes.toFixed(1)} min); ${m.nproc} CPUs, ${m.cpuModel}, Node ${m.node}, Python ${m.python.python ?? "-"}, Optuna ${m.python.optuna ?? "-"}, torch ${m.python.torch ?? "-"}`,
  );
  out.push(
    "- Engines: `bayestune-gp` (composite ParEGO: one GP per objective, and per proposal the log expected improvement of a random augmented Chebyshev scalarisation of the posterior samples), `random`, and Optuna's `GPSampler` (LogEHVI), `NSGAIISampler` (population 10) and `TPESampler`, evaluated by this process over a pipe.",
  );
  out.push(`- ${c.seeds} seeds per engine and problem; hypervolume of the Pareto front of all evaluations at the budget, median [min, max] over seeds; larger is better.`);
  if (c.optunaNote !== undefined) out.push(`- ${c.optunaNote}.`);
  out.push("");
  out.push("| problem | budget | engine | hypervolume | share of the true front's | front size | median ask (ms) |");
  out.push("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
  const engines = [...new Set(c.runs.map((r) => r.engine))];
  for (const problem of c.problems) {
    for (const engine of engines) {
      const runs = c.runs.filter((r) => r.problem === problem.name && r.engine === engine);
      if (runs.length === 0) continue;
      const volumes = runs.map((r) => r.hypervolume);
      out.push(
        `| ${problem.name} | ${problem.budget} | ${engine} | ${median(volumes).toFixed(4)} [${Math.min(...volumes).toFixed(4)}, ${Math.max(...volumes).toFixed(4)}] | ${((100 * median(volumes)) / problem.frontVolume).toFixed(1)}% | ${median(runs.map((r) => r.frontSize)).toFixed(0)} | ${median(runs.flatMap((r) => r.askMs)).toFixed(1)} |`,
      );
    }
  }
  out.push("");
  out.push("Problems:");
  for (const p of c.problems) out.push(`- \`${p.name}\`: ${p.description}; reference point (${p.reference.join(", ")}), the true front's hypervolume ${p.frontVolume.toFixed(4)}.`);
  out.push("");
  out.push("### Targets");
  out.push("");
  for (const p of c.problems) {
    const ranked = engines
      .map((engine) => ({ engine, volume: median(c.runs.filter((r) => r.problem === p.name && r.engine === engine).map((r) => r.hypervolume)) }))
      .sort((a, b) => b.volume - a.volume);
    const met = ranked[0]!.engine === "bayestune-gp" || ranked.find((e) => e.engine === "bayestune-gp")!.volume >= ranked[0]!.volume;
    out.push(`- ${p.name}: the largest hypervolume of all engines: **${met ? "met" : "not met"}** (${ranked.map((e) => `${e.engine} ${e.volume.toFixed(4)}`).join(", ")}).`);
  }
  return out.join("\n");
}
