/** The batch section of docs/benchmarks.md: trials to the sequential regret, per slot count. */
import type { MachineInfo } from "../machine.js";
import { median } from "../stats.js";
import { regretsAt, trialsToReach, wilcoxonSignedRankP } from "./metrics.js";
import type { AsyncRun } from "./simulate.js";

export interface ProblemRuns {
  readonly name: string;
  readonly fStar: number;
  /** The sequential budget N. */
  readonly budget: number;
  /** Runs by slot count, each in seed order. */
  readonly bySlots: ReadonlyMap<number, readonly AsyncRun[]>;
}

export interface BatchReport {
  readonly command: string;
  readonly date: string;
  readonly wallMinutes: number;
  readonly machine: MachineInfo;
  readonly seeds: number;
  readonly problems: readonly ProblemRuns[];
  /** The target: k = TARGET_SLOTS reaches the sequential regret within TARGET_RATIO · N trials. */
  readonly targetSlots: number;
  readonly targetRatio: number;
}

const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : v > 0 ? "∞" : "−∞");

/** The rows of the summary table, one per problem and parallel slot count. */
export function summarise(p: ProblemRuns, targetRatio: number): { slots: number; reach: number; ratio: number; medianAtN: number; medianAtTarget: number; p: number }[] {
  const sequential = p.bySlots.get(1);
  if (sequential === undefined) throw new Error(`${p.name}: the batch bench needs the k = 1 runs as its reference`);
  const r1 = median(regretsAt(sequential, p.budget, p.fStar));
  const atTarget = Math.round(targetRatio * p.budget);
  const sequentialAtTarget = regretsAt(sequential, atTarget, p.fStar);
  return [...p.bySlots.entries()].map(([slots, runs]) => {
    const reach = trialsToReach(runs, r1, p.fStar);
    const regrets = regretsAt(runs, atTarget, p.fStar);
    return {
      slots,
      reach,
      ratio: reach / p.budget,
      medianAtN: median(regretsAt(runs, p.budget, p.fStar)),
      medianAtTarget: median(regrets),
      p: slots === 1 ? Number.NaN : wilcoxonSignedRankP(regrets, sequentialAtTarget),
    };
  });
}

export function renderBatchReport(report: BatchReport): string {
  const lines: string[] = [];
  const { machine } = report;
  lines.push("## Asynchronous batches: trials to the sequential regret", "");
  lines.push(
    `\`${report.command}\` · ${report.date.slice(0, 10)} · ${report.seeds} seeds · ${fmt(report.wallMinutes, 1)} min on ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}`,
    "",
    "k workers run trials of random length (uniform 0.5–1.5, the same stream per seed for every k); each completion is told and the freed slot gets a new trial asked while the other k − 1 are running. k = 1 runs N trials (the problem's budget), k > 1 runs 2·N. R1 is the median over seeds of k = 1's log10 regret at N; T_k the smallest trial count (in completion order) at which the median log10 regret of k slots reaches R1 (∞: not within 2·N). " +
      `Target: T_${report.targetSlots} ≤ ${report.targetRatio}·N. p: paired Wilcoxon signed-rank (normal approximation), per seed, of k slots at ${report.targetRatio}·N against k = 1 at N.`,
    "",
    `| problem | N | R1 | k | T_k | T_k / N | median log10 regret at N | at ${report.targetRatio}·N | p: at ${report.targetRatio}·N vs k = 1 at N |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const p of report.problems) {
    const rows = summarise(p, report.targetRatio);
    const r1 = rows.find((r) => r.slots === 1)!.medianAtN;
    for (const row of rows) {
      lines.push(
        `| ${p.name} | ${p.budget} | ${fmt(r1)} | ${row.slots} | ${fmt(row.reach, 0)} | ${fmt(row.ratio)} | ${fmt(row.medianAtN)} | ${row.slots === 1 ? "—" : fmt(row.medianAtTarget)} | ${row.slots === 1 ? "—" : fmt(row.p, 3)} |`,
      );
    }
  }
  lines.push("", "<details><summary>log10 regret at N, per seed</summary>", "");
  for (const p of report.problems) {
    const slots = [...p.bySlots.keys()];
    lines.push(`**${p.name}** (N = ${p.budget})`, "", `| seed | ${slots.map((k) => `k = ${k}`).join(" | ")} |`, `|---:|${slots.map(() => "---:").join("|")}|`);
    const columns = slots.map((k) => regretsAt(p.bySlots.get(k)!, p.budget, p.fStar));
    const seeds = p.bySlots.get(slots[0]!)!.map((r) => r.seed);
    seeds.forEach((seed, i) => lines.push(`| ${seed} | ${columns.map((c) => fmt(c[i]!)).join(" | ")} |`));
    lines.push("");
  }
  lines.push("</details>");
  return lines.join("\n");
}
