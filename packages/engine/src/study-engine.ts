import { InvalidArgumentError, replayStudy, rungLadder, tellOutcomeOf, type Params, type Study, type Trial } from "@bayestune/core";
import { trialJobFor, type ProgressEvent, type StudyConfig, type TrialJob, type TrialResult } from "@bayestune/protocol";
import type { FinishTrialInput, Store, StoredTrial } from "@bayestune/store";
import { bestTrial, paretoTrials } from "./best-trial.js";
import { askFor, nextConfiguration } from "./next-configuration.js";
import { FreezeThawSchedule } from "./freeze-thaw-schedule.js";
import { RungSchedule } from "./rung-schedule.js";
import type { TrialSchedule } from "./trial-schedule.js";
import { StepPruner } from "./step-pruner.js";

/** What a study does next with free slots; each is applied (written and started) before the next is decided. */
export type Decision =
  /** New trials from one ask of the sampler, at `fidelity` (none for a study without one). */
  | { readonly kind: "new"; readonly trials: readonly Trial[]; readonly fidelity?: number }
  /** A paused trial continued one store rung up, from its last checkpoint when it has one. */
  | { readonly kind: "promote"; readonly trial: number; readonly rung: number; readonly fidelity: number; readonly checkpoint?: string };

/** How a finished study stands. */
export interface StudyOutcome {
  /** Trials no longer running: complete, paused (stopped early by a scheduler) or failed. */
  readonly finished: number;
  readonly failed: number;
  /** The best complete, feasible trial for the study's direction; absent when there is none, or several objectives. */
  readonly best?: StoredTrial;
  /** The Pareto front of a multi-objective study (the best trial alone for one objective). */
  readonly front: readonly StoredTrial[];
}

/**
 * The decisions of one study — new configurations from the sampler, promotions,
 * whether a result pauses its trial, the end — as a function of its config and
 * its stored history (the trials, and the sampler's state stored with the last
 * ask). Every mode runs it: `bayestune tune` on a local store and child
 * processes, the coordinator on Redis and BullMQ (see StudyDriver).
 *
 * The engine holds a view of the trials that the caller keeps current by
 * passing it every record a store write returns ({@link see}); it never reads
 * the store after {@link open}, so that a decision costs no read of the study.
 */
export class StudyEngine {
  readonly config: StudyConfig;
  /** The rungs of a study with a scheduler (ASHA, Hyperband, a staged screen), or its freeze–thaw ladder. */
  readonly schedule: TrialSchedule | undefined;
  /** The budget of every job of a study without a scheduler. */
  readonly #fullFidelity: number | undefined;
  /** The study's pruning rule over reported steps; undefined without one. */
  readonly #pruner: StepPruner | undefined;
  #core: Study;
  #view: StoredTrial[];
  #running = 0;

  private constructor(config: StudyConfig, core: Study, trials: StoredTrial[]) {
    this.config = config;
    this.schedule = config.scheduler === undefined ? undefined : config.scheduler.type === "freeze-thaw" ? new FreezeThawSchedule(config) : new RungSchedule(config);
    this.#fullFidelity = config.fidelity === undefined ? undefined : rungLadder(config.fidelity).at(-1);
    this.#core = core;
    this.#view = trials;
    this.#running = trials.filter((t) => t.state === "running").length;
    this.#pruner = config.pruner === undefined ? undefined : new StepPruner(config, trials);
  }

  /**
   * The engine as `store` has the study (which must exist): the core replays the
   * trials and restores the sampler's stored state, so that the next ask proposes
   * what an uninterrupted study would. A state that cannot be read is reported
   * through `onUnreadableState` and the sampler starts afresh from the trials.
   */
  static async open(config: StudyConfig, store: Store, onUnreadableState?: (message: string) => void): Promise<StudyEngine> {
    const [trials, state] = await Promise.all([store.getTrials(config.name), store.getSamplerState(config.name)]);
    let core: Study;
    try {
      core = await replayStudy(config, trials, state === undefined ? undefined : JSON.parse(state));
    } catch (error) {
      if (!(error instanceof SyntaxError || error instanceof InvalidArgumentError)) throw error;
      onUnreadableState?.(error.message);
      core = await replayStudy(config, trials);
    }
    return new StudyEngine(config, core, trials);
  }

  /** The study's trials as the engine knows them, in number order. */
  get trials(): readonly StoredTrial[] {
    return this.#view;
  }

  /** Trials running now: each holds a slot until its result is applied. */
  get running(): number {
    return this.#running;
  }

  /** The sampler's state after the last ask, as text to store with the trials it created. */
  samplerState(): string | undefined {
    const state = this.#core.samplerState();
    return state === undefined ? undefined : JSON.stringify(state);
  }

