import { FreezeThawSearch, RandomSampler, Rng, SearchSpace, studyOptionsFromConfig, type SearchTrial } from "@bayestune/core";
import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { lowerIsBetterSign } from "./best-trial.js";
import { budgetSpent } from "./budget-spent.js";
import type { ScheduledJob, TrialSchedule } from "./trial-schedule.js";

/** New configurations weighed at each decision, drawn at random in the space. */
const CANDIDATES = 192;
/** One new configuration in this many is random, not the model's (BOHB's ρ): the model's picks cluster where it believes. */
const RANDOM_EVERY = 3;
/**
 * A budget is informative once its values rank the trials as the deepest budget
 * does with at least this Spearman ρ. Low, because the trials that reached the
 * deepest budget are the survivors of the floor, and a ranking among the best
 * is harder than among all (on the recorded mini-GPT curves, the 64-step values
 * rank all configurations with ρ 0.76 against the final, the best third with
 * 0.64). Replayed, 30 seeds: 0.7 reached the mini-lm target within the horizon
 * in 18 seeds, 0.5 in 23; tiny-lm 25 and 24.
 */
const INFORMATIVE_RHO = 0.5;
/** Trials needed at both budgets before their rank correlation is trusted. */
const MIN_PAIRS = 6;

/**
 * Freeze–thaw over stored trials: trials climb one ladder of budgets
 * (fidelity.min, ×growth, …, fidelity.max), pause after each increment, and a
 * free slot goes to the paused trial or new configuration with the most expected
 * full-budget improvement per unit of the training it still needs (core
 * FreezeThawSearch, over a GP of params and log budget).
 *
 * Two lessons of real LLM curves, which cross (a high learning rate leads early
 * and ends worst: on the recorded tiny-GPT curves the first budget's ranking has
 * Spearman ρ 0.12 with the final one, the fourth's 0.95):
 * - the start: new configurations start at the smallest budget whose ranking
 *   agrees with the deepest budget's (ρ ≥ INFORMATIVE_RHO over the trials that
 *   reached both), learned from the study's own trials; until that is known,
 *   at fidelity.min. Values below it do not enter the model.
 * - the floor: a paused trial may be continued only from among the best
 *   1/growth of the values at its budget (asynchronous successive halving's
 *   rule), so that a model misled by crossing curves cannot pour budget into an
 *   early leader that every peer already beats. Once the study may start no
 *   new configuration, every paused trial may be continued.
 *
 * The study's own sampler (Sobol for the GP) makes the first configurations; the
 * study ends when its training budget is spent, or when every configuration it
 * may create has run to the end. The GP is refitted at each decision, warm
 * started from the previous fit; a restarted engine starts its first fit cold,
 * so its hyperparameters, and with them its choices, may differ from those an
 * uninterrupted one would have made.
 */
export class FreezeThawSchedule implements TrialSchedule {
  /** The ladder of budgets every trial climbs. */
  readonly rungs: readonly number[];
  /** Training budget the study may spend, in the fidelity's units. */
  readonly budget: number;
  readonly #growth: number;
  readonly #config: StudyConfig;
  readonly #space: SearchSpace;
  readonly #search: FreezeThawSearch;
  readonly #nInitial: number;

