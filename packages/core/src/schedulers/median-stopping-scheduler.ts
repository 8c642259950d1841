import { InvalidArgumentError } from "../errors.js";
import { medianStoppingDecision, type LearningCurve } from "./median-stopping.js";
import { rungLadder, type FidelityRange } from "./rung-ladder.js";
import { highestFinishedRung, type RungTrial, type Scheduler, type SchedulerDecision } from "./scheduler.js";

export interface MedianStoppingSchedulerOptions extends FidelityRange {
  /** Other trials that must have reached a rung before the rule stops anyone there. @defaultValue 5 */
  readonly minTrials?: number;
}

/**
 * The median stopping rule ({@link medianStoppingDecision}) on the rung ladder:
 * every trial starts at the lowest rung and, at each rung it finishes, goes on
 * to the next unless its best value so far is worse than the median of the
 * other trials' running means at that rung. Until `minTrials` others have
 * reached a rung, everyone there goes on. Unlike successive halving there is
 * no fixed quota: about half the trials stop at each rung once the rule has
 * data, whatever the reduction factor.
 *
 * A free slot takes the best continuing trial of the highest rung that has one,
 * else a new configuration. Decisions are recomputed from the rung history, so
 * they survive a coordinator restart; a trial the rule stopped goes on later if
 * results that arrive after it push the median above its value (as late ASHA
 * promotions do).
 */
export class MedianStoppingScheduler implements Scheduler {
  readonly rungs: readonly number[];
  private readonly minTrials: number;

  constructor(options: MedianStoppingSchedulerOptions) {
    this.rungs = rungLadder(options);
    this.minTrials = options.minTrials ?? 5;
    if (!(Number.isInteger(this.minTrials) && this.minTrials >= 1)) {
      throw new InvalidArgumentError(`minTrials must be a positive integer, got ${this.minTrials}`);
    }
  }

  next(trials: readonly RungTrial[]): SchedulerDecision {
    const curves = new Map(trials.map((trial) => [trial.number, this.curveOf(trial)]));
    for (let rung = this.rungs.length - 2; rung >= 0; rung--) {
      const waiting = trials
        .filter((t) => !t.failed && t.running === undefined && highestFinishedRung(t) === rung)
        .sort((a, b) => a.values.get(rung)! - b.values.get(rung)! || a.number - b.number);
      for (const trial of waiting) {
        const others = trials.filter((t) => t.number !== trial.number).map((t) => curves.get(t.number)!);
        if (!medianStoppingDecision(curves.get(trial.number)!, others, { minTrials: this.minTrials })) {
          return { kind: "promote", trial: trial.number, rung: rung + 1 };
        }
      }
    }
    return { kind: "new", rung: 0, bracket: 0 };
  }

  bracketForNew(): number {
    return 0;
  }

  /** The trial's rung values as a learning curve over budgets, lowest rung first. */
  private curveOf(trial: RungTrial): LearningCurve {
    return [...trial.values.entries()].sort(([a], [b]) => a - b).map(([rung, value]) => [this.rungs[rung]!, value] as const);
  }
}
