/*
 * Multi-fidelity engines on the recorded learning curves, replayed on a virtual
 * clock (virtual-replay.ts): the real engine decides, virtual slots train by
 * looking the curves up. 30 seeds per cell, 1 and 16 slots, both recorded sets;
 * compute counted in training steps (and, on the mini set, in the recorded
 * training seconds). The issue-18 targets are judged here and written to the
 * "mf-replay" section of docs/benchmarks.md.
 *
 *   npm run bench:mf-replay [-- --seeds 30]
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { replaceSection } from "../doc-sections.js";
import { describeMachine } from "../machine.js";
import { comparePaired } from "../paired-comparison.js";
import { median } from "../stats.js";
import type { CurveProblem } from "./curve-problem.js";
import { loadLmCurves, loadMiniCurves } from "./lm-curves.js";
import { OptunaDriver, replayOptuna, type OptunaEngine } from "./optuna-replay.js";
import { bestAt, computeToTarget, replay, type ReplayEngine, type ReplayRun } from "./virtual-replay.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Full-budget runs of the full-fidelity engines; the scheduled ones run until they have spent as much. */
const FULL_RUNS = 30;
/** The targets compare the best found at this share of full BO's compute (the cap). */
const CAP_SHARE = 1 / 3;
/** Compute levels (shares of the cap) at which the anytime curves are compared. */
const LEVELS = [0.1, 0.25, 0.5, 0.75, 1];

function engines(horizon: number): ReplayEngine[] {
  return [
    { name: "bo-full", sampler: "gp" },
    { name: "random-asha", sampler: "random", scheduler: { type: "asha" } },
    { name: "random-hyperband", sampler: "random", scheduler: { type: "hyperband" } },
    { name: "bayestune-mf", sampler: "gp", scheduler: { type: "asha" } },
    // Its budget is the horizon: the study ends by itself where the others are cut off.
    { name: "freeze-thaw", sampler: "gp", scheduler: { type: "freeze-thaw", budget: horizon } },
  ];
}
/** Optuna's engines, driven over a pipe (optuna-replay.ts), unless --no-optuna. */
const OPTUNA_ENGINES: readonly OptunaEngine[] = ["gp-full", "tpe-sha", "tpe-hyperband"];
/** The engines the targets are about, and the peers their compute to target is held against. */
const OURS = ["bayestune-mf", "freeze-thaw"];
const SCHEDULED_PEERS = ["random-asha", "random-hyperband", "optuna-tpe-sha", "optuna-tpe-hyperband"];

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

interface Cell {
  readonly problem: CurveProblem;
  readonly slots: number;
  readonly cap: number;
  readonly target: number;
  readonly runs: ReadonlyMap<string, readonly ReplayRun[]>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seeds: { type: "string" }, report: { type: "string" }, "no-optuna": { type: "boolean", default: false } } });
  const withOptuna = !(values["no-optuna"] ?? false);
  const seeds = Array.from({ length: Number(values.seeds ?? 30) }, (_, i) => i);
  const reportPath = values.report ?? join(root, "docs/benchmarks.md");
  const started = Date.now();
  const cells: Cell[] = [];
  for (const problem of [loadLmCurves(), loadMiniCurves()]) {
    const horizon = FULL_RUNS * problem.maxSteps;
    const cap = horizon * CAP_SHARE;
    const target = problem.bestFullBudgetLoss + problem.targetGap;
    for (const slots of [1, 16]) {
      const runs = new Map<string, ReplayRun[]>();
      for (const engine of engines(horizon)) {
        const list: ReplayRun[] = [];
        for (const seed of seeds) list.push(await replay(problem, engine, slots, seed, { fullRuns: FULL_RUNS, cap: horizon, unit: "steps" }));
        runs.set(engine.name, list);
        log(`${problem.name} slots=${slots} ${engine.name}: median best@cap ${median(list.map((r) => bestAt(r, cap, "steps"))).toFixed(4)}, decisions ${median(list.map((r) => r.decideMs / 1000)).toFixed(1)} s/run`);
      }
      for (const engine of withOptuna ? OPTUNA_ENGINES : []) {
        const driver = new OptunaDriver(engine, problem);
        const list: ReplayRun[] = [];
        for (const seed of seeds) list.push(await replayOptuna(driver, engine, problem, slots, seed, { fullRuns: FULL_RUNS, cap: horizon, unit: "steps" }));
        await driver.close();
        runs.set(`optuna-${engine}`, list);
        log(`${problem.name} slots=${slots} optuna-${engine}: median best@cap ${median(list.map((r) => bestAt(r, cap, "steps"))).toFixed(4)}`);
      }
      cells.push({ problem, slots, cap, target, runs });
    }
  }
  const section = render(cells, seeds.length, (Date.now() - started) / 60000, values.seeds === undefined ? "" : ` -- --seeds ${seeds.length}`);
  const previous = await readFile(reportPath, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(reportPath, replaceSection(previous, "mf-replay", section));
  log(`wrote ${reportPath}`);
}

const fmt = (v: number, digits = 4): string => (Number.isFinite(v) ? v.toFixed(digits) : "never");
const fmtP = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

