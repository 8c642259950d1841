import { rungLadder } from "@bayestune/core";
import type { MachineInfo } from "../machine.js";
import { median } from "../stats.js";
import type { CurveProblem } from "./curve-problem.js";

/** One engine, one seed, one slot count. */
export interface EngineRun {
  readonly engine: string;
  readonly slots: number;
  readonly seed: number;
  /** Best full-budget loss once the steps spent reached the cap (a third of the full-fidelity budget). */
  readonly bestAtCap: number;
  /** Full-fidelity engines: best loss after all their full runs. */
  readonly bestAtFull?: number;
  /** Steps spent when the best full-budget loss first reached the target; absent when it never did. */
  readonly stepsToTarget?: number;
  readonly configurations: number;
  /** Jobs that continued a trial at a higher rung. */
  readonly promotions: number;
  readonly steps: number;
  readonly wallMs: number;
  /** The params of each new configuration, in the order the workers started them (JSON). */
  readonly proposals: readonly string[];
}

/** Every run on one curve family, with the budgets and target they were measured against. */
export interface ProblemContext {
  readonly problem: CurveProblem;
  readonly runs: readonly EngineRun[];
  readonly fullRuns: number;
  readonly capSteps: number;
  readonly target: number;
  /** Seeds of 1-slot full-fidelity BO run a second time, and how many proposed exactly what their first run did. */
  readonly rerun?: { readonly seeds: number; readonly identical: number };
}

export interface MultiFidelityReportContext {
  readonly command: string;
  readonly date: string;
  readonly wallMinutes: number;
  readonly machine: MachineInfo;
  readonly seeds: number;
  /** Milliseconds a simulated full run takes. */
  readonly fullMs: number;
  readonly problems: readonly ProblemContext[];
}

/** The multi-fidelity section of docs/benchmarks.md. */
export function renderMultiFidelityReport(c: MultiFidelityReportContext): string {
  const out: string[] = [];
  const m = c.machine;
  out.push("## Multi-fidelity: promotion and the multi-fidelity GP");
  out.push("");
  out.push("<!-- Written by bench/multi-fidelity/run.ts from a real run; do not edit by hand. -->");
  out.push("");
  out.push(`- Command: \`${c.command}\``);
  out.push(`- Date: ${c.date} (wall time ${c.wallMinutes.toFixed(1)} min); ${m.nproc} CPUs, ${m.cpuModel}, Node ${m.node}`);
  out.push(
    `- Every engine runs through the real coordinator (\`startCoordinator\`) on Redis with simulated workers that replay recorded or synthetic learning curves; a promoted job resumes from its checkpoint, so it spends only its new steps. A simulated full run takes ${c.fullMs} ms and a job its share of that, so asynchrony is real.`,
  );
  out.push(
    "- Engines: `random-full` and `bo-full` (bayestune's GP) train every trial at the full budget; `random-asha`, `random-hyperband` (one bracket per rung) and `random-median` (the median stopping rule at each rung) sample at random; `bayestune-mf` proposes from a GP fitted to the deepest rung holding enough results (BOHB's rule) under ASHA, one new configuration in three at random (as BOHB).",
  );
  out.push(`- Full-fidelity engines run a fixed number of full runs; scheduled engines stop at a third of that compute (the cap). ${c.seeds} seeds per engine; median [min, max].`);
  out.push("");
  for (const p of c.problems) renderProblem(out, p);
  return out.join("\n");
}

