import { InvalidArgumentError } from "../errors.js";
import { rungLadder, type FidelityRange } from "./rung-ladder.js";
import { highestFinishedRung, type RungTrial, type Scheduler, type SchedulerDecision } from "./scheduler.js";

export interface SuccessiveHalvingOptions extends FidelityRange {
  /**
   * Brackets of Hyperband. Bracket b starts its trials at rung b, so bracket 0
   * is the most aggressive (everything starts at the lowest budget) and the
   * last one starts higher and halves less. 1 is plain ASHA. @defaultValue 1
   */
  readonly brackets?: number;
}

/**
 * Asynchronous successive halving (ASHA, Li et al. 2020), and with several
 * brackets asynchronous Hyperband.
 *
 * **Promotion rule.** Within a bracket, a trial that finished rung k is
 * promotable to rung k+1 when it ranks in the top ⌊n_k / η⌋ of the n_k trials
 * of that bracket that finished rung k (promoted ones included), and it has not
 * been promoted yet. A free slot takes the best promotable trial of the highest
 * rung that has one (a run close to the end first), across brackets; only when
 * nothing is promotable does it start a new configuration. Promotions are never
 * waited for: with few results a rung promotes little, and as results arrive
 * the top 1/η fills in, so early promotions can be mistaken, as in ASHA itself.
 *
 * **Brackets.** A new configuration goes to the bracket that is furthest below
 * its Hyperband share: bracket b (starting at rung b, s = K − 1 − b halvings)
 * gets a share proportional to η^s / (s + 1), the number of configurations
 * Hyperband gives it for equal budgets (Li et al. 2018). The choice depends only
 * on the counts so far, so it is the same after a replay.
 */
export class SuccessiveHalving implements Scheduler {
  readonly rungs: readonly number[];
  readonly brackets: number;
  private readonly eta: number;
  /** Hyperband's share of new configurations per bracket; sums to 1. */
  private readonly shares: readonly number[];

  constructor(options: SuccessiveHalvingOptions) {
    this.rungs = rungLadder(options);
    this.eta = options.reductionFactor ?? 3;
    const brackets = options.brackets ?? 1;
    if (!(Number.isInteger(brackets) && brackets >= 1 && brackets <= this.rungs.length)) {
      throw new InvalidArgumentError(
        `brackets must be an integer in [1, ${this.rungs.length}] (one per rung at most), got ${brackets}`,
      );
    }
    this.brackets = brackets;
    const top = this.rungs.length - 1;
    const weights = Array.from({ length: brackets }, (_, b) => this.eta ** (top - b) / (top - b + 1));
    const total = weights.reduce((sum, w) => sum + w, 0);
    this.shares = weights.map((w) => w / total);
  }

  next(trials: readonly RungTrial[]): SchedulerDecision {
    const promotion = this.bestPromotion(trials);
    if (promotion !== undefined) return { kind: "promote", ...promotion };
    const bracket = this.bracketForNew(trials);
    return { kind: "new", rung: bracket, bracket };
  }

  /** The bracket of the next new configuration: the one furthest below its share. */
  bracketForNew(trials: readonly Pick<RungTrial, "bracket">[]): number {
    const counts = new Array<number>(this.brackets).fill(0);
    for (const trial of trials) if (trial.bracket < this.brackets) counts[trial.bracket]!++;
    const total = trials.length + 1;
    let best = 0;
    let bestDeficit = -Infinity;
    for (let b = 0; b < this.brackets; b++) {
      const deficit = this.shares[b]! * total - counts[b]!;
      if (deficit > bestDeficit + 1e-12) {
        best = b;
        bestDeficit = deficit;
      }
    }
    return best;
  }

  /** Trials of `bracket` that the promotion rule lets go to rung + 1 now, best first. */
  promotable(trials: readonly RungTrial[], bracket: number, rung: number): RungTrial[] {
    if (rung >= this.rungs.length - 1) return [];
    const finished = trials
      .filter((t) => t.bracket === bracket && t.values.has(rung))
      .sort((a, b) => a.values.get(rung)! - b.values.get(rung)! || a.number - b.number);
    const quota = Math.floor(finished.length / this.eta);
    return finished.slice(0, quota).filter((t) => !t.failed && t.running === undefined && !t.values.has(rung + 1) && highestFinishedRung(t) === rung);
  }

  private bestPromotion(trials: readonly RungTrial[]): { trial: number; rung: number } | undefined {
    for (let rung = this.rungs.length - 2; rung >= 0; rung--) {
      let best: RungTrial | undefined;
      for (let bracket = 0; bracket < this.brackets && bracket <= rung; bracket++) {
        const candidate = this.promotable(trials, bracket, rung)[0];
        if (candidate !== undefined && (best === undefined || candidate.values.get(rung)! < best.values.get(rung)!)) best = candidate;
      }
      if (best !== undefined) return { trial: best.number, rung: rung + 1 };
    }
    return undefined;
  }
}
