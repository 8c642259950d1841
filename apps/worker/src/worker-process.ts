import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { Queue, UnrecoverableError, WaitingError, Worker, type ConnectionOptions, type Job } from "bullmq";
import { pino, type Logger } from "pino";
import {
  formatZodIssues,
  RESULTS_QUEUE,
  TRIALS_QUEUE,
  TrialJob,
  trialJobId,
  type ProgressEvent,
  type TrialResult,
  type WorkerMessage,
  type WorkerRegistration,
  workerRegistrationKey,
} from "@bayestune/protocol";
import { InvalidJobError, InvalidOptionsError } from "./errors.js";
import { startOrphanGuard } from "./orphan-guard.js";
import { runTrial } from "./run-trial.js";

export interface StartWorkerOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  redis: string;
  /** BullMQ key prefix, shared with the coordinator. @defaultValue "bull" */
  prefix?: string;
  /** One slot per entry; each entry becomes a trial's CUDA_VISIBLE_DEVICES (e.g. "0" or "0,1"). @defaultValue none: CPU slots */
  gpus?: string[];
  /** Number of CPU slots when no `gpus` are given; must be omitted with `gpus`. @defaultValue 1 */
  slots?: number;
  /** A per-job directory is created under it. */
  workDir: string;
  /** Written into every result and into the registration key ({@link workerRegistrationKey}). @defaultValue `${hostname()}-${process.pid}` */
  id?: string;
  /** JSON-lines logger. @defaultValue pino to stdout */
  logger?: Logger;
  /**
   * How long a job's lock lives without renewal (the worker renews it every half of this).
   * The stalled-job checker runs at the same interval, so a job whose worker died is back
   * in the wait list within about 1-3 × lockDurationMs. @defaultValue 30000
   */
  lockDurationMs?: number;
}

export interface RunningWorker {
  id: string;
  /** Cancels running trials (process groups killed), puts their jobs back in the wait list, deregisters, disconnects. */
  close(): Promise<void>;
}

/** How long the registration key lives without a refresh: three missed refreshes mean the worker is gone. */
const REGISTRATION_TTL_MS = 15_000;
const REGISTRATION_REFRESH_MS = 5_000;
/**
 * A job whose worker vanished (kill -9, a lost machine) is retried this many times by the
 * stalled-job checker; more and it is most likely the job that kills its worker, and it fails.
 */
const MAX_STALLED_COUNT = 2;

