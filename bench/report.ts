import type { MachineInfo } from "./machine.js";
import type { Problem } from "./problems.js";
import { defaultInitialCount } from "./paired-starts.js";
import { ALPHA, formatP, type Summary } from "./summarise.js";

export interface ReportContext {
  readonly command: string;
  readonly date: string;
  readonly wallMinutes: number;
  readonly machine: MachineInfo;
  /** problem → seeds 0..n−1 it ran. */
  readonly seeds: Readonly<Record<string, number>>;
  readonly problems: readonly Problem[];
  readonly budgets: Readonly<Record<string, number>>;
  readonly latencyProblem: string;
  readonly latencyRepeats: number;
  /** Why Optuna, or one of its samplers, did not run; null when both ran. */
  readonly optunaNote: string | null;
  readonly resultsDir: string;
  /**
   * Markdown blocks appended to the "Ask latency" section, in order: the hook for
   * measurements beside the history-size sweep (the lead adds the batch-ask
   * latency of bench/ask-latency.ts here; see run.ts).
   */
  readonly extraLatencySections?: readonly string[];
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
  const seedCounts = [...new Set(Object.values(c.seeds))].sort((a, b) => a - b);
  out.push(
    `- Seeds: ${seedCounts.length === 1 ? `${seedCounts[0]} (0–${seedCounts[0]! - 1}) per problem` : `per problem (0..n−1, n in the Problems table: ${seedCounts.join(", ")})`}, the same for every engine`,
  );
  out.push(`- Raw results: \`${c.resultsDir}\` (not committed)`);
  if (c.optunaNote !== null) out.push(`- **Optuna: ${c.optunaNote}**`);
  out.push("");
  out.push("## Engines");
  out.push("");
  out.push("- `bayestune-gp`: `createStudy({ sampler: \"gp\" })`, the default (Sobol for the first trials, then the GP with LogEI).");
  out.push("- `optuna-gp`: Optuna's `GPSampler(seed, n_startup_trials)`; `optuna-tpe`: `TPESampler(seed, n_startup_trials)`, n_startup_trials set to bayestune's initial-design size (below), everything else default. Every engine runs with its defaults otherwise: neither GP is told whether an objective is noise-free or noisy (bayestune's `deterministic` and Optuna's `deterministic_objective` stay off, as they would for a training run), on the noise-free and the noisy problems alike.");
  out.push("- `sobol`, `random`: bayestune's quasi-random and random samplers, as baselines.");
  out.push("");
  out.push(
    "**Paired starts.** Per seed, every engine that allows it starts from the same initial design: the first nInitial = max(5, min(2·d, 10)) points of the scrambled Sobol sequence `SobolSampler(seed)`, which bayestune's GP sampler draws itself and the `sobol` engine draws as its first points. The Optuna driver enqueues these points (`study.enqueue_trial`) and sets `n_startup_trials` to nInitial, so the models take over at the same trial (Optuna counts completed trials, bayestune all trials, so after a diverged design point on llm-mixed Optuna draws one more startup point of its own). `random` is not paired. Runs that started from the design, by engine: " +
      s.engines.map((e) => `${e} ${s.pairedStarts[e]!.paired}/${s.pairedStarts[e]!.runs}`).join(", ") +
      ". On the noisy problems the noise of evaluation i of seed s is the same for every engine (drawn in TypeScript, `bench/noise.ts`, and passed to the Optuna driver).",
  );
  out.push("");
  out.push("A diverged evaluation (NaN) is told as a failed trial (`{ state: \"failed\", reason: \"diverged\" }`; `TrialState.FAIL` in Optuna) and never counts towards the best value.");
  out.push("During the regret runs two Optuna drivers (each taking every other seed, torch limited to one thread) run beside the TypeScript engines; the latency measurements run alone, torch with its default threads.");
  out.push("");
  out.push("## Problems");
  out.push("");
  out.push(
    table(
      ["problem", "d", "parameters", "f*", "noise sd", "budget", "nInitial", "seeds"],
      c.problems.map((p) => {
        const kinds = Object.values(p.space).map((d) => (d.type === "categorical" ? "cat" : d.log ? `${d.type} log` : d.type));
        const summary = [...new Set(kinds)].map((k) => `${kinds.filter((x) => x === k).length}× ${k}`).join(", ");
        const noise = p.noise === undefined ? "–" : `${Number(p.noise.sd.toPrecision(3))} (${p.noise.fractionOfRange} × range)`;
        return [p.name, String(kinds.length), summary, String(Number(p.fStar.toPrecision(10))), noise, String(c.budgets[p.name]), String(defaultInitialCount(kinds.length)), String(c.seeds[p.name])];
      }),
    ),
  );
  out.push("");
  out.push("`llm-mixed` is a validation-loss surface shaped like LLM fine-tuning (lr log 1e-5..1e-1, batch int log 8..512, warmup int 0..2000, optimizer ∈ {adamw, sgd, lion}, dropout 0..0.5), minimum 2.0 at adamw, lr 10^-3.5, batch 64, warmup 400, dropout 0.1; it diverges (NaN) once lr passes an optimizer- and batch-dependent cliff. See `bench/problems.ts`.");
  out.push("");
  out.push("`hartmann6-in-20d` is Hartmann6 on 6 of 20 coordinates (x1, x4, x8, x11, x15, x18); the other 14 do not change the value.");
  out.push("");
  out.push("The `-noise` problems observe their base problem plus Gaussian noise of sd = the given fraction of its range (max − min of the finite values over a fixed sample of 10,000 uniform points, `SAMPLED_RANGES` in `bench/problems.ts`). Their regret is that of what a user would deploy: the *noise-free* value at the trial with the best *observed* value, minus f*, not the best noisy observation.");
  out.push("");
  out.push("## Simple regret at the budget");
  out.push("");
  out.push("log10(best finite value − f*; on a noisy problem the noise-free value at the best observation), floored at 1e-12 (−12); median [25th, 75th percentile] over seeds; lower is better; ∞ means no finite value was found.");
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
  out.push(table(["problem", ...s.engines], [...s.problems, "overall"].map((p) => [p === "overall" ? "**overall**" : p, ...s.engines.map((e) => (s.meanRank[p]?.[e] === undefined ? "–" : fmt(s.meanRank[p]![e]!)))])));
  out.push("");
  const divergent = Object.keys(s.diverged);
  if (divergent.length > 0) {
    out.push("Mean diverged (failed) trials per study: " + divergent.map((p) => `${p}: ` + s.engines.filter((e) => Number.isFinite(s.diverged[p]![e]!)).map((e) => `${e} ${fmt(s.diverged[p]![e]!, 1)}`).join(", ")).join("; ") + ".");
    out.push("");
  }
  out.push("Median ask latency over all the asks of these runs (ms, with the other process beside): " + s.engines.map((e) => `${e} ${fmt(s.regretAskMs[e]!, 1)}`).join(", ") + ".");
  out.push("");
  out.push("## Paired comparison");
  out.push("");
  out.push(
    `bayestune-gp against each peer, seed by seed: Δ = bayestune − peer final log10 regret (negative: bayestune better); median Δ, wins/ties/losses of bayestune, and the two-sided Wilcoxon signed-rank p (\`bench/stats.ts\`: zero differences dropped; exact null distribution for up to 50 pairs without tied |Δ|, otherwise the normal approximation with the tie-corrected variance, no continuity correction; ⁿ marks the normal approximation). **Bold**: p < ${ALPHA}.`,
  );
  out.push("");
  const peers = s.engines.filter((e) => e !== "bayestune-gp");
  out.push(
    table(
      ["problem", ...peers.map((e) => `vs ${e}`)],
      s.problems.map((p) => [
        p,
        ...peers.map((e) => {
          const cmp = s.paired[p]?.[e];
          if (cmp === undefined) return "–";
          const pText = `p ${formatP(cmp.p)}${cmp.method === "normal" ? "ⁿ" : ""}`;
          return `${fmt(cmp.medianDifference)}, ${cmp.wins}/${cmp.ties}/${cmp.losses}, ${cmp.p < ALPHA ? `**${pText}**` : pText}`;
        }),
      ]),
    ),
  );
  out.push("");
  const noisy = Object.keys(s.fittedNoise);
  if (noisy.length > 0) {
    out.push("## The noise bayestune's model learns");
    out.push("");
    out.push(
      "The observation noise std of bayestune-gp's objective model at the budget (`study.objectiveModel().noiseStd`, in the objective's units), median [25th, 75th percentile] over seeds, beside the noise the problem adds. On a noise-free problem it should be near 0 (the model interpolates; the floor, a noise variance of 1e-6 in standardised units, is 1e-3 of the targets' spread: about 8e-3 on branin, whose values span 0.4–300); on a noisy one, near the true sd.",
    );
    out.push("");
    out.push(table(["problem", "noise sd added", "noise std learned"], noisy.map((p) => [p, fmtSci(s.fittedNoise[p]!.trueSd), `${fmtSci(s.fittedNoise[p]!.fitted.median)} [${fmtSci(s.fittedNoise[p]!.fitted.q1)}, ${fmtSci(s.fittedNoise[p]!.fitted.q3)}]`])));
    out.push("");
  }
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
  for (const section of c.extraLatencySections ?? []) {
    out.push(section.trimEnd());
    out.push("");
  }
  out.push("## Runtime");
  out.push("");
  out.push(
    "Time of the regret studies (asks, evaluations, tells) summed over seeds: wall seconds, then CPU seconds of the engine's process, then in parentheses the CPU seconds scaled to each problem's default seed count (the full run's seeds, at this run's budgets). CPU time barely depends on what else loads the machine, so it gives the projection: the TypeScript engines run in one single-threaded process and the Optuna runs in two (torch limited to one thread), all side by side, so on an otherwise idle 2-core machine the regret runs take about max(TypeScript CPU, (TypeScript + Optuna CPU) / 2).",
  );
  out.push("");
  const runtimeEngines = s.engines.filter((e) => s.problems.some((p) => s.runtime[p]?.[e] !== undefined));
  const totals = (engines: readonly string[], key: "seconds" | "cpuSeconds" | "projectedCpuSeconds"): number =>
    s.problems.reduce((t, p) => t + engines.reduce((u, e) => u + (s.runtime[p]?.[e]?.[key] ?? 0), 0), 0);
  const runtimeCell = (seconds: number, cpu: number, projected: number): string => `${fmt(seconds, 0)} / ${fmt(cpu, 0)} (${fmt(projected, 0)})`;
  out.push(
    table(
      ["problem", ...runtimeEngines],
      [
        ...s.problems.map((p) => [p, ...runtimeEngines.map((e) => {
          const cell = s.runtime[p]?.[e];
          return cell === undefined ? "–" : runtimeCell(cell.seconds, cell.cpuSeconds, cell.projectedCpuSeconds);
        })]),
        ["**total**", ...runtimeEngines.map((e) => runtimeCell(totals([e], "seconds"), totals([e], "cpuSeconds"), totals([e], "projectedCpuSeconds")))],
      ],
    ),
  );
  out.push("");
  const tsEngines = runtimeEngines.filter((e) => !e.startsWith("optuna-"));
  const optunaEngines = runtimeEngines.filter((e) => e.startsWith("optuna-"));
  const tsMinutes = totals(tsEngines, "projectedCpuSeconds") / 60;
  const optunaMinutes = totals(optunaEngines, "projectedCpuSeconds") / 60;
  out.push(
    `Projected regret runs at the full run's seed counts: TypeScript process ${fmt(tsMinutes, 1)} CPU min, Optuna processes ${fmt(optunaMinutes, 1)} CPU min, so about ${fmt(Math.max(tsMinutes, (tsMinutes + optunaMinutes) / 2), 0)} min on an idle 2-core machine. This run took ${fmt(c.wallMinutes, 1)} min of wall time in all (latency sweep included).`,
  );
  out.push("");
  out.push("## Targets");
  out.push("");
  for (const t of s.targets) {
    const verdict = t.met === null ? "not measured" : t.met ? "**met**" : "**not met**";
    out.push(`- ${t.statement}: ${verdict} — ${t.evidence}.`);
    for (const line of t.details ?? []) out.push(`  - ${line}`);
  }
  out.push("");
  return out.join("\n");
}

/** A small positive number in 2 significant digits, exponent form below 0.01 (0 as 0). */
function fmtSci(v: number): string {
  if (v === 0) return "0";
  return Math.abs(v) < 0.01 ? v.toExponential(1) : v.toPrecision(2);
}