function render(cells: readonly Cell[], seeds: number, minutes: number, args: string): string {
  const machine = describeMachine({ python: null, optuna: null, torch: null, scipy: null });
  const lines: string[] = [
    "## Multi-fidelity on recorded curves, replayed (issue 18)",
    "",
    `\`npm run bench:mf-replay${args}\`, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${minutes.toFixed(1)} min, ${machine.cpuModel} (${machine.nproc} cores), Node ${machine.node}.`,
    `Each study runs the real engine (StudyDriver over a MemoryStore) with 1 or 16 virtual slots that "train" by replaying the nearest recorded run's curve; a promoted job resumes from its checkpoint and pays only its new steps, and a job lasts its recorded training seconds, so with 16 slots results come back in the order they would on a cluster. Compute is counted when a job ends. ${seeds} seeds per cell. bo-full runs ${FULL_RUNS} trials at the full budget; every scheduled engine runs until it has spent as much compute. The cap is a third of that. Best: the best full-budget loss found once that much compute was spent. Target: the best recorded full-budget loss + 0.08 (the two or three best configurations of each set); steps to target count up to the full horizon ("never": not within it). Paired tests: Wilcoxon signed-rank over seeds (same seed, same initial design).`,
    "",
  ];
  const targets: string[] = [];
  for (const cell of cells) {
    const { problem, slots, cap, target, runs } = cell;
    const timed = problem.seconds !== undefined;
    const slotsLabel = `${slots} slot${slots > 1 ? "s" : ""}`;
    lines.push(`### ${problem.name}, ${slots} slot${slots > 1 ? "s" : ""}`, "");
    lines.push(`Cap ${cap} steps (horizon ${cap / CAP_SHARE}); target ${target.toFixed(4)}.`, "");
    lines.push(
      `| engine | median best at the cap | best at the cap vs random-asha (W/T/L, p) | median steps to target (reached within the horizon) |${timed ? " median training s to target |" : ""} configurations | distinct recorded runs | ≥ 2 coordinates at a bound |`,
      `|---|---:|---:|---:|${timed ? "---:|" : ""}---:|---:|---:|`,
    );
    const bestAtCap = (name: string): Map<number, number> => new Map(runs.get(name)!.map((r) => [r.seed, bestAt(r, cap, "steps")]));
    const toTarget = (name: string, unit: "steps" | "seconds"): Map<number, number> => new Map(runs.get(name)!.map((r) => [r.seed, computeToTarget(r, target, unit) ?? Infinity]));
    for (const [name, list] of runs) {
      const vsAsha = name === "random-asha" ? "—" : describe(comparePaired(bestAtCap(name), bestAtCap("random-asha")));
      const steps = [...toTarget(name, "steps").values()];
      const reached = steps.filter(Number.isFinite).length;
      const configurations = list.reduce((sum, r) => sum + r.configurations, 0);
      const distinct = list.reduce((sum, r) => sum + r.distinct, 0);
      const bounds = list.reduce((sum, r) => sum + r.atBounds.filter((b) => b >= 2).length, 0);
      lines.push(
        `| ${name} | ${fmt(median([...bestAtCap(name).values()]))} | ${vsAsha} | ${fmt(median(steps), 0)} (${reached}/${list.length}) |${timed ? ` ${fmt(median([...toTarget(name, "seconds").values()]), 0)} |` : ""} ${(configurations / list.length).toFixed(0)} | ${(distinct / configurations).toFixed(2)} | ${(bounds / configurations).toFixed(2)} |`,
      );
    }
    const boFull = new Map(runs.get("bo-full")!.map((r) => [r.seed, bestAt(r, Infinity, "steps")]));
    lines.push("", `bo-full at its full compute (${FULL_RUNS} runs): median best ${fmt(median([...boFull.values()]))}.`, "");
    lines.push("Anytime: median best full-budget loss at shares of the cap.", "", `| engine | ${LEVELS.map((l) => `${l}`).join(" | ")} |`, `|---|${LEVELS.map(() => "---:").join("|")}|`);
    for (const [name, list] of runs) lines.push(`| ${name} | ${LEVELS.map((l) => fmt(median(list.map((r) => bestAt(r, l * cap, "steps"))))).join(" | ")} |`);
    lines.push("");
    for (const ours of OURS) {
      const mine = median([...toTarget(ours, "steps").values()]);
      for (const peer of SCHEDULED_PEERS.filter((p) => runs.has(p))) {
        const theirs = median([...toTarget(peer, "steps").values()]);
        const met = Number.isFinite(mine) && mine <= theirs / 2;
        targets.push(`- ${problem.name}, ${slotsLabel}, ${ours}: median steps to target ≤ ½ of ${peer}'s: ${met ? "MET" : "NOT MET"} (${fmt(mine, 0)} against ${fmt(theirs, 0)}).`);
      }
      const vsFull = comparePaired(bestAtCap(ours), boFull);
      const notWorse = vsFull !== undefined && !(vsFull.better === "peer" && vsFull.p < 0.05);
      targets.push(`- ${problem.name}, ${slotsLabel}, ${ours}: best at ⅓ of bo-full's compute not worse than bo-full at full compute: ${notWorse ? "MET" : "NOT MET"} (${describe(vsFull)}).`);
      const below = LEVELS.every((l) => {
        const mineAt = median(runs.get(ours)!.map((r) => bestAt(r, l * cap, "steps")));
        return [...runs.keys()].filter((n) => n !== ours).every((n) => mineAt <= median(runs.get(n)!.map((r) => bestAt(r, l * cap, "steps"))));
      });
      targets.push(`- ${problem.name}, ${slotsLabel}, ${ours}: anytime median at or below every peer's at every level: ${below ? "MET" : "NOT MET"}.`);
    }
  }
  lines.push("### Targets", "", ...targets);
  if (!cells.every((c) => c.runs.has("optuna-tpe-hyperband"))) lines.push("", "Optuna's engines were left out of this run (--no-optuna): the targets against them are not judged here.");
  return lines.join("\n");
}

function describe(c: ReturnType<typeof comparePaired>): string {
  if (c === undefined) return "—";
  return `${c.wins}/${c.ties}/${c.losses}, p ${fmtP(c.p)}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
