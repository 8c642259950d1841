import { comparePaired, type PairedComparison } from "./paired-comparison.js";
import { defaultInitialCount } from "./paired-starts.js";
import type { Problem } from "./problems.js";
import { ENGINE_ORDER, type LatencyRecord, type RunRecord } from "./records.js";
import { logRegret, mean, median, quantile, ranks } from "./stats.js";

export interface Spread {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
}

export interface LatencyCell {
  readonly median: number;
  readonly max: number;
}

export interface Target {
  readonly statement: string;
  /** null when this run could not measure it. */
  readonly met: boolean | null;
  readonly evidence: string;
  /** One line per part (problem) when the target is judged part by part. */
  readonly details?: readonly string[];
}

/** Time of one engine's studies on one problem: measured here, and scaled to the default seed counts. */
export interface RuntimeCell {
  readonly seeds: number;
  /** Wall-clock seconds, summed over seeds. */
  readonly seconds: number;
  /** CPU seconds of the engine's process, summed over seeds. */
  readonly cpuSeconds: number;
  /** cpuSeconds / seeds × the problem's default seed count: the full run's share, whatever else loads the machine. */
  readonly projectedCpuSeconds: number;
}

export interface Summary {
  readonly engines: readonly string[];
  readonly problems: readonly string[];
  /** problem → engine → log10 regret at the budget, across seeds. */
  readonly regret: Readonly<Record<string, Readonly<Record<string, Spread>>>>;
  /** problem (and "overall") → engine → mean rank by final regret, 1 = best. */
  readonly meanRank: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** engine → mean diverged (failed) trials per study on problems that can diverge. */
  readonly diverged: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** engine → median ask latency over every ask of the regret runs, ms. */
  readonly regretAskMs: Readonly<Record<string, number>>;
  /** history size → engine → ask latency. */
  readonly latency: Readonly<Record<number, Readonly<Record<string, LatencyCell>>>>;
  /** problem → peer → bayestune-gp against that peer, seed by seed. */
  readonly paired: Readonly<Record<string, Readonly<Record<string, PairedComparison>>>>;
  /** engine → runs that started from the shared initial design, of all its runs. */
  readonly pairedStarts: Readonly<Record<string, { readonly paired: number; readonly runs: number }>>;
  /** problem → engine → wall time of its studies. */
  readonly runtime: Readonly<Record<string, Readonly<Record<string, RuntimeCell>>>>;
  /** problem → the noise sd it adds (0 when noise-free) and the noise std bayestune-gp had learned at the budget, across seeds. */
  readonly fittedNoise: Readonly<Record<string, { readonly trueSd: number; readonly fitted: Spread }>>;
  readonly targets: readonly Target[];
}

const BAYESTUNE = "bayestune-gp";
const OPTUNA_GP = "optuna-gp";
const LATENCY_CEILING_MS = 250;
const LATENCY_TARGET_HISTORY = 500;
/** Significance level of the paired targets. */
export const ALPHA = 0.05;
/** The problem where bayestune-gp must beat optuna-gp outright. */
const MUST_WIN_PROBLEM = "llm-mixed";

function finalLogRegret(run: RunRecord, fStar: number): number {
  return logRegret(run.bestSoFar[run.bestSoFar.length - 1] ?? null, fStar);
}