  constructor(config: StudyConfig) {
    const spec = config.scheduler;
    const fidelity = config.fidelity;
    if (spec?.type !== "freeze-thaw" || fidelity === undefined) throw new RangeError(`study "${config.name}" has no freeze-thaw scheduler over a fidelity`);
    this.#growth = spec.growth ?? 2;
    this.rungs = budgetLadder(fidelity.min, fidelity.max, this.#growth, fidelity.integer);
    this.budget = spec.budget ?? (config.maxTrials * fidelity.max) / 3;
    this.#config = config;
    this.#space = SearchSpace.from(config.space);
    this.#search = new FreezeThawSearch(this.#space.dims);
    const sampler = config.sampler;
    this.#nInitial = (typeof sampler === "object" ? sampler.nInitial : undefined) ?? Math.max(5, Math.min(2 * this.#space.dimension, 10));
  }

  isLastJob(trial: StoredTrial): boolean {
    return (trial.fidelity ?? Infinity) >= this.rungs.at(-1)!;
  }

  finished(trials: readonly StoredTrial[], maxTrials: number): boolean {
    if (trials.some((t) => t.state === "running")) return false;
    return budgetSpent(trials) >= this.budget || (trials.length >= maxTrials && !trials.some((t) => t.state === "paused"));
  }

  next(trials: readonly StoredTrial[], maxTrials: number): ScheduledJob | "wait" | "done" {
    const running = trials.some((t) => t.state === "running");
    const idle = running ? "wait" : "done";
    if (budgetSpent(trials) >= this.budget) return idle;
    const mayCreate = trials.length < maxTrials;
    const values = this.#valuesByRung(trials);
    const start = this.#startRung(values);
    const fresh: ScheduledJob = { kind: "new", fidelity: this.rungs[start]! };
    if (trials.length < this.#nInitial && mayCreate) return fresh;
    const max = this.rungs.at(-1)!;
    const all = values.flatMap((m) => [...m.values()]);
    const seen = {
      values,
      worst: all.length > 0 ? Math.max(...all) : undefined,
      // The floor binds while new configurations may start; once none may, every paused trial is a candidate.
      floor: mayCreate,
    };
    const curvesFrom = (from: number): { trial: StoredTrial; curve: SearchTrial }[] =>
      trials.flatMap((trial) => {
        const curve = this.#curve(trial, seen, from);
        return curve === undefined ? [] : [{ trial, curve }];
      });
    const withPoints = (list: readonly { curve: SearchTrial }[]): number => list.filter((c) => c.curve.points.length > 0).length;
    let from = this.rungs[start]! / max;
    let curves = curvesFrom(from);
    if (withPoints(curves) < 2 && start > 0) curves = curvesFrom((from = this.rungs[0]! / max));
    if (withPoints(curves) < 2) {
      if (running) return "wait";
      if (mayCreate) return fresh;
      const paused = curves.find((c) => c.curve.reached !== undefined);
      return paused === undefined ? "done" : this.#continue(paused.trial);
    }
    const candidates = mayCreate ? this.#candidates(trials) : [];
    const choice = this.#search.choose({
      trials: curves.map((c) => c.curve),
      candidates,
      pending: trials.filter((t) => t.state === "running").map((t) => this.#space.encode(t.params)),
      firstIncrement: from,
    });
    if (choice === undefined) return idle;
    if (choice.kind === "new") {
      const index = trials.length % RANDOM_EVERY === RANDOM_EVERY - 1 ? 0 : choice.index;
      return { ...fresh, params: this.#space.decode(candidates[index]!) };
    }
    return this.#continue(curves[choice.index]!.trial);
  }

  /** A paused trial's next increment, from its checkpoint when it has one. */
  #continue(trial: StoredTrial): ScheduledJob {
    return {
      kind: "promote",
      trial: trial.number,
      rung: trial.rung + 1,
      fidelity: this.rungs[this.#ladderIndex(trial.fidelity!) + 1]!,
      ...(trial.checkpoint !== undefined ? { checkpoint: trial.checkpoint } : {}),
    };
  }

  /** Where a budget sits on the ladder (a stored fidelity is always one of its budgets). */
  #ladderIndex(fidelity: number): number {
    const index = this.rungs.indexOf(fidelity);
    if (index < 0) throw new RangeError(`fidelity ${fidelity} is not on the ladder ${this.rungs.join(", ")}`);
    return index;
  }

  /** Per ladder budget, each trial's value there ("lower is better"), by trial number. */
  #valuesByRung(trials: readonly StoredTrial[]): Map<number, number>[] {
    const sign = lowerIsBetterSign(this.#config.direction);
    const values = this.rungs.map(() => new Map<number, number>());
    for (const trial of trials) for (const r of trial.rungs) if (r.fidelity !== undefined) values[this.#ladderIndex(r.fidelity)]!.set(trial.number, sign * r.value);
    return values;
  }

  /** The smallest ladder index whose values agree with the deepest well-filled budget's (see the class comment); 0 until that is known. */
  #startRung(values: readonly Map<number, number>[]): number {
    let deepest = -1;
    for (let j = values.length - 1; j > 0 && deepest < 0; j--) if (values[j]!.size >= MIN_PAIRS) deepest = j;
    if (deepest < 0) return 0;
    for (let k = 0; k < deepest; k++) {
      const pairs = [...values[deepest]!].flatMap(([trial, deep]) => (values[k]!.has(trial) ? [[values[k]!.get(trial)!, deep] as const] : []));
      if (pairs.length >= MIN_PAIRS && spearman(pairs) >= INFORMATIVE_RHO) return k;
    }
    return deepest;
  }

  /**
   * A trial as the search sees it: its deepest value at a budget fraction of at
   * least `from` (a failed trial's is the worst value seen, at the budget it
   * failed at, so the model learns where runs crash or diverge), and whether it
   * may be continued (paused, and within the floor at its budget when `floor`).
   *
   * One point per trial, not its whole curve: the GP over params and log budget
   * has no notion of a curve, and a trial's shallow points, more numerous than
   * anything else, pull its predictions towards the early ranking (replayed on
   * the recorded mini-GPT curves, 12 seeds: median best at the cap 1.627 with the
   * deepest point against 1.906 with every point).
   */
  #curve(trial: StoredTrial, seen: { values: readonly Map<number, number>[]; worst: number | undefined; floor: boolean }, from: number): SearchTrial | undefined {
    if (trial.rungs.length === 0 && trial.state !== "failed") return undefined;
    const max = this.rungs.at(-1)!;
    const last = trial.rungs.at(-1);
    let point: [number, number] | undefined = last?.fidelity !== undefined ? [last.fidelity / max, lowerIsBetterSign(this.#config.direction) * last.value] : undefined;
    if (trial.state === "failed" && trial.fidelity !== undefined && trial.fidelity / max > (point?.[0] ?? 0)) {
      point = seen.worst !== undefined ? [trial.fidelity / max, seen.worst] : undefined;
    }
    const points = point !== undefined && point[0] >= from - 1e-12 ? [point] : [];
    const x = this.#space.encode(trial.params);
    const continuable = trial.state === "paused" && trial.fidelity !== undefined && (!seen.floor || this.#withinFloor(trial, seen.values));
    return { x, points, ...(continuable ? { reached: trial.fidelity! / max } : {}) };
  }

  /** Whether a paused trial's value at its budget is among the best max(1, ⌊n / growth⌋) of the n values there. */
  #withinFloor(trial: StoredTrial, values: readonly Map<number, number>[]): boolean {
    const here = values[this.#ladderIndex(trial.fidelity!)]!;
    const mine = here.get(trial.number);
    if (mine === undefined) return false;
    let better = 0;
    for (const v of here.values()) if (v < mine) better++;
    return better < Math.max(1, Math.floor(here.size / this.#growth));
  }

  /** Random configurations to weigh, seeded by the study and its progress so that a restart draws the same ones. */
  #candidates(trials: readonly StoredTrial[]): Float64Array[] {
    const results = trials.reduce((sum, t) => sum + t.rungs.length, 0);
    const rng = new Rng(this.#config.seed * 1_000_003 + trials.length * 7_919 + results);
    const { feasibleIf } = studyOptionsFromConfig(this.#config);
    const allowed = feasibleIf === undefined ? {} : { allowed: (x: Float64Array) => feasibleIf(this.#space.decode(x)) };
    return new RandomSampler().sample({ space: this.#space, trials: [], rng, ...allowed }, CANDIDATES);
  }
}

/** fidelity.min, min·growth, min·growth², … below max, then max (rounded to integers unless the fidelity says otherwise). */
export function budgetLadder(min: number, max: number, growth: number, integer = true): number[] {
  const ladder: number[] = [];
  for (let budget = min; budget < max * (1 - 1e-9); budget *= growth) ladder.push(integer ? Math.max(1, Math.round(budget)) : budget);
  ladder.push(max);
  return ladder.filter((b, k) => k === 0 || b > ladder[k - 1]!);
}

/** Spearman rank correlation of pairs (average ranks for ties). */
function spearman(pairs: readonly (readonly [number, number])[]): number {
  const rank = (values: readonly number[]): number[] => {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
    const ranks = new Array<number>(values.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
      for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2;
      i = j + 1;
    }
    return ranks;
  };
  const a = rank(pairs.map((p) => p[0]));
  const b = rank(pairs.map((p) => p[1]));
  const n = pairs.length;
  const mean = (n - 1) / 2;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i]! - mean) * (b[i]! - mean);
    da += (a[i]! - mean) ** 2;
    db += (b[i]! - mean) ** 2;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}