/**
 * Starts a worker that pulls trial jobs from TRIALS_QUEUE, runs each with {@link runTrial}
 * on a free slot, and posts progress and results to RESULTS_QUEUE.
 *
 * Contract:
 * - The result is added (job ID `${trialJobId}-result`) before the trial job completes:
 *   delivery is at least once, and a result posted twice is deduplicated by its ID.
 * - A payload that fails the TrialJob schema but names its study, trial and rung gets a
 *   failed result with reason "invalid-job"; one that does not fails with an
 *   UnrecoverableError, never retried. Neither stops the worker.
 * - A job whose worker dies is moved back to wait by BullMQ's stalled-job checker (run by
 *   every worker every `lockDurationMs`) and retried by another worker.
 * - While it runs, the worker keeps a {@link WorkerRegistration} under
 *   {@link workerRegistrationKey}, rewritten every few seconds and whenever a job starts
 *   or ends on one of its slots; `close()` deletes it.
 *
 * @throws InvalidOptionsError when an option is out of its documented range.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const opts = resolveOptions(options);
  const logger = (options.logger ?? pino()).child({ worker: opts.id });
  const connection: ConnectionOptions = { url: opts.redis, maxRetriesPerRequest: null };
  const results = new Queue<WorkerMessage>(RESULTS_QUEUE, { connection, prefix: opts.prefix });
  const freeGpus = [...opts.gpus];
  const running = new Set<AbortController>();
  // Jobs on this worker's slots, from BullMQ handing one over until it is handed back.
  let busy = 0;
  let closing = false;
  // Kills the trials' process groups if this process dies without stopping them (kill -9).
  const guard = startOrphanGuard();

  const post = async (name: "progress" | "result", message: WorkerMessage, jobId: string): Promise<void> => {
    await results.add(name, message, { jobId });
  };

  const runJob = async (job: Job, token?: string): Promise<{ state: TrialResult["state"]; value?: number }> => {
    if (closing) return requeue(job, token);
    const parsed = TrialJob.safeParse(job.data);
    if (!parsed.success) {
      logger.warn({ jobId: job.id, issues: formatZodIssues(parsed.error, "trial job") }, "invalid trial job");
    }
    const gpu = freeGpus.pop();
    const controller = new AbortController();
    running.add(controller);
    const pendingProgress = new Set<Promise<void>>();
    const startedAt = performance.now();
    const identity = parsed.success ? { study: parsed.data.study, trial: parsed.data.trial, rung: parsed.data.rung } : {};
    if (parsed.success) logger.info({ jobId: job.id, ...identity, gpu, attempt: job.attemptsMade + 1 }, "trial started");

    let result: TrialResult;
    try {
      // An invalid payload goes to runTrial too: it alone builds the "invalid-job" result, spawning nothing.
      result = await runTrial(parsed.success ? parsed.data : (job.data as TrialJob), {
        worker: opts.id,
        workDir: opts.workDir,
        signal: controller.signal,
        groups: guard,
        ...(gpu === undefined ? {} : { gpu }),
        onProgress: (event: ProgressEvent) => {
          const id = `${trialJobId(event.study, event.trial, event.rung)}-p${event.step}`;
          const posting = post("progress", event, id).catch((error: unknown) => {
            logger.warn({ jobId: job.id, step: event.step, err: error }, "progress not posted");
          });
          pendingProgress.add(posting);
          void posting.finally(() => pendingProgress.delete(posting));
        },
      });
    } catch (error) {
      if (error instanceof InvalidJobError) {
        logger.error({ jobId: job.id, err: error }, "trial job names no study, trial and rung; failing it for good");
        throw new UnrecoverableError(error.message);
      }
      logger.error({ jobId: job.id, ...identity, err: error }, "trial could not be run; BullMQ will retry it");
      throw error;
    } finally {
      running.delete(controller);
      if (gpu !== undefined) freeGpus.push(gpu);
    }
    await Promise.all(pendingProgress);

    if (closing && result.state === "failed" && result.reason === "cancelled") {
      logger.info({ jobId: job.id, ...identity }, "trial cancelled by shutdown; job put back to wait");
      return requeue(job, token);
    }
    await post("result", result, `${trialJobId(result.study, result.trial, result.rung)}-result`);
    logger.info(
      {
        jobId: job.id,
        study: result.study,
        trial: result.trial,
        rung: result.rung,
        state: result.state,
        value: result.value,
        reason: result.reason,
        durationMs: Math.round(performance.now() - startedAt),
      },
      "trial ended",
    );
    return result.value === undefined ? { state: result.state } : { state: result.state, value: result.value };
  };

  const processJob = async (job: Job, token?: string): ReturnType<typeof runJob> => {
    busy += 1;
    refreshRegistration();
    try {
      return await runJob(job, token);
    } finally {
      busy -= 1;
      refreshRegistration();
    }
  };

  const worker = new Worker(TRIALS_QUEUE, processJob, {
    connection,
    prefix: opts.prefix,
    concurrency: opts.slots,
    // A lock renewed every lockDuration / 2 survives one slow renewal; checking for stalled
    // jobs as often as a lock can expire bounds a dead worker's delay to a few lockDurations
    // without a check more often than locks change.
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.lockDurationMs,
    maxStalledCount: MAX_STALLED_COUNT,
    autorun: false,
  });
  // Without a listener, an EventEmitter 'error' (a lost connection) would crash the process.
  worker.on("error", (error) => logger.error({ err: error }, "worker error"));
  worker.on("failed", (job, error) => {
    if (job !== undefined) logger.warn({ jobId: job.id, attemptsMade: job.attemptsMade, err: error }, "trial job failed");
  });

  // BullMQ's own client of the results queue, so that the worker needs no Redis library of its own.
  const redis = await results.getBackend().client;
  const key = workerRegistrationKey(opts.prefix, opts.id);
  const startedAt = Date.now();
  const host = hostname();
  const register = async (): Promise<void> => {
    const registration: WorkerRegistration = { slots: opts.slots, busy, host, gpus: opts.gpus, startedAt };
    await redis.set(key, JSON.stringify(registration), { PX: REGISTRATION_TTL_MS });
  };
  // One write at a time, in order, so that an older busy count never lands after a newer one;
  // close() waits for the chain, so that no write brings the key back after its delete. At most
  // one write waits behind the running one (it reads `busy` when it runs), so that a Redis
  // outage does not pile up writes.
  let registering = Promise.resolve();
  let refreshWaiting = false;
  const refreshRegistration = (): void => {
    if (closing || refreshWaiting) return;
    refreshWaiting = true;
    registering = registering
      .then(() => {
        refreshWaiting = false;
        return register();
      })
      .catch((error: unknown) => logger.warn({ err: error }, "registration not refreshed"));
  };
  // Before the first job can start: a worker that cannot register does not start.
  await register();
  const heartbeat = setInterval(refreshRegistration, REGISTRATION_REFRESH_MS);

  void worker.run().catch((error: unknown) => logger.error({ err: error }, "worker stopped"));
  logger.info({ prefix: opts.prefix, slots: opts.slots, gpus: opts.gpus, lockDurationMs: opts.lockDurationMs }, "worker started");

  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    closing = true;
    clearInterval(heartbeat);
    await registering;
    // Deregistered first, so the coordinator stops counting these slots at once.
    await redis.del(key).catch((error: unknown) => logger.warn({ err: error }, "registration not deleted"));
    const workerClosed = worker.close();
    for (const controller of running) controller.abort();
    await workerClosed;
    guard.close();
    await results.close();
    logger.info("worker closed");
  };
  return {
    id: opts.id,
    close: () => (closed ??= close()),
  };
}

/**
 * Puts an active job back in the wait list without spending one of its attempts: the
 * trial did not fail, this worker is going away.
 */