function renderProblem(out: string[], c: ProblemContext): void {
  const p = c.problem;
  const rungs = rungLadder({ min: p.minSteps, max: p.maxSteps, reductionFactor: p.reductionFactor });
  const fullSteps = c.fullRuns * p.maxSteps;
  out.push(`### Curves: ${p.name}`);
  out.push("");
  out.push(`- Curves: ${p.description}.`);
  out.push(
    `- Budget ${p.minSteps} to ${p.maxSteps} steps, η = ${p.reductionFactor} (rungs ${rungs.join(", ")}). Full-fidelity engines: ${c.fullRuns} runs (${fullSteps} steps); cap ${c.capSteps} steps. Target loss: ${c.target.toFixed(4)} (the best full-budget loss of any configuration, ${p.bestFullBudgetLoss.toFixed(4)}, + ${p.targetGap}).`,
  );
  if (c.rerun !== undefined) {
    out.push(`- Reproducible per seed: 1-slot \`bo-full\` run again on ${c.rerun.seeds} seeds proposed the same configurations in the same order on ${c.rerun.identical} of ${c.rerun.seeds}.`);
  }
  out.push("");
  const engines = [...new Set(c.runs.map((r) => r.engine))];
  const slotCounts = [...new Set(c.runs.map((r) => r.slots))];
  for (const slots of slotCounts) {
    out.push(`#### ${p.name}, ${slots} worker slot${slots === 1 ? "" : "s"}`);
    out.push("");
    out.push(`| engine | best loss at ${c.capSteps} steps | best loss at ${fullSteps} steps | steps to the target | configurations tried | wall (s) |`);
    out.push("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const engine of engines) {
      const runs = c.runs.filter((r) => r.engine === engine && r.slots === slots);
      if (runs.length === 0) continue;
      const full = runs.flatMap((r) => (r.bestAtFull !== undefined ? [r.bestAtFull] : []));
      out.push(
        `| ${engine} | ${spread(runs.map((r) => r.bestAtCap), 4)} | ${full.length > 0 ? spread(full, 4) : "(stopped at the cap)"} | ${stepsToTarget(runs)} | ${spread(runs.map((r) => r.configurations), 0)} | ${median(runs.map((r) => r.wallMs / 1000)).toFixed(1)} |`,
      );
    }
    out.push("");
  }
  out.push(`#### ${p.name}: targets`);
  out.push("");
  for (const slots of slotCounts) {
    const of = (engine: string): EngineRun[] => c.runs.filter((r) => r.engine === engine && r.slots === slots);
    const mf = of("bayestune-mf");
    const bo = of("bo-full");
    if (mf.length === 0 || bo.length === 0) continue;
    const mfAtCap = median(mf.map((r) => r.bestAtCap));
    const boFinal = median(bo.flatMap((r) => (r.bestAtFull !== undefined ? [r.bestAtFull] : [])));
    out.push(
      `- ${slots} slot(s), bayestune multi-fidelity matches full-fidelity BO's final loss with at most 1/3 of its compute: **${mfAtCap <= boFinal ? "met" : "not met"}** — median ${mfAtCap.toFixed(4)} at ${c.capSteps} steps against BO's ${boFinal.toFixed(4)} at ${fullSteps}.`,
    );
    const mfSteps = medianSteps(mf);
    const rivals = ["random-asha", "random-hyperband"].map((e) => ({ e, steps: medianSteps(of(e)) }));
    const met = rivals.every((r) => mfSteps < r.steps);
    out.push(
      `- ${slots} slot(s), less compute than ASHA and Hyperband to reach the target: **${met ? "met" : "not met"}** — median steps: bayestune-mf ${fmtSteps(mfSteps, c.capSteps)}, ${rivals.map((r) => `${r.e} ${fmtSteps(r.steps, c.capSteps)}`).join(", ")}.`,
    );
  }
  out.push("");
}

function spread(values: readonly number[], digits: number): string {
  return `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}, ${Math.max(...values).toFixed(digits)}]`;
}

/** Median steps to the target, a run that never reached it counting as infinite. */
function medianSteps(runs: readonly EngineRun[]): number {
  return median(runs.map((r) => r.stepsToTarget ?? Number.POSITIVE_INFINITY));
}

function stepsToTarget(runs: readonly EngineRun[]): string {
  const reached = runs.filter((r) => r.stepsToTarget !== undefined).length;
  const m = medianSteps(runs);
  return `${Number.isFinite(m) ? m.toFixed(0) : "not reached"} (${reached}/${runs.length} reached)`;
}

function fmtSteps(steps: number, cap: number): string {
  return Number.isFinite(steps) ? steps.toFixed(0) : `not reached within ${cap}`;
}
