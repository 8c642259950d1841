/*
 * How well a model predicts a configuration's final loss from partial curves
 * (issue 18, item 1): on recorded learning curves, each seed stops every
 * configuration at a random rung, as successive halving would (most at the
 * first rung, a few at the full budget), and the models predict the full-budget
 * loss of every configuration stopped early. Compared on the same histories:
 *
 * - freeze-thaw: the learning-curve model (core's fitFreezeThaw: asymptote and
 *   decay amplitude as GPs over the params) on every evaluation point of every curve;
 * - freeze-thaw (rung points): the same model on the rung ends only, which is
 *   what the current GP sees, to separate the model from the data;
 * - gp-budget: the current multi-fidelity GP, one GP over (params, log budget)
 *   on the rung ends, predicting at budget 1 (what proposeAtFullBudget does),
 *   and the same GP on every evaluation point;
 * - last value: the configuration's last observed loss, as is.
 *
 * Measures per seed the Spearman rank correlation between predicted and true
 * final loss, and pooled over seeds the coverage of the central 90% predictive
 * interval. Writes its section of docs/benchmarks.md.
 *
 *   npm run bench:predict-final [-- --seeds 30 --report FILE]
 */
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CostModel, fitFreezeThaw, fitGP, Rng, SearchSpace, type EncodedDim, type ObservedCurve } from "@bayestune/core";
import type { ChoiceValue, ParamSpecInput } from "@bayestune/protocol";
import { replaceSection } from "../doc-sections.js";
import { median, ranks, wilcoxonSignedRank } from "../stats.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
/**
 * Configurations a seed observes, drawn from the recorded ones: as many as a
 * study of this size tries, and the freeze-thaw fit (finite-difference
 * gradients, O(M³) per evaluation) stays at seconds.
 */
const CONFIGURATIONS_PER_SEED = 64;
/** z of the central 90% interval. */
const Z90 = 1.6448536269514722;

interface RecordedRun {
  readonly params: Record<string, ChoiceValue>;
  /** [step, loss (null once diverged), ...more]. */
  readonly curve: readonly (readonly [number, number | null, ...number[]])[];
}
interface RecordedCurves {
  readonly model: string;
  readonly space: Record<string, ParamSpecInput>;
  readonly minSteps: number;
  readonly maxSteps: number;
  readonly runs: readonly RecordedRun[];
}

/** One configuration as a seed observes it: its curve up to its cut, and its true final loss. */
interface Observed {
  readonly run: RecordedRun;
  readonly x: Float64Array;
  readonly points: readonly (readonly [step: number, loss: number])[];
  readonly cut: number;
  readonly final: number;
}

interface Prediction {
  readonly mean: number;
  /** The central 90% interval in the loss's units; absent for a point prediction. */
  readonly interval?: readonly [number, number];
}

type Model = (space: SearchSpace, maxSteps: number, rungs: readonly number[], observed: readonly Observed[], targets: readonly number[]) => Prediction[];

const RECORDED_SETS = [
  { name: "tiny-lm", file: join(root, "bench/multi-fidelity/lm-curves.json") },
  { name: "mini-lm", file: join(root, "bench/multi-fidelity/mini-curves.json") },
];

/** The current multi-fidelity model, which the others are compared with. */
const REFERENCE = "gp-budget";

const MODELS: Record<string, Model> = {
  "freeze-thaw": (space, maxSteps, _rungs, observed, targets) => freezeThaw(space.dims, maxSteps, observed, targets, () => true),
  "freeze-thaw (rung points)": (space, maxSteps, rungs, observed, targets) => freezeThaw(space.dims, maxSteps, observed, targets, (step) => rungs.includes(step)),
  "gp-budget": (space, maxSteps, rungs, observed, targets) => gpOverBudget(space, maxSteps, rungs, observed, targets, (step) => rungs.includes(step)),
  "gp-budget (every point)": (space, maxSteps, rungs, observed, targets) => gpOverBudget(space, maxSteps, rungs, observed, targets, () => true),
  "last value": (_space, _maxSteps, _rungs, observed, targets) => targets.map((i) => ({ mean: observed[i]!.points.at(-1)![1] })),
};

