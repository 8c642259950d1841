import { InvalidArgumentError } from "../errors.js";

/** One trial's intermediate values: (step, value), steps increasing. "Lower is better." */
export type LearningCurve = readonly (readonly [step: number, value: number])[];

export interface MedianStoppingOptions {
  /** No decision before this step: early values say little. @defaultValue 0 */
  readonly graceSteps?: number;
  /** Other trials that must have reached the step before any trial is stopped. @defaultValue 5 */
  readonly minTrials?: number;
}

/**
 * The median stopping rule (Golovin et al. 2017, Google Vizier): stop a trial at
 * step t when its best value so far is worse than the median, over the other
 * trials that reached step t, of their running means up to step t. A curve that
 * is only noisier than the rest is not stopped by one bad report: its best value
 * counts, against the others' averages.
 *
 * @param curve - the trial's reports so far; its last step is t.
 * @param others - the reports of the other trials (finished or still running).
 */
export function medianStoppingDecision(curve: LearningCurve, others: readonly LearningCurve[], options: MedianStoppingOptions = {}): boolean {
  const graceSteps = options.graceSteps ?? 0;
  const minTrials = options.minTrials ?? 5;
  if (!(Number.isInteger(minTrials) && minTrials >= 1)) throw new InvalidArgumentError(`minTrials must be a positive integer, got ${minTrials}`);
  const last = curve.at(-1);
  if (last === undefined) return false;
  const step = last[0];
  if (step < graceSteps) return false;
  let best = Infinity;
  for (const [, value] of curve) best = Math.min(best, value);
  // Math.min turns a NaN report into NaN: a diverged run, never one worth keeping.
  if (Number.isNaN(best)) return true;
  const means: number[] = [];
  for (const other of others) {
    if (other.length === 0 || other.at(-1)![0] < step) continue;
    let sum = 0;
    let count = 0;
    for (const [s, value] of other) {
      if (s > step) break;
      sum += value;
      count++;
    }
    if (count > 0 && Number.isFinite(sum)) means.push(sum / count);
  }
  if (means.length < minTrials) return false;
  means.sort((a, b) => a - b);
  const mid = means.length >> 1;
  const median = means.length % 2 === 1 ? means[mid]! : (means[mid - 1]! + means[mid]!) / 2;
  return best > median;
}
