import { InvalidArgumentError } from "../errors.js";
import { highestFinishedRung, type RungTrial, type Scheduler, type SchedulerDecision } from "./scheduler.js";

/** One stage of a screen: how many configurations train to what budget. */
export interface ScreenStage {
  readonly trials: number;
  readonly fidelity: number;
}

/**
 * The classic staged screen, e.g. "20 configs at 100 steps, the best 10 at 500,
 * the best of those at 1000": synchronous successive halving with counts the
 * user chose. Stage k+1 takes the best `stages[k+1].trials` of the trials that
 * finished stage k (failed ones never go on), and only once stage k has
 * settled: a free slot waits rather than promote on partial results. Runs on the
 * same rung machinery as ASHA, so promotions resume from checkpoints and survive
 * restarts the same way.
 */
export class StagedScreen implements Scheduler {
  readonly rungs: readonly number[];

  constructor(private readonly stages: readonly ScreenStage[]) {
    if (stages.length === 0) throw new InvalidArgumentError("a staged screen needs at least one stage, got none");
    stages.forEach((stage, k) => {
      if (!(Number.isInteger(stage.trials) && stage.trials >= 1)) {
        throw new InvalidArgumentError(`stage ${k}: trials must be a positive integer, got ${stage.trials}`);
      }
      if (!(Number.isFinite(stage.fidelity) && stage.fidelity > 0)) {
        throw new InvalidArgumentError(`stage ${k}: fidelity must be a positive number, got ${stage.fidelity}`);
      }
      const previous = stages[k - 1];
      if (previous !== undefined && !(stage.trials <= previous.trials && stage.fidelity > previous.fidelity)) {
        throw new InvalidArgumentError(
          `stage ${k}: each stage must keep at most the previous stage's trials (${previous.trials}) at a larger fidelity than ${previous.fidelity}, got ${stage.trials} at ${stage.fidelity}`,
        );
      }
    });
    this.rungs = stages.map((s) => s.fidelity);
  }

  /** One bracket: every configuration starts at the first stage. */
  bracketForNew(): number {
    return 0;
  }

  next(trials: readonly RungTrial[]): SchedulerDecision {
    for (let k = 0; k < this.stages.length; k++) {
      const entered = trials.filter((t) => reached(t, k));
      if (k === 0) {
        if (entered.length < this.stages[0]!.trials) return { kind: "new", rung: 0, bracket: 0 };
      } else {
        const ranked = trials
          .filter((t) => t.values.has(k - 1))
          .sort((a, b) => a.values.get(k - 1)! - b.values.get(k - 1)! || a.number - b.number);
        const chosen = ranked.slice(0, this.stages[k]!.trials);
        const next = chosen.find((t) => !reached(t, k));
        if (next !== undefined) return { kind: "promote", trial: next.number, rung: k };
      }
      if (entered.some((t) => t.running === k)) return { kind: "wait" };
    }
    return { kind: "done" };
  }
}

/** Whether the trial started rung k: it finished it, runs it, or failed in it. */
function reached(trial: RungTrial, k: number): boolean {
  if (trial.values.has(k) || trial.running === k) return true;
  return trial.failed === true && highestFinishedRung(trial) + 1 === k;
}
