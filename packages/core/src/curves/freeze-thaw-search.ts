/*
 * Freeze–thaw decisions (Swersky et al. 2014, with a myopic rule in place of
 * entropy search): at each free slot, continue one paused trial by its next
 * increment, or start a new configuration, whichever has the most expected
 * improvement of the full-budget value per unit of the training it still needs
 * to get there (its remaining budget, times its cost rate). A curve model
 * predicts each configuration's full-budget value from its own partial curve
 * and its neighbours' curves.
 *
 * Why the remaining budget and not the next increment's: the improvement is
 * only realised once the trial has run to the end, and dividing by the cheap
 * first increment makes every fresh configuration look a bargain, so that no
 * trial is ever finished (measured: on the recorded tiny-GPT curves no seed
 * completed a single run within a third of full BO's compute).
 */
import { expectedImprovement } from "../acquisition/ei.js";
import type { AcquisitionValue } from "../acquisition/acquisition-value.js";
import type { EncodedDim } from "../space/encoded-dim.js";
import { BudgetGpModel } from "./budget-gp.js";
import type { ObservedCurve } from "./freeze-thaw.js";

/**
 * One trial as the search sees it: its curve so far ("lower is better", s the
 * budget fraction; the points the model should learn from, which may be none)
 * and, when it may be continued, how far it has got.
 */
export interface SearchTrial extends ObservedCurve {
  /** Set exactly when the trial is paused and may be continued: the budget fraction it has reached (its last job's, whatever its points). */
  readonly reached?: number;
}

export interface SearchInput {
  /** Every trial with a result (its points may be none); failed ones enter with the worst value at the budget they failed at. */
  readonly trials: readonly SearchTrial[];
  /** New configurations to weigh (in the unit cube); none when the study may not start another. */
  readonly candidates: readonly Float64Array[];
  /** Configurations training now (with or without points yet): a new one keeps away from them. */
  readonly pending: readonly Float64Array[];
  /** The smallest budget fraction among the points: the model's budget coordinate 0. */
  readonly firstIncrement: number;
  /** Relative cost of a unit of budget at x (seconds per step, say); 1 everywhere counts budget only. */
  readonly costRate?: (x: Float64Array) => number;
}

export type SearchChoice =
  /** Continue trial `index` (into the input's trials) by its next increment. */
  | { readonly kind: "continue"; readonly index: number; readonly score: number }
  /** Start candidate `index` (into the input's candidates). */
  | { readonly kind: "new"; readonly index: number; readonly score: number };

/** A new configuration within this distance (unit cube, per √d) of a pending one is discounted towards nothing: a batch spreads out. */
const PENDING_RADIUS = 0.1;

/**
 * The freeze–thaw search over a study's curves. It keeps the last fitted model
 * to warm-start the next fit; everything else is recomputed from its input at
 * each choice.
 */
export class FreezeThawSearch {
  readonly #dims: readonly EncodedDim[];
  #model: BudgetGpModel | undefined;

  constructor(dims: readonly EncodedDim[]) {
    this.#dims = dims;
  }

  /** The curve model over every point of `trials` (a GP over params and log budget, warm-started from the last). */
  model(trials: readonly ObservedCurve[], firstIncrement: number): BudgetGpModel {
    this.#model = new BudgetGpModel(this.#dims, trials, firstIncrement, this.#model?.gp);
    return this.#model;
  }

  /** The best use of one free slot; undefined when there is nothing to choose from (no paused trial and no candidate). */
  choose(input: SearchInput): SearchChoice | undefined {
    const { trials, candidates } = input;
    const paused = trials.flatMap((t, index) => (t.reached !== undefined ? [index] : []));
    const curves = trials.filter((t) => t.points.length > 0);
    if ((paused.length === 0 && candidates.length === 0) || curves.length === 0) return undefined;
    const model = this.model(curves, input.firstIncrement);
    const rate = input.costRate ?? (() => 1);
    // A trial without points the model learns from is predicted from its params, as a new one.
    const finals = trials.map((t) => model.predict(t.points.length > 0 ? curves.indexOf(t) : t.x, 1));
    // The bar: the best predicted full-budget value among the trials (partial curves are worse by construction).
    const bar = Math.min(...trials.flatMap((t, i) => (t.points.length > 0 ? [finals[i]!.mean] : [])));
    const out: AcquisitionValue = { value: 0, dMean: 0, dStd: 0 };
    const improvement = (mean: number, variance: number): number => expectedImprovement(mean, Math.sqrt(variance), bar, 0, out).value;
    let choice: SearchChoice | undefined;
    for (const index of paused) {
      const trial = trials[index]!;
      const remaining = 1 - trial.reached!;
      const score = improvement(finals[index]!.mean, finals[index]!.variance) / (remaining * rate(trial.x));
      if (choice === undefined || score > choice.score) choice = { kind: "continue", index, score };
    }
    for (const [index, x] of candidates.entries()) {
      const p = model.predict(x, 1);
      const score = (improvement(p.mean, p.variance) * spreadFactor(x, input.pending)) / rate(x);
      if (choice === undefined || score > choice.score) choice = { kind: "new", index, score };
    }
    return choice;
  }
}

/** 1 far from every pending configuration, falling to 0 on top of one. */
function spreadFactor(x: Float64Array, pending: readonly Float64Array[]): number {
  let factor = 1;
  const scale = PENDING_RADIUS * PENDING_RADIUS * x.length;
  for (const p of pending) {
    let d2 = 0;
    for (let j = 0; j < x.length; j++) d2 += (x[j]! - p[j]!) ** 2;
    factor *= 1 - Math.exp(-d2 / scale);
  }
  return factor;
}
