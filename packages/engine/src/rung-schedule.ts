import { schedulerFromSpec, type RungTrial, type Scheduler } from "@bayestune/core";
import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { lowerIsBetterSign } from "./best-trial.js";
import type { ScheduledJob, TrialSchedule } from "./trial-schedule.js";

/**
 * A study's multi-fidelity scheduler over its stored trials: the one place that
 * turns store records into scheduler input and scheduler decisions into jobs, for
 * `bayestune tune` and the coordinator alike.
 *
 * Store rungs count a trial's own steps up (0 at its first job); scheduler rungs
 * index the study's budgets. A Hyperband trial of bracket b starts at scheduler
 * rung b, so its store rung k is scheduler rung b + k. Brackets are not stored:
 * trial i's bracket follows from i alone (see `Scheduler.bracketForNew`), so a
 * restarted process recomputes them.
 */
export class RungSchedule implements TrialSchedule {
  readonly scheduler: Scheduler;
  readonly #direction: StudyConfig["direction"];
  readonly #brackets: number[] = [];
  /** Each stored record's scheduler view, made once: records are immutable snapshots, and a decision sees every trial. */
  readonly #rungTrials = new WeakMap<StoredTrial, RungTrial>();

  constructor(config: StudyConfig) {
    if (config.scheduler === undefined) throw new RangeError(`study "${config.name}" has no scheduler`);
    this.scheduler = schedulerFromSpec(config.scheduler, config.fidelity);
    this.#direction = config.direction;
  }

  /** The bracket of trial `number` (0 for every trial without Hyperband). */
  bracketOf(number: number): number {
    while (this.#brackets.length <= number) {
      this.#brackets.push(this.scheduler.bracketForNew(this.#brackets.map((bracket) => ({ bracket }))));
    }
    return this.#brackets[number]!;
  }

  /** The budget of a trial's job at store rung `rung`. */
  fidelityOf(trial: number, rung: number): number {
    const fidelity = this.scheduler.rungs[this.bracketOf(trial) + rung];
    if (fidelity === undefined) throw new RangeError(`trial ${trial} has no rung ${rung}: its bracket ${this.bracketOf(trial)} tops out below it`);
    return fidelity;
  }

  /** Whether a complete store rung of `trial` is the top one (the trial is then complete, not paused). */
  isTopRung(trial: number, rung: number): boolean {
    return this.bracketOf(trial) + rung >= this.scheduler.rungs.length - 1;
  }

  /**
   * What a free slot runs next: a promotion, a new configuration (when the study
   * may still create one), "wait" until a running job ends, or "done".
   */
  next(trials: readonly StoredTrial[], maxTrials: number): ScheduledJob | "wait" | "done" {
    const decision = this.scheduler.next(trials.map((t) => this.#cachedRungTrial(t)));
    switch (decision.kind) {
      case "promote": {
        const stored = trials[decision.trial];
        if (stored === undefined) throw new RangeError(`the scheduler promoted trial ${decision.trial}, which does not exist`);
        const rung = decision.rung - this.bracketOf(decision.trial);
        return {
          kind: "promote",
          trial: decision.trial,
          rung,
          fidelity: this.fidelityOf(decision.trial, rung),
          ...(stored.checkpoint !== undefined ? { checkpoint: stored.checkpoint } : {}),
        };
      }
      case "new":
        if (trials.length < maxTrials) return { kind: "new", fidelity: this.fidelityOf(trials.length, 0) };
        return trials.some((t) => t.state === "running") ? "wait" : "done";
      case "wait":
        return "wait";
      case "done":
        return trials.some((t) => t.state === "running") ? "wait" : "done";
    }
  }

  isLastJob(trial: StoredTrial): boolean {
    return this.isTopRung(trial.number, trial.rung);
  }

  finished(trials: readonly StoredTrial[], maxTrials: number): boolean {
    return this.next(trials, maxTrials) === "done";
  }

  #cachedRungTrial(trial: StoredTrial): RungTrial {
    let rungTrial = this.#rungTrials.get(trial);
    if (rungTrial === undefined) this.#rungTrials.set(trial, (rungTrial = this.#rungTrial(trial)));
    return rungTrial;
  }

  #rungTrial(trial: StoredTrial): RungTrial {
    const bracket = this.bracketOf(trial.number);
    // Schedulers rank lower values first.
    const sign = lowerIsBetterSign(this.#direction);
    return {
      number: trial.number,
      bracket,
      values: new Map(trial.rungs.map((r) => [bracket + r.rung, sign * r.value])),
      ...(trial.state === "running" ? { running: bracket + trial.rung } : {}),
      ...(trial.state === "failed" ? { failed: true } : {}),
    };
  }
}