function freezeThaw(dims: readonly EncodedDim[], maxSteps: number, observed: readonly Observed[], targets: readonly number[], keep: (step: number) => boolean): Prediction[] {
  const curves: ObservedCurve[] = observed.map((o) => ({ x: o.x, points: o.points.filter(([step]) => keep(step)).map(([step, loss]) => [step / maxSteps, loss] as const) }));
  const model = fitFreezeThaw(dims, curves);
  return targets.map((i) => {
    const { mean, variance } = model.predict(i, 1);
    const half = Z90 * Math.sqrt(variance);
    return { mean, interval: [mean - half, mean + half] };
  });
}

/** proposeAtFullBudget's model: one GP over (params, log budget) on the rung ends, read at budget 1. */
function gpOverBudget(
  space: SearchSpace,
  maxSteps: number,
  rungs: readonly number[],
  observed: readonly Observed[],
  targets: readonly number[],
  keep: (step: number) => boolean,
): Prediction[] {
  const min = rungs[0]!;
  const coordinate = (step: number): number => Math.log(step / min) / Math.log(maxSteps / min);
  const dims: EncodedDim[] = [...space.dims, { name: "__fidelity", kind: "discrete", levels: 1, centers: Float64Array.of(1) }];
  const X: Float64Array[] = [];
  const y: number[] = [];
  for (const o of observed) {
    for (const [step, loss] of o.points) {
      if (!keep(step)) continue;
      X.push(Float64Array.of(...o.x, coordinate(step)));
      y.push(loss);
    }
  }
  const gp = fitGP(X, Float64Array.from(y), { dims });
  const at = targets.map((i) => Float64Array.of(...observed[i]!.x, 1));
  const { mean, variance } = gp.predict(at);
  // The GP predicts in its own (monotone) output units: the interval's ends map back one by one.
  return targets.map((_, k) => {
    const half = Z90 * Math.sqrt(variance[k]!);
    return { mean: gp.fromModelUnits(mean[k]!), interval: [gp.fromModelUnits(mean[k]! - half), gp.fromModelUnits(mean[k]! + half)] };
  });
}

/** Stops each configuration at a rung drawn as successive halving spends them: η^−k of the configurations reach rung k. */
function observe(curves: RecordedCurves, space: SearchSpace, rungs: readonly number[], rng: Rng): Observed[] {
  const eta = 3;
  const out: Observed[] = [];
  for (const run of sample(curves.runs, CONFIGURATIONS_PER_SEED, rng)) {
    const finite = run.curve.filter((p): p is readonly [number, number, ...number[]] => p[1] !== null && Number.isFinite(p[1]));
    const final = run.curve.at(-1)?.[1];
    // A run that diverged has no final loss to predict; the bench leaves it out.
    if (final === null || final === undefined || finite.length < run.curve.length) continue;
    let k = 0;
    while (k < rungs.length - 1 && rng.uniform() < 1 / eta) k++;
    const cut = rungs[k]!;
    out.push({ run, x: space.encode(run.params), points: finite.filter((p) => p[0] <= cut).map((p) => [p[0], p[1]] as const), cut, final });
  }
  return out;
}