/** Turns the raw records of a run into the numbers the report shows and the targets it judges. */
export function summarise(
  problems: readonly Problem[],
  runs: readonly RunRecord[],
  latencies: readonly LatencyRecord[],
  latencyDim: number,
): Summary {
  const engines = ENGINE_ORDER.filter((e) => runs.some((r) => r.engine === e));
  const regret: Record<string, Record<string, Spread>> = {};
  const meanRank: Record<string, Record<string, number>> = {};
  const diverged: Record<string, Record<string, number>> = {};
  const allRanks: Record<string, number[]> = Object.fromEntries(engines.map((e) => [e, []]));

  for (const problem of problems) {
    const byEngine = new Map(engines.map((e) => [e, runs.filter((r) => r.problem === problem.name && r.engine === e)]));
    regret[problem.name] = {};
    for (const [engine, engineRuns] of byEngine) {
      const values = engineRuns.map((r) => finalLogRegret(r, problem.fStar));
      if (values.length > 0) regret[problem.name]![engine] = { median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75) };
    }
    // Rank the engines that ran this problem, on the seeds they all ran, so each rank compares like with like.
    const present = engines.filter((e) => byEngine.get(e)!.length > 0);
    const seeds = [...new Set(runs.filter((r) => r.problem === problem.name).map((r) => r.seed))].filter((s) =>
      present.every((e) => byEngine.get(e)!.some((r) => r.seed === s)),
    );
    const problemRanks: Record<string, number[]> = Object.fromEntries(present.map((e) => [e, []]));
    for (const seed of seeds) {
      const finals = present.map((e) => finalLogRegret(byEngine.get(e)!.find((r) => r.seed === seed)!, problem.fStar));
      ranks(finals).forEach((rank, i) => {
        problemRanks[present[i]!]!.push(rank);
        allRanks[present[i]!]!.push(rank);
      });
    }
    meanRank[problem.name] = Object.fromEntries(present.map((e) => [e, mean(problemRanks[e]!)]));
    if (runs.some((r) => r.problem === problem.name && r.failed > 0)) {
      diverged[problem.name] = Object.fromEntries(engines.map((e) => [e, mean(byEngine.get(e)!.map((r) => r.failed))]));
    }
  }
  meanRank["overall"] = Object.fromEntries(engines.map((e) => [e, mean(allRanks[e]!)]));

  const paired: Record<string, Record<string, PairedComparison>> = {};
  const runtime: Record<string, Record<string, RuntimeCell>> = {};
  for (const problem of problems) {
    const finalsOf = (engine: string): Map<number, number> =>
      new Map(runs.filter((r) => r.problem === problem.name && r.engine === engine).map((r) => [r.seed, finalLogRegret(r, problem.fStar)]));
    const ours = finalsOf(BAYESTUNE);
    paired[problem.name] = {};
    for (const peer of engines.filter((e) => e !== BAYESTUNE)) {
      const comparison = comparePaired(ours, finalsOf(peer));
      if (comparison !== undefined) paired[problem.name]![peer] = comparison;
    }
    runtime[problem.name] = {};
    for (const engine of engines) {
      const engineRuns = runs.filter((r) => r.problem === problem.name && r.engine === engine);
      if (engineRuns.length === 0) continue;
      const seconds = engineRuns.reduce((t, r) => t + r.wallMs, 0) / 1000;
      const cpuSeconds = engineRuns.reduce((t, r) => t + r.cpuMs, 0) / 1000;
      runtime[problem.name]![engine] = { seeds: engineRuns.length, seconds, cpuSeconds, projectedCpuSeconds: (cpuSeconds / engineRuns.length) * problem.seeds };
    }
  }

  const pairedStarts = Object.fromEntries(
    engines.map((e) => {
      const engineRuns = runs.filter((r) => r.engine === e);
      const designLength = (name: string): number => defaultInitialCount(Object.keys(problems.find((p) => p.name === name)!.space).length);
      return [e, { paired: engineRuns.filter((r) => r.pairedStart === designLength(r.problem)).length, runs: engineRuns.length }];
    }),
  );

  const fittedNoise: Record<string, { trueSd: number; fitted: Spread }> = {};
  for (const problem of problems) {
    const values = runs.filter((r) => r.problem === problem.name && r.fittedNoiseStd !== undefined).map((r) => r.fittedNoiseStd!);
    if (values.length > 0) fittedNoise[problem.name] = { trueSd: problem.noise?.sd ?? 0, fitted: { median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75) } };
  }

  const regretAskMs = Object.fromEntries(engines.map((e) => [e, median(runs.filter((r) => r.engine === e).flatMap((r) => r.askMs))]));

  const latency: Record<number, Record<string, LatencyCell>> = {};
  for (const l of latencies) {
    latency[l.history] ??= {};
    latency[l.history]![l.engine] = { median: median(l.askMs), max: Math.max(...l.askMs) };
  }

  return {
    engines,
    problems: problems.map((p) => p.name),
    regret,
    meanRank,
    diverged,
    regretAskMs,
    latency,
    paired,
    pairedStarts,
    runtime,
    fittedNoise,
    targets: judgeTargets(engines, meanRank["overall"]!, paired, latency, latencyDim),
  };
}

