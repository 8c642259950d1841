import type { MachineInfo } from "../machine.js";
import { median } from "../stats.js";

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
}

export interface MultiFidelityReportContext {
  readonly command: string;
  readonly date: string;
  readonly wallMinutes: number;
  readonly machine: MachineInfo;
  readonly runs: readonly EngineRun[];
  readonly seeds: number;
  readonly fullRuns: number;
  readonly capSteps: number;
  readonly target: number;
  readonly targetGap: number;
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
    "- Curves: the synthetic family of `bench/multi-fidelity/curves.ts` (lr log, dropout, batch size int log, warmup int; loss = L∞(θ) + 3·(t/100)^−α(θ) + ±0.01 noise, where a higher lr converges faster but to a worse floor, so curves cross). Budget 100 to 8100 steps, η = 3 (rungs 100, 300, 900, 2700, 8100). Real learning curves of a language model are not in this run.",
  );
  out.push(
    "- Every engine runs through the real coordinator (`startCoordinator`) on Redis with simulated workers that replay the curves; a promoted job resumes from its checkpoint, so it spends only its new steps. Jobs take 1 ms per 200 new steps, so asynchrony is real.",
  );
  out.push(
    `- Full-fidelity engines run ${c.fullRuns} trials at 8100 steps (${c.fullRuns * 8100} steps); scheduled engines stop once they have spent ${c.capSteps} steps (a third). ` +
      `Target loss: ${c.target.toFixed(4)} (the best reachable full-budget loss + ${c.targetGap}). ${c.seeds} seeds per engine; median [min, max].`,
  );
  out.push("");
  const engines = [...new Set(c.runs.map((r) => r.engine))];
  for (const slots of [...new Set(c.runs.map((r) => r.slots))]) {
    out.push(`### ${slots} worker slot${slots === 1 ? "" : "s"}`);
    out.push("");
    out.push(`| engine | best loss at ${c.capSteps} steps | best loss at ${c.fullRuns * 8100} steps | steps to the target | configurations tried | wall (s) |`);
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
  out.push("### Targets");
  out.push("");
  for (const slots of [...new Set(c.runs.map((r) => r.slots))]) {
    const of = (engine: string): EngineRun[] => c.runs.filter((r) => r.engine === engine && r.slots === slots);
    const mf = of("bayestune-mf");
    const bo = of("bo-full");
    if (mf.length === 0 || bo.length === 0) continue;
    const mfAtCap = median(mf.map((r) => r.bestAtCap));
    const boFinal = median(bo.flatMap((r) => (r.bestAtFull !== undefined ? [r.bestAtFull] : [])));
    out.push(
      `- ${slots} slot(s), bayestune multi-fidelity matches full-fidelity BO's final loss with at most 1/3 of its compute: **${mfAtCap <= boFinal ? "met" : "not met"}** — median ${mfAtCap.toFixed(4)} at ${c.capSteps} steps against BO's ${boFinal.toFixed(4)} at ${c.fullRuns * 8100}.`,
    );
    const mfSteps = medianSteps(mf);
    const rivals = ["random-asha", "random-hyperband"].map((e) => ({ e, steps: medianSteps(of(e)) }));
    const met = rivals.every((r) => mfSteps < r.steps);
    out.push(
      `- ${slots} slot(s), less compute than ASHA and Hyperband to reach the target: **${met ? "met" : "not met"}** — median steps: bayestune-mf ${fmtSteps(mfSteps, c.capSteps)}, ${rivals.map((r) => `${r.e} ${fmtSteps(r.steps, c.capSteps)}`).join(", ")}.`,
    );
  }
  return out.join("\n");
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
