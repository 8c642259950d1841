import type { ProgressEvent, StudyConfig, TrialJob, TrialResult } from "@bayestune/protocol";
import type { FinishTrialOutcome, Store, StoredTrial } from "@bayestune/store";
import { StudyEngine, type Decision, type StudyOutcome } from "./study-engine.js";

/** Where a study's jobs run: local child processes (`bayestune tune`) or a BullMQ queue that workers pull from (the coordinator). */
export interface TrialSlots {
  /** How many more jobs may start now; each of `engine.running` trials holds a slot until its result is applied. */
  free(engine: StudyEngine): Promise<number>;
  /**
   * Hands a running trial's job to a slot (queues or spawns it); resolves once it
   * is handed over, not when it ends. After a restart it is called again for every
   * running trial, whose job may be under way already: it must not run twice.
   */
  start(job: TrialJob, trial: StoredTrial): Promise<void>;
  /**
   * Asks a running trial's job to stop early (the script's `should_stop()` turns
   * true; after a grace period it is terminated); its result then comes back
   * `stopped`. Resolves once the request is on its way.
   */
  stop(trial: StoredTrial, reason: string): Promise<void>;
}

/** The part of a pino logger the driver writes to. */
export interface DriverLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

const SILENT: DriverLogger = { debug() {}, info() {}, warn() {} };

/**
 * The one loop of a study, whatever runs its jobs: it applies the engine's
 * decisions to the store and the slots, and the slots' results to the store and
 * the engine. Its caller delivers results and progress one at a time, in order,
 * and calls {@link fill} when no other result waits (filling after the last of
 * several results asks once for all their slots, as a batch).
 *
 * The store is the only truth: the driver holds nothing the store does not
 * (the engine's view is made of records the store returned), so a driver
 * reopened on the same store — after a kill -9, or a failed write whose effect
 * is unknown — goes on as the first would have.
 */
export class StudyDriver {
  readonly config: StudyConfig;
  readonly store: Store;
  readonly #slots: TrialSlots;
  readonly #logger: DriverLogger;
  #engine: StudyEngine;

  private constructor(config: StudyConfig, store: Store, slots: TrialSlots, logger: DriverLogger, engine: StudyEngine) {
    this.config = config;
    this.store = store;
    this.#slots = slots;
    this.#logger = logger;
    this.#engine = engine;
  }

  /** Creates the study in `store` unless it is there (a config that differs throws the store's STUDY_EXISTS), and opens its engine. */
  static async open(config: StudyConfig, store: Store, slots: TrialSlots, logger: DriverLogger = SILENT): Promise<StudyDriver> {
    await store.createStudy(config);
    return new StudyDriver(config, store, slots, logger, await openEngine(config, store, logger));
  }

  get engine(): StudyEngine {
    return this.#engine;
  }

  /** Rebuilds the engine from the store: after a write whose effect is unknown (a reply lost with a Redis restart). */
  async reload(): Promise<void> {
    this.#engine = await openEngine(this.config, this.store, this.#logger);
  }

  /** Hands every running trial's job to the slots again: what a restarted study does first. */
  async resumeRunning(): Promise<void> {
    for (const trial of this.#engine.trials) {
      if (trial.state === "running") await this.#slots.start(this.#engine.jobFor(trial), trial);
    }
  }

  /** Fills the free slots with what the engine decides, one decision at a time. */
  async fill(): Promise<void> {
    let free = await this.#slots.free(this.#engine);
    for (;;) {
      const askStarted = performance.now();
      const decision = await this.#engine.decide(free);
      if (decision === undefined) return;
      if (decision.kind === "new") this.#logger.debug({ q: decision.trials.length, trials: this.#engine.trials.length, askMs: performance.now() - askStarted }, "batch asked");
      free -= await this.#apply(decision);
    }
  }

  /** Records a worker's result (idempotent per trial and rung: a redelivered one changes nothing). */
  async applyResult(result: TrialResult): Promise<FinishTrialOutcome> {
    const outcome = await this.store.finishTrial(this.#engine.finishInput(result));
    await this.#engine.see(outcome.trial);
    if (outcome.applied) this.#logger.info({ trial: result.trial, rung: result.rung, state: result.state, value: result.value, reason: result.reason }, "trial finished");
    return outcome;
  }

  /**
   * Records an intermediate report (idempotent per trial, rung and step); when
   * the study's pruner stops the trial at it, asks its slot to stop it.
   */
  async applyProgress(event: ProgressEvent): Promise<void> {
    const { applied } = await this.store.recordProgress(event);
    if (!applied || !this.#engine.observeProgress(event)) return;
    const trial = this.#engine.trials[event.trial]!;
    await this.#slots.stop(trial, "pruned");
    this.#logger.info({ trial: event.trial, rung: event.rung, step: event.step, metrics: event.metrics }, "trial stopped by the pruner");
  }

  /** Fails a running trial whose job no worker will finish (it used up its attempts), unless a result came first. */
  async failLost(trial: number, rung: number, message: string, attempts: number): Promise<void> {
    const stored = this.#engine.trials[trial];
    if (stored?.state !== "running" || stored.rung !== rung) return;
    const outcome = await this.store.finishTrial({ study: this.config.name, trial, rung, state: "failed", reason: "worker-lost", message, attempts });
    await this.#engine.see(outcome.trial);
    if (outcome.applied) this.#logger.warn({ trial, message }, "trial job exhausted its attempts: failed as worker-lost");
  }

  /** How the study ended, once it has; undefined while anything is running or left to run. */
  outcome(): StudyOutcome | undefined {
    return this.#engine.outcome();
  }

  /** Writes a decision to the store and starts its jobs; returns the slots it took. */
  async #apply(decision: Decision): Promise<number> {
    const engine = this.#engine;
    if (decision.kind === "promote") {
      const { trial } = await this.store.promoteTrial({ study: this.config.name, trial: decision.trial, rung: decision.rung, fidelity: decision.fidelity });
      await engine.see(trial);
      await this.#slots.start(engine.jobFor(trial), trial);
      this.#logger.info({ trial: decision.trial, rung: decision.rung, fidelity: decision.fidelity, checkpoint: decision.checkpoint }, "trial promoted");
      return 1;
    }
    const { trials, fidelity } = decision;
    // One atomic write: a restart sees the trials and the sampler's state after their ask, or neither.
    const created = await this.store.createTrials(
      this.config.name,
      trials.map((t) => ({ params: t.params, source: t.source, ...(fidelity !== undefined ? { fidelity } : {}) })),
      engine.samplerState(),
    );
    for (const [i, stored] of created.entries()) {
      if (stored.number !== trials[i]!.number) {
        throw new Error(`the store numbered a new trial ${stored.number} where the engine expected ${trials[i]!.number}; is a second process writing this study?`);
      }
      await engine.see(stored);
    }
    for (const stored of created) {
      await this.#slots.start(engine.jobFor(stored), stored);
      this.#logger.debug({ trial: stored.number, fidelity }, "trial started");
    }
    return created.length;
  }
}

function openEngine(config: StudyConfig, store: Store, logger: DriverLogger): Promise<StudyEngine> {
  return StudyEngine.open(config, store, (message) =>
    logger.warn({ err: message }, "stored sampler state unreadable: the sampler starts afresh from the trials"),
  );
}
