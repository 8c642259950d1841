import { medianStoppingDecision, type LearningCurve } from "@bayestune/core";
import type { ProgressEvent, StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { lowerIsBetterSign } from "./best-trial.js";

type Point = readonly [step: number, value: number];

/**
 * A study's pruning rule (config.pruner) at every reported step: the learning
 * curves of the study's metric ("lower is better"), kept from the stored
 * intermediate values and the reports taken in since, and the trials already
 * asked to stop. A decision costs one pass over the other trials' curves.
 */
export class StepPruner {
  readonly #metric: string;
  readonly #sign: number;
  readonly #options: { readonly minTrials: number; readonly graceSteps: number };
  readonly #curves = new Map<number, Point[]>();
  readonly #stopped = new Set<number>();

  constructor(config: StudyConfig, trials: readonly StoredTrial[]) {
    if (config.pruner === undefined) throw new RangeError(`study "${config.name}" has no pruner`);
    this.#metric = config.metric;
    this.#sign = lowerIsBetterSign(config.direction);
    this.#options = { minTrials: config.pruner.minTrials, graceSteps: config.pruner.graceSteps };
    for (const trial of trials) {
      for (const report of trial.intermediate) this.#add(trial.number, report.step, report.metrics[this.#metric]);
    }
  }

  /** Adds a report to its trial's curve; true when the rule stops the (running) trial at it, the first time only. */
  observe(event: ProgressEvent): boolean {
    const value = event.metrics[this.#metric];
    if (value === undefined) return false;
    this.#add(event.trial, event.step, value);
    if (this.#stopped.has(event.trial)) return false;
    const curve = this.#curves.get(event.trial)!;
    const others: LearningCurve[] = [];
    for (const [number, other] of this.#curves) if (number !== event.trial) others.push(other);
    if (!medianStoppingDecision(curve, others, this.#options)) return false;
    this.#stopped.add(event.trial);
    return true;
  }

  /** A null (non-finite) report enters as NaN, which the rule reads as diverged. */
  #add(trial: number, step: number, value: number | null | undefined): void {
    if (value === undefined) return;
    const curve = this.#curves.get(trial) ?? [];
    this.#curves.set(trial, curve);
    const point: Point = [step, value === null ? Number.NaN : this.#sign * value];
    // Reports arrive in step order; a redelivered or resumed one goes to its place.
    const last = curve.at(-1);
    if (last === undefined || last[0] < step) {
      curve.push(point);
      return;
    }
    const at = curve.findIndex(([s]) => s >= step);
    if (at === -1) curve.push(point);
    else if (curve[at]![0] === step) return;
    else curve.splice(at, 0, point);
  }
}
