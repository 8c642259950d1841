import type { Redis } from "ioredis";
import { screenStopRequest, stopRequestKey, type StudyName } from "@bayestune/protocol";

/** The three log calls the poller makes; a pino Logger is one. */
export interface StopRequestLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface StopRequestPollerOptions {
  /** The BullMQ prefix, under which the engine writes stop requests ({@link stopRequestKey}). */
  prefix: string;
  /** The cluster's shared secret: only requests signed with it stop a job. */
  secret: string;
  logger: StopRequestLogger;
  /** Time between two polls. @defaultValue 500 */
  intervalMs?: number;
}

/** A job being watched for a stop request. */
export interface WatchedJob {
  study: StudyName;
  trial: number;
  rung: number;
  /** When the job was queued (BullMQ's `job.timestamp`), epoch ms: an older request is stale. */
  queuedAt: number;
  /** For the log lines. */
  jobId: string | undefined;
}

interface Watch {
  key: string;
  job: WatchedJob;
  controller: AbortController;
  /** The stored value last logged as ignored, so that a forged request is logged once, not at every poll. */
  ignored: string | undefined;
}

/**
 * Watches the stop keys of the jobs a worker runs (see requestTrialStop in the store):
 * one MGET per poll for all of them, so that a request reaches the job on whatever
 * machine it runs within about one interval, at one Redis call per worker per interval
 * whatever its number of slots. An accepted request aborts the job's signal with the
 * request's reason; an unsigned, forged, copied or stale one is logged and ignored.
 *
 * A poll that fails (Redis away) is logged at debug and the next tick tries again: the
 * worker's connection logs the outage once already. Polls never overlap, so an outage
 * does not pile them up. The keys are left to their TTL: the engine may read them back.
 */
export class StopRequestPoller {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #secret: string;
  readonly #logger: StopRequestLogger;
  readonly #watches = new Map<string, Watch>();
  readonly #timer: NodeJS.Timeout;
  #polling = false;

  constructor(redis: Redis, options: StopRequestPollerOptions) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#secret = options.secret;
    this.#logger = options.logger;
    this.#timer = setInterval(() => void this.#poll(), options.intervalMs ?? 500);
  }

  /**
   * Watches `job` until `unwatch()`; `signal` aborts when its stop is requested. One
   * watch per job: the worker's claims keep a job from running twice on one worker.
   */
  watch(job: WatchedJob): { signal: AbortSignal; unwatch(): void } {
    const key = stopRequestKey(this.#prefix, job.study, job.trial, job.rung);
    const watch: Watch = { key, job, controller: new AbortController(), ignored: undefined };
    this.#watches.set(key, watch);
    return {
      signal: watch.controller.signal,
      unwatch: () => {
        if (this.#watches.get(key) === watch) this.#watches.delete(key);
      },
    };
  }

  /** Stops polling; a poll under way finishes, without effect on unwatched jobs. */
  close(): void {
    clearInterval(this.#timer);
    this.#watches.clear();
  }

  async #poll(): Promise<void> {
    const watches = [...this.#watches.values()].filter((watch) => !watch.controller.signal.aborted);
    if (this.#polling || watches.length === 0) return;
    this.#polling = true;
    try {
      const values = await this.#redis.mget(...watches.map((watch) => watch.key));
      watches.forEach((watch, index) => this.#apply(watch, values[index]));
    } catch (error) {
      this.#logger.debug({ err: error }, "stop requests not polled; trying again at the next tick");
    } finally {
      this.#polling = false;
    }
  }

  #apply(watch: Watch, value: string | null | undefined): void {
    // The job may have ended while the MGET was under way.
    if (this.#watches.get(watch.key) !== watch || value === null || value === undefined || value === watch.ignored) return;
    const { study, trial, rung, jobId } = watch.job;
    const screened = screenStopRequest(value, this.#secret, watch.job);
    switch (screened.kind) {
      case "none":
        return;
      case "accepted":
        this.#logger.info({ jobId, study, trial, rung, reason: screened.request.reason }, "stop requested; the trial is asked to stop");
        watch.controller.abort(screened.request.reason);
        return;
      case "stale":
        watch.ignored = value;
        this.#logger.info(
          { jobId, study, trial, rung, requestedAt: screened.request.requestedAt, queuedAt: watch.job.queuedAt },
          "stop request older than the job ignored (left by an earlier study of the same name?)",
        );
        return;
      case "refused":
        watch.ignored = value;
        this.#logger.warn({ jobId, study, trial, rung, why: screened.why }, "stop request refused");
        return;
    }
  }
}