  /**
   * Takes a record a store write returned into the view; the core hears of a
   * trial once it is complete, failed or pruned (a paused one may still climb),
   * as replayStudy tells it on a reopen: a pruned trial left running in the core
   * would stay pending (believed at its posterior mean by the GP) in every later
   * ask, and a reopened study would propose otherwise than the uninterrupted one.
   */
  async see(trial: StoredTrial): Promise<void> {
    const before = this.#view[trial.number];
    if (trial.number > this.#view.length) throw new RangeError(`trial ${trial.number} skips numbers: the engine knows ${this.#view.length} trials`);
    this.#view[trial.number] = trial;
    this.#running += (trial.state === "running" ? 1 : 0) - (before?.state === "running" ? 1 : 0);
    const core = this.#core.trial(trial.number);
    if (core === undefined) {
      throw new Error(`the store holds trial ${trial.number}, which this engine did not ask for; is a second process writing this study?`);
    }
    if (core.state === "running" && (trial.state === "complete" || trial.state === "failed" || trial.state === "pruned")) {
      await this.#core.tell(trial.number, tellOutcomeOf(this.config, trial));
    }
  }

  /**
   * Takes in an intermediate report the store applied; true when the study's
   * pruner stops the trial at it (once per trial: a trial already asked to stop
   * is not asked again).
   */
  observeProgress(event: ProgressEvent): boolean {
    const trial = this.#view[event.trial];
    if (this.#pruner === undefined || trial?.state !== "running" || trial.rung !== event.rung) return false;
    return this.#pruner.observe(event);
  }

  /**
   * What `free` slots run next, one decision at a time (each sees the trials the
   * previous one created or promoted once they are {@link see}n): a batch of new
   * trials, a promotion, or nothing now.
   */
  async decide(free: number): Promise<Decision | undefined> {
    if (free <= 0) return undefined;
    const schedule = this.schedule;
    if (schedule === undefined) {
      const room = this.config.maxTrials - this.#view.length;
      if (room <= 0) return undefined;
      const trials = await this.#core.askBatch(Math.min(free, room));
      return { kind: "new", trials, ...(this.#fullFidelity !== undefined ? { fidelity: this.#fullFidelity } : {}) };
    }
    const next = schedule.next(this.#view, this.config.maxTrials);
    if (typeof next === "string") return undefined;
    if (next.kind === "promote") return next;
    return { kind: "new", trials: [await this.#newConfiguration(schedule, next.params)], fidelity: next.fidelity };
  }

  /** A scheduled study's next configuration: the schedule's own, the model-based multi-fidelity proposal (rungs), or the sampler's. */
  async #newConfiguration(schedule: TrialSchedule, params: Params | undefined): Promise<Trial> {
    if (params !== undefined) return askFor(this.#core, params);
    if (schedule instanceof RungSchedule) return nextConfiguration(this.config, this.#core, this.#view, schedule.scheduler.rungs);
    const [trial] = await this.#core.askBatch(1);
    if (trial === undefined) throw new Error("the study's sampler returned no configuration");
    return trial;
  }

  /**
   * The store write that records a worker's result: a trial stopped early is
   * pruned; below the top rung a complete result pauses its trial for a promotion.
   */
  finishInput(result: TrialResult): FinishTrialInput {
    const stopped = result.state === "complete" && result.stopped === true;
    const trial = this.#view[result.trial];
    const pause = !stopped && this.schedule !== undefined && trial !== undefined && result.state === "complete" && !this.schedule.isLastJob(trial);
    return { ...result, pause, stopped };
  }

  /** The job a running trial runs at its current rung: its budget, and the checkpoint a promotion resumes from. */
  jobFor(trial: StoredTrial): TrialJob {
    return trialJobFor(this.config, trial.number, trial.params, {
      rung: trial.rung,
      ...(trial.fidelity !== undefined ? { fidelity: trial.fidelity } : {}),
      ...(trial.rung > 0 && trial.checkpoint !== undefined ? { checkpoint: trial.checkpoint } : {}),
    });
  }

  /** How the study ended, once it has: `maxTrials` finished, or with a scheduler, nothing left to run; undefined before. */
  outcome(): StudyOutcome | undefined {
    const trials = this.#view;
    if (this.#running > 0) return undefined;
    if (this.schedule === undefined ? trials.length < this.config.maxTrials : !this.schedule.finished(trials, this.config.maxTrials)) return undefined;
    return this.standing();
  }

  /** The study as it stands now: finished and failed counts, the best trial and the front. */
  standing(): StudyOutcome {
    const trials = this.#view;
    const best = bestTrial(trials, this.config);
    return {
      finished: trials.length - this.#running,
      failed: trials.filter((t) => t.state === "failed").length,
      front: paretoTrials(trials, this.config),
      ...(best !== undefined ? { best } : {}),
    };
  }
}