function judgeTargets(
  engines: readonly string[],
  overall: Readonly<Record<string, number>>,
  paired: Readonly<Record<string, Readonly<Record<string, PairedComparison>>>>,
  latency: Readonly<Record<number, Readonly<Record<string, LatencyCell>>>>,
  latencyDim: number,
): Target[] {
  const targets: Target[] = [];

  const others = engines.filter((e) => e !== BAYESTUNE);
  const ours = overall[BAYESTUNE];
  const bestOther = others.reduce<string | undefined>((b, e) => (b === undefined || overall[e]! < overall[b]! ? e : b), undefined);
  const missingOptuna = !engines.includes(OPTUNA_GP) ? " (Optuna's engines did not run, so only against the engines that did)" : "";
  targets.push({
    statement: "bayestune has the best overall mean rank of all engines",
    met: ours === undefined || bestOther === undefined ? null : ours < overall[bestOther]!,
    evidence:
      ours === undefined || bestOther === undefined
        ? "bayestune or every other engine did not run"
        : `bayestune-gp ${ours.toFixed(2)} vs the best other, ${bestOther}, ${overall[bestOther]!.toFixed(2)}${missingOptuna}`,
  });

  targets.push(...judgePairedTargets(paired));

  const sizes = Object.keys(latency).map(Number).sort((a, b) => a - b);
  const ratios = sizes
    .filter((n) => latency[n]![BAYESTUNE] !== undefined && latency[n]![OPTUNA_GP] !== undefined)
    .map((n) => ({ n, ratio: latency[n]![BAYESTUNE]!.median / latency[n]![OPTUNA_GP]!.median }));
  targets.push({
    statement: `bayestune's median ask ≤ 1/4 of Optuna GPSampler's at the same history size (d = ${latencyDim})`,
    met: ratios.length === 0 ? null : ratios.every((r) => r.ratio <= 0.25),
    evidence:
      ratios.length === 0
        ? "Optuna's GPSampler did not run"
        : `ratio bayestune / GPSampler: ${ratios.map((r) => `${r.ratio.toFixed(3)} at n = ${r.n}`).join(", ")}`,
  });

  const at500 = latency[LATENCY_TARGET_HISTORY]?.[BAYESTUNE];
  targets.push({
    statement: `a bayestune ask takes < ${LATENCY_CEILING_MS} ms at ${LATENCY_TARGET_HISTORY} told trials and ${latencyDim} dimensions`,
    met: at500 === undefined ? null : at500.median < LATENCY_CEILING_MS,
    evidence:
      at500 === undefined
        ? `this run had no ${LATENCY_TARGET_HISTORY}-trial history`
        : `median ${at500.median.toFixed(1)} ms, slowest of the timed asks ${at500.max.toFixed(1)} ms`,
  });
  return targets;
}

function describeComparison(c: PairedComparison): string {
  return `median Δ ${c.medianDifference.toFixed(2)}, ${c.wins}/${c.ties}/${c.losses} (wins/ties/losses), p = ${formatP(c.p)}`;
}

/** A p-value for prose and tables: two significant digits, small ones in exponent form. */
export function formatP(p: number): string {
  return p < 1e-3 ? p.toExponential(1) : p.toPrecision(2);
}

/** The targets judged seed by seed against optuna-gp with the Wilcoxon test. */
function judgePairedTargets(paired: Readonly<Record<string, Readonly<Record<string, PairedComparison>>>>): Target[] {
  const problems = Object.keys(paired).filter((p) => paired[p]![OPTUNA_GP] !== undefined);
  const worse = (c: PairedComparison): boolean => c.p < ALPHA && c.better === "peer";
  const notWorse: Target = {
    statement: `on every problem bayestune-gp's regret is not worse than optuna-gp's (worse: two-sided Wilcoxon p < ${ALPHA} with optuna-gp better)`,
    met: problems.length === 0 ? null : problems.every((p) => !worse(paired[p]![OPTUNA_GP]!)),
    evidence:
      problems.length === 0
        ? "optuna-gp did not run"
        : `not worse on ${problems.filter((p) => !worse(paired[p]![OPTUNA_GP]!)).length} of ${problems.length} problems; Δ = bayestune − optuna-gp final log10 regret, per seed`,
    details: problems.map((p) => {
      const c = paired[p]![OPTUNA_GP]!;
      return `${p}: ${worse(c) ? "**not met**" : "met"} — ${describeComparison(c)}`;
    }),
  };
  const c = paired[MUST_WIN_PROBLEM]?.[OPTUNA_GP];
  const beatsOnMixed: Target = {
    statement: `bayestune-gp is better than optuna-gp on ${MUST_WIN_PROBLEM} (two-sided Wilcoxon p < ${ALPHA}, bayestune better)`,
    met: c === undefined ? null : c.p < ALPHA && c.better === "bayestune",
    evidence: c === undefined ? `${MUST_WIN_PROBLEM} or optuna-gp did not run` : describeComparison(c),
  };
  return [notWorse, beatsOnMixed];
}