/** `k` of the runs (all when there are no more), drawn without replacement, in their recorded order. */
function sample<T>(runs: readonly T[], k: number, rng: Rng): T[] {
  if (runs.length <= k) return [...runs];
  const indices = runs.map((_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(indices.length - i);
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices.slice(0, k).sort((a, b) => a - b).map((i) => runs[i]!);
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/** Per seed: the cost model's median relative error and rank correlation on the configurations not drawn, and its 90% coverage. */
interface CostResult {
  readonly error: number[];
  readonly rho: number[];
  covered: number;
  predicted: number;
}

/**
 * Seconds per step, learned from the drawn configurations (each measured to its
 * cut) and predicted for every recorded configuration not drawn (its measured
 * seconds per step over the full budget): only for curves that recorded seconds.
 */
function measureCost(curves: RecordedCurves, space: SearchSpace, drawn: readonly Observed[], result: CostResult): void {
  const secondsAt = (run: RecordedRun, step: number): number | undefined => run.curve.find((p) => p[0] === step)?.[2];
  const drawnRuns = new Set(drawn.map((o) => o.run));
  const measured = drawn.flatMap((o) => {
    const seconds = secondsAt(o.run, o.cut);
    return seconds === undefined ? [] : [{ x: o.x, steps: o.cut, seconds }];
  });
  const held = curves.runs.filter((r) => !drawnRuns.has(r) && secondsAt(r, curves.maxSteps) !== undefined);
  if (measured.length < 2 || held.length < 2) return;
  const model = CostModel.fit(space.dims, measured);
  const predictions = model.predict(held.map((r) => space.encode(r.params)));
  const actual = held.map((r) => secondsAt(r, curves.maxSteps)! / curves.maxSteps);
  const errors = predictions.map((p, k) => Math.abs(p.secondsPerStep / actual[k]! - 1));
  result.error.push(median(errors));
  result.rho.push(spearman(predictions.map((p) => p.secondsPerStep), actual));
  predictions.forEach((p, k) => {
    result.predicted++;
    if (p.interval[0] <= actual[k]! && actual[k]! <= p.interval[1]) result.covered++;
  });
}

interface ModelResult {
  readonly rho: number[];
  covered: number;
  predicted: number;
  readonly seconds: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seeds: { type: "string", default: "30" }, report: { type: "string" }, set: { type: "string", multiple: true } } });
  const seeds = Number(values.seeds);
  const reportPath = values.report ?? join(root, "docs/benchmarks.md");
  // --set name=file replaces the recorded sets (for a quick look at another file).
  const sets = (values.set ?? []).length > 0 ? values.set!.map((spec) => ({ name: spec.split("=")[0]!, file: spec.slice(spec.indexOf("=") + 1) })) : RECORDED_SETS;
  const sections: string[] = [];
  const started = Date.now();
  for (const set of sets) {
    const curves = JSON.parse(readFileSync(set.file, "utf8")) as RecordedCurves;
    const space = SearchSpace.from(curves.space);
    const rungs = rungsOf(curves);
    const results = new Map<string, ModelResult>(Object.keys(MODELS).map((name) => [name, { rho: [], covered: 0, predicted: 0, seconds: [] }]));
    const cost: CostResult = { error: [], rho: [], covered: 0, predicted: 0 };
    for (let seed = 0; seed < seeds; seed++) {
      const observed = observe(curves, space, rungs, new Rng(seed));
      measureCost(curves, space, observed, cost);
      const targets = observed.flatMap((o, i) => (o.cut < curves.maxSteps ? [i] : []));
      const truth = targets.map((i) => observed[i]!.final);
      for (const [name, model] of Object.entries(MODELS)) {
        const t0 = performance.now();
        const predictions = model(space, curves.maxSteps, rungs, observed, targets);
        const result = results.get(name)!;
        result.seconds.push((performance.now() - t0) / 1000);
        result.rho.push(spearman(predictions.map((p) => p.mean), truth));
        predictions.forEach((p, k) => {
          if (p.interval === undefined) return;
          result.predicted++;
          if (truth[k]! >= p.interval[0] && truth[k]! <= p.interval[1]) result.covered++;
        });
      }
      process.stderr.write(`[${set.name}] seed ${seed}: ${[...results].map(([n, r]) => `${n} ρ ${r.rho.at(-1)!.toFixed(3)}`).join(", ")}\n`);
    }
    sections.push(renderSet(set.name, curves, rungs, results, cost));
  }
  const body = [
    "## Learning-curve model: predicting the final loss from partial curves",
    "",
    `\`npm run bench:predict-final -- --seeds ${seeds}\`, ${new Date().toISOString().slice(0, 16)} UTC, ${((Date.now() - started) / 60000).toFixed(1)} min.`,
    `Each seed draws ${CONFIGURATIONS_PER_SEED} of the recorded configurations (all of them when there are no more) and stops each at a rung drawn as successive halving spends them (η = 3: a third of the configurations go past each rung), and each model predicts the full-budget loss of every configuration stopped early from what was observed. Diverged runs are left out. ρ: Spearman rank correlation of predicted and true final loss, per seed; coverage: share of true final losses inside the central 90% predictive interval, pooled over seeds (0.90 is calibrated). Paired test: Wilcoxon signed-rank on the per-seed ρ against ${REFERENCE}, the current multi-fidelity model.`,
    "",
    ...sections,
  ].join("\n");
  const previous = await readFile(reportPath, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(reportPath, replaceSection(previous, "predict-final", body));
  process.stderr.write(`wrote ${reportPath}\n`);
}

/** Successive halving's rungs (η = 3 from the first evaluation), each snapped down to a step the curves were evaluated at. */
function rungsOf(curves: RecordedCurves): number[] {
  const steps = curves.runs[0]!.curve.map((p) => p[0]);
  const out: number[] = [];
  for (let target = curves.minSteps; target < curves.maxSteps; target *= 3) {
    const step = steps.filter((t) => t <= target).at(-1)!;
    if (!out.includes(step)) out.push(step);
  }
  out.push(curves.maxSteps);
  return out;
}

function renderSet(name: string, curves: RecordedCurves, rungs: readonly number[], results: ReadonlyMap<string, ModelResult>, cost: CostResult): string {
  const reference = results.get(REFERENCE)!;
  const rows = [...results].map(([model, r]) => {
    const paired = model === REFERENCE ? "—" : pValue(r.rho, reference.rho);
    const coverage = r.predicted === 0 ? "—" : (r.covered / r.predicted).toFixed(2);
    return `| ${model} | ${median(r.rho).toFixed(3)} | ${Math.min(...r.rho).toFixed(3)} – ${Math.max(...r.rho).toFixed(3)} | ${coverage} | ${paired} | ${median(r.seconds).toFixed(2)} |`;
  });
  return [
    `### ${name}`,
    "",
    `${curves.runs.length} recorded configurations of ${curves.model}; rungs ${rungs.join(", ")} steps.`,
    "",
    `| model | median ρ | range of ρ | 90% coverage | ρ above ${REFERENCE}'s on (seeds won/lost, p) | fit + predict s (median) |`,
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    ...(cost.error.length === 0
      ? []
      : [
          `Seconds per step (CostModel: a GP over the params of log seconds per step, fitted to the drawn configurations' measured times, predicting each configuration not drawn): median relative error per seed ${median(cost.error).toFixed(3)} (range ${Math.min(...cost.error).toFixed(3)} – ${Math.max(...cost.error).toFixed(3)}), Spearman ρ ${median(cost.rho).toFixed(3)}, 90% coverage ${(cost.covered / cost.predicted).toFixed(2)}; the measured seconds per step span ${costSpan(curves)}.`,
          "",
        ]),
  ].join("\n");
}

/** "0.012 – 0.190 s (16×)": the cheapest and costliest recorded seconds per step over the full budget. */
function costSpan(curves: RecordedCurves): string {
  const perStep = curves.runs.flatMap((r) => {
    const last = r.curve.at(-1);
    return last?.[0] === curves.maxSteps && last[2] !== undefined ? [last[2] / curves.maxSteps] : [];
  });
  const lo = Math.min(...perStep);
  const hi = Math.max(...perStep);
  return `${lo.toFixed(3)} – ${hi.toFixed(3)} s (${(hi / lo).toFixed(0)}×)`;
}

/** "w/l, p" of this model's ρ against the reference's, per seed. */
function pValue(rho: readonly number[], reference: readonly number[]): string {
  const differences = rho.map((v, i) => v - reference[i]!);
  const wins = differences.filter((d) => d > 0).length;
  const losses = differences.filter((d) => d < 0).length;
  const test = wilcoxonSignedRank(differences);
  return `${wins}/${losses} seeds, p ${test.p.toPrecision(2)}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
