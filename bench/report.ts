import type { MachineInfo } from "./machine.js";
import type { Problem } from "./problems.js";
import type { Summary } from "./summarise.js";

export interface ReportContext {
  readonly command: string;
  readonly date: string;
  readonly wallMinutes: number;
  readonly machine: MachineInfo;
  readonly seeds: readonly number[];
  readonly problems: readonly Problem[];
  readonly budgets: Readonly<Record<string, number>>;
  readonly latencyProblem: string;
  readonly latencyRepeats: number;
  /** Why Optuna, or one of its samplers, did not run; null when both ran. */
  readonly optunaNote: string | null;
  readonly resultsDir: string;
}

function fmt(x: number, digits = 2): string {
  if (x === Number.POSITIVE_INFINITY) return "∞";
  return x.toFixed(digits);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

/** The markdown of docs/benchmarks.md, from one run's summary. */
export function renderReport(s: Summary, c: ReportContext): string {
  const m = c.machine;
  const v = m.python;
  const out: string[] = [];
  out.push("# Benchmarks");
  out.push("");
  out.push("<!-- Written by bench/run.ts from a real run; do not edit by hand: rerun the bench instead. -->");
  out.push("");
  out.push(`- Command: \`${c.command}\``);
  out.push(`- Date: ${c.date} (wall time ${c.wallMinutes.toFixed(1)} min)`);
  out.push(`- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.os}; shared with other work, so timings are indicative`);
  out.push(`- Node ${m.node}; Python ${v.python ?? "unavailable"}; Optuna ${v.optuna ?? "unavailable"}; torch ${v.torch ?? "unavailable"}; scipy ${v.scipy ?? "unavailable"}`);
  out.push(`- Seeds: ${c.seeds.length} (${c.seeds[0]}–${c.seeds[c.seeds.length - 1]}), the same for every engine`);
  out.push(`- Raw results: \`${c.resultsDir}\` (not committed)`);
  if (c.optunaNote !== null) out.push(`- **Optuna: ${c.optunaNote}**`);
  out.push("");
  out.push("## Engines");
  out.push("");
  out.push("- `bayestune-gp`: `createStudy({ sampler: \"gp\" })`, the default (Sobol for the first trials, then the GP with LogEI).");
  out.push("- `optuna-gp`: Optuna's `GPSampler(seed)`; `optuna-tpe`: `TPESampler(seed)`. Every engine runs with its defaults (neither GP is told that the test functions are noise-free: bayestune's `deterministic` and Optuna's `deterministic_objective` stay off, as they would for a training run).");
  out.push("- `sobol`, `random`: bayestune's quasi-random and random samplers, as baselines.");
  out.push("");
  out.push("A diverged evaluation (NaN) is told as a failed trial (`{ state: \"failed\", reason: \"diverged\" }`; `TrialState.FAIL` in Optuna) and never counts towards the best value.");
  out.push("During the regret runs the Optuna driver runs beside the TypeScript engines (at most two processes, torch limited to one thread); the latency measurements run alone, torch with its default threads.");
  out.push("");
  out.push("## Problems");
  out.push("");
  out.push(
    table(
      ["problem", "d", "parameters", "f*", "budget"],
      c.problems.map((p) => {
        const kinds = Object.values(p.space).map((d) => (d.type === "categorical" ? "cat" : d.log ? `${d.type} log` : d.type));
        const summary = [...new Set(kinds)].map((k) => `${kinds.filter((x) => x === k).length}× ${k}`).join(", ");
        return [p.name, String(kinds.length), summary, String(Number(p.fStar.toPrecision(10))), String(c.budgets[p.name])];
      }),
    ),
  );
  out.push("");
  out.push("`llm-mixed` is a validation-loss surface shaped like LLM fine-tuning (lr log 1e-5..1e-1, batch int log 8..512, warmup int 0..2000, optimizer ∈ {adamw, sgd, lion}, dropout 0..0.5), minimum 2.0 at adamw, lr 10^-3.5, batch 64, warmup 400, dropout 0.1; it diverges (NaN) once lr passes an optimizer- and batch-dependent cliff. See `bench/problems.ts`.");
  out.push("");
  out.push("## Simple regret at the budget");
  out.push("");
  out.push("log10(best finite value − f*), floored at 1e-12 (−12); median [25th, 75th percentile] over seeds; lower is better; ∞ means no finite value was found.");
  out.push("");
  out.push(
    table(
      ["problem", ...s.engines],
      s.problems.map((p) => [p, ...s.engines.map((e) => {
        const r = s.regret[p]?.[e];
        return r === undefined ? "–" : `${fmt(r.median)} [${fmt(r.q1)}, ${fmt(r.q3)}]`;
      })]),
    ),
  );
  out.push("");
  out.push("## Mean rank");
  out.push("");
  out.push("Engines ranked by final regret on each problem × seed (1 = best, ties share the average rank), averaged.");
  out.push("");
  out.push(table(["problem", ...s.engines], [...s.problems, "overall"].map((p) => [p === "overall" ? "**overall**" : p, ...s.engines.map((e) => fmt(s.meanRank[p]?.[e] ?? Number.NaN))])));
  out.push("");
  const divergent = Object.keys(s.diverged);
  if (divergent.length > 0) {
    out.push("Mean diverged (failed) trials per study: " + divergent.map((p) => `${p}: ` + s.engines.map((e) => `${e} ${fmt(s.diverged[p]![e]!, 1)}`).join(", ")).join("; ") + ".");
    out.push("");
  }
  out.push("Median ask latency over all the asks of these runs (ms, with the other process beside): " + s.engines.map((e) => `${e} ${fmt(s.regretAskMs[e]!, 1)}`).join(", ") + ".");
  out.push("");
  out.push("## Ask latency");
  out.push("");
  out.push(
    `${c.latencyProblem} (d = ${c.latencyProblem.replace(/\D/g, "")}): the history is random points told with their values (bayestune: enqueued and told; Optuna: \`study.add_trials\`), then ${c.latencyRepeats} asks are timed, each told its value before the next. Median ms (slowest in parentheses).`,
  );
  out.push("");
  const sizes = Object.keys(s.latency).map(Number).sort((a, b) => a - b);
  const latencyEngines = ["bayestune-gp", "optuna-gp", "optuna-tpe"].filter((e) => sizes.some((n) => s.latency[n]![e] !== undefined));
  out.push(
    table(
      ["told trials", ...latencyEngines],
      sizes.map((n) => [String(n), ...latencyEngines.map((e) => {
        const cell = s.latency[n]![e];
        return cell === undefined ? "–" : `${fmt(cell.median, 1)} (${fmt(cell.max, 1)})`;
      })]),
    ),
  );
  out.push("");
  out.push("## Targets");
  out.push("");
  for (const t of s.targets) {
    const verdict = t.met === null ? "not measured" : t.met ? "**met**" : "**not met**";
    out.push(`- ${t.statement}: ${verdict} — ${t.evidence}.`);
  }
  out.push("");
  return out.join("\n");
}
