import { InvalidArgumentError } from "../errors.js";

/** The one fidelity a study trains at: its range and how fast it climbs. */
export interface FidelityRange {
  /** Budget of the lowest rung (steps, tokens, epochs, eval examples); > 0. */
  readonly min: number;
  /** Budget of the highest rung, a full training run; ≥ min. */
  readonly max: number;
  /** η: each rung trains η× longer than the one below and keeps 1/η of its trials; ≥ 2. @defaultValue 3 */
  readonly reductionFactor?: number;
  /** Round each rung's budget to an integer (steps, epochs). @defaultValue true */
  readonly integer?: boolean;
}

/**
 * The budgets of the rungs: min·η^k for k = 0 … K−1, then max, with
 * K = round(log_η(max / min)): every step up is η× except the top one, which
 * lies between √η× and η^1.5× (never a sliver, never a gulf).
 * For min = 100, max = 1000, η = 3: [100, 300, 1000].
 * @throws InvalidArgumentError on a range that is empty, non-finite or η < 2.
 */
export function rungLadder(range: FidelityRange): number[] {
  const { min, max } = range;
  const eta = range.reductionFactor ?? 3;
  const integer = range.integer ?? true;
  if (!(Number.isFinite(min) && min > 0)) throw new InvalidArgumentError(`fidelity min must be a positive number, got ${min}`);
  if (!(Number.isFinite(max) && max >= min)) throw new InvalidArgumentError(`fidelity max must be a number ≥ min (${min}), got ${max}`);
  if (!(Number.isFinite(eta) && eta >= 2)) throw new InvalidArgumentError(`reductionFactor must be a number ≥ 2, got ${eta}`);
  const steps = Math.round(Math.log(max / min) / Math.log(eta));
  const rungs = Array.from({ length: steps + 1 }, (_, k) => min * eta ** k);
  rungs[steps] = max;
  const rounded = integer ? rungs.map((r) => Math.max(1, Math.round(r))) : rungs;
  // Rounding to integers can merge two low rungs (min = 1.2, η = 2: 1.2 and 2.4 become 1 and 2, fine; 0.3 and 0.6 both become 1).
  return rounded.filter((r, k) => k === 0 || r > rounded[k - 1]!);
}