async function requeue(job: Job, token: string | undefined): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}

interface ResolvedOptions {
  redis: string;
  prefix: string;
  gpus: string[];
  slots: number;
  workDir: string;
  id: string;
  lockDurationMs: number;
}

function resolveOptions(options: StartWorkerOptions): ResolvedOptions {
  const gpus = options.gpus ?? [];
  const resolved: ResolvedOptions = {
    redis: options.redis,
    prefix: options.prefix ?? "bull",
    gpus,
    slots: gpus.length > 0 ? gpus.length : (options.slots ?? 1),
    workDir: options.workDir,
    id: options.id ?? `${hostname()}-${process.pid}`,
    lockDurationMs: options.lockDurationMs ?? 30_000,
  };
  if (typeof resolved.redis !== "string" || !/^rediss?:\/\//.test(resolved.redis)) {
    throw new InvalidOptionsError(`redis must be a redis:// or rediss:// URL, got ${JSON.stringify(resolved.redis)}`);
  }
  if (typeof resolved.prefix !== "string" || resolved.prefix.length === 0) {
    throw new InvalidOptionsError(`prefix must be a non-empty string, got ${JSON.stringify(resolved.prefix)}`);
  }
  if (gpus.some((gpu) => typeof gpu !== "string" || gpu.length === 0) || new Set(gpus).size !== gpus.length) {
    throw new InvalidOptionsError(`gpus must be distinct non-empty strings such as "0" or "0,1", got ${JSON.stringify(gpus)}`);
  }
  if (gpus.length > 0 && options.slots !== undefined && options.slots !== gpus.length) {
    throw new InvalidOptionsError(
      `slots must be omitted or equal the number of gpus (one slot per GPU), got slots=${options.slots} with ${gpus.length} gpus`,
    );
  }
  if (!Number.isInteger(resolved.slots) || resolved.slots < 1) {
    throw new InvalidOptionsError(`slots must be an integer >= 1, got ${resolved.slots}`);
  }
  if (typeof resolved.workDir !== "string" || resolved.workDir.length === 0) {
    throw new InvalidOptionsError(`workDir must be a non-empty path, got ${JSON.stringify(resolved.workDir)}`);
  }
  if (typeof resolved.id !== "string" || resolved.id.length === 0) {
    throw new InvalidOptionsError(`id must be a non-empty string, got ${JSON.stringify(resolved.id)}`);
  }
  if (!Number.isInteger(resolved.lockDurationMs) || resolved.lockDurationMs < 500) {
    throw new InvalidOptionsError(`lockDurationMs must be an integer >= 500, got ${resolved.lockDurationMs}`);
  }
  return resolved;
}
