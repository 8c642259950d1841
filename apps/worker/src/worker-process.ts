import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type ConnectionOptions, type Job } from "bullmq";
import { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import {
  checkSecret,
  formatZodIssues,
  redactRedisUrl,
  RedisOutageLog,
  resultsQueueName,
  screenJob,
  signMessage,
  TRIALS_QUEUE,
  TrialJob,
  trialQueueIds,
  type ProgressEvent,
  type TrialResult,
  type WorkerMessage,
  type WorkerRegistration,
  workerRegistrationKey,
} from "@bayestune/protocol";
import { InvalidJobError, InvalidOptionsError } from "./errors.js";
import { TrialClaims } from "./trial-claims.js";
import { checkCheckpointRoot } from "./checkpoint-root.js";
import { startOrphanGuard } from "./orphan-guard.js";
import { ProgressCoalescer } from "./progress-coalescer.js";
import { runTrial } from "./run-trial.js";
import { StopRequestPoller } from "./stop-request-poller.js";

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
  /**
   * The root of the trials' checkpoint directories (BAYESTUNE_CHECKPOINT_DIR), shared by
   * every worker of the cluster (a network file system), so that a promoted rung resumes
   * on whichever machine it lands. Checked at start: it must exist and be writable.
   * @defaultValue `${workDir}/checkpoints`: this machine's alone; a promotion landing on another worker fails "checkpoint-missing"
   */
  checkpointDir?: string;
  /**
   * Least time between two progress reports posted for one trial: a script may print a
   * metric line per step, and only the newest of each interval is posted (the last one
   * always, before the result). @defaultValue 1000
   */
  progressIntervalMs?: number;
  /**
   * The cluster's shared secret (BAYESTUNE_SECRET): the worker runs only trial jobs the
   * coordinator signed with it, and signs its own progress reports and results with it.
   */
  secret: string;
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
  /**
   * How long a trial whose stop the engine requested (requestTrialStop in the store) has,
   * once its stop file exists, to save its state, print its final line and exit, before
   * its process group is terminated. @defaultValue 30000
   */
  stopGraceMs?: number;
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
 * How long a job's claim outlives its holder's alive key (see TrialClaims), and how long
 * the key lives unrefreshed: a live worker rewrites it at every refresh, also within one
 * refresh of Redis coming back, so two refreshes leave room. A dead worker's jobs start
 * again elsewhere about ALIVE_TTL_MS + CLAIM_GRACE_MS after it died.
 */
const CLAIM_GRACE_MS = 2 * REGISTRATION_REFRESH_MS;
const ALIVE_TTL_MS = 2 * REGISTRATION_REFRESH_MS;
/**
 * A job whose worker vanished (kill -9, a lost machine) is retried this many times by the
 * stalled-job checker; more and it is most likely the job that kills its worker, and it fails.
 */
const MAX_STALLED_COUNT = 2;
/**
 * Progress is posted with a BullMQ priority and results without: BullMQ hands out the
 * plain wait list before any prioritized job, so that a result never waits behind
 * progress, however much of it is queued. A trial's last report is posted plain, just
 * before its result, so that the two keep their order.
 */
const PROGRESS_PRIORITY = 1;

/**
 * Starts a worker that pulls trial jobs from TRIALS_QUEUE, runs each with {@link runTrial}
 * on a free slot, and posts progress and results to the study's results queue
 * ({@link resultsQueueName}), all of them signed with the shared secret.
 *
 * Contract:
 * - Only a job signed with the secret, under the ID {@link trialQueueIds} gives it, is
 *   run; any other (hand-made, edited, copied under another ID, unreadable) is refused:
 *   logged once and failed with an UnrecoverableError, no result posted, so that it can
 *   neither run a program nor fail the trial it names.
 * - The result is added (job ID `trialQueueIds(...).result`, kept after it is consumed)
 *   before the trial job completes: delivery is at least once, and a result posted twice
 *   is deduplicated by its ID. A job whose result exists already (a job handed out again
 *   after its lock expired in a Redis outage) completes without running its command again.
 * - A signed payload that fails the TrialJob schema (a coordinator of another version) gets
 *   a failed result with reason "invalid-job". Nothing of the above stops the worker.
 * - A job whose worker dies is moved back to wait by BullMQ's stalled-job checker (run by
 *   every worker every `lockDurationMs`) and retried by another worker.
 * - The stop keys (`stopRequestKey`) of the jobs it runs are polled every 500 ms
 *   (one MGET for all of them); a request signed with the secret, for that job, made
 *   after it was queued, creates the job's stop file and ends it after `stopGraceMs`
 *   (see runTrial's `stop`); its result is posted as any other. Any other request is
 *   logged and ignored; the keys are left to their TTL.
 * - While it runs, the worker keeps a {@link WorkerRegistration} under
 *   {@link workerRegistrationKey}, rewritten every few seconds and whenever a job starts
 *   or ends on one of its slots; `close()` deletes it.
 *
 * @throws InvalidOptionsError when an option is out of its documented range.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const opts = resolveOptions(options);
  if (opts.checkpointDir !== undefined) await checkCheckpointRoot(opts.checkpointDir);
  const logger = (options.logger ?? pino()).child({ worker: opts.id });
  const connection: ConnectionOptions = { url: opts.redis, maxRetriesPerRequest: null };
  // One connection for every study's results queue, however many studies share the pool.
  const resultsConnection = new Redis(opts.redis, { maxRetriesPerRequest: null });
  // Every connection's errors go to it: an outage is logged once, not once per reconnection attempt.
  const outages = new RedisOutageLog(opts.redis, logger);
  outages.watch(resultsConnection, "results connection error");
  const claims = new TrialClaims(resultsConnection, opts.prefix, { graceMs: CLAIM_GRACE_MS, recheckMs: REGISTRATION_REFRESH_MS });
  const stops = new StopRequestPoller(resultsConnection, { prefix: opts.prefix, secret: opts.secret, logger });
  // Queue IDs of the jobs this process runs now.
  const claimed = new Set<string>();
  // Queue IDs of the jobs whose lapsed lock was logged.
  const lockLost = new Set<string>();
  const resultsQueues = new Map<string, Queue<WorkerMessage>>();
  const resultsQueue = (study: string): Queue<WorkerMessage> => {
    let queue = resultsQueues.get(study);
    if (queue === undefined) {
      queue = new Queue<WorkerMessage>(resultsQueueName(study), { connection: resultsConnection, prefix: opts.prefix });
      outages.watch(queue, `results queue error (study ${study})`);
      resultsQueues.set(study, queue);
    }
    return queue;
  };
  const freeGpus = [...opts.gpus];
  const running = new Set<AbortController>();
  // Jobs on this worker's slots, from BullMQ handing one over until it is handed back.
  let busy = 0;
  let closing = false;
  // Kills the trials' process groups if this process dies without stopping them (kill -9).
  const guard = startOrphanGuard();

  /** Results stay in the queue once consumed: a result there means the (trial, rung) must not run again. */
  const post = async (name: "progress" | "result", message: WorkerMessage, jobId: string, priority?: number): Promise<void> => {
    const signed = signMessage(opts.secret, "worker-message", message);
    const keep = name === "result" ? { removeOnComplete: false } : { removeOnComplete: true };
    await resultsQueue(message.study).add(name, signed, { jobId, ...keep, ...(priority === undefined ? {} : { priority }) });
  };

  const runJob = async (job: Job, token?: string): Promise<{ state: TrialResult["state"]; value?: number }> => {
    if (closing) return requeue(job, token);
    const screened = screenJob(job.id, job.data, opts.secret);
    if (screened.kind === "refused") {
      logger.warn({ jobId: job.id, why: screened.why }, "trial job refused");
      throw new JobRefusedError(`refused: ${screened.why}`);
    }
    const ids = trialQueueIds(opts.secret, screened.study, screened.trial, screened.rung);
    const earlier = await resultsQueue(screened.study).getJob(ids.result);
    if (earlier !== undefined) {
      logger.info({ jobId: job.id, study: screened.study, trial: screened.trial, rung: screened.rung }, "trial has a result already; not run again");
      const { state, value } = earlier.data as TrialResult;
      return value === undefined ? { state } : { state, value };
    }
    // The job may run still, on this worker or another, though BullMQ handed it out again (its lock lapsed in an outage).
    if (claimed.has(ids.job)) return defer(job, token, REGISTRATION_REFRESH_MS);
    const claim = await claims.take(ids.job);
    if (claim.kind === "held") {
      logger.info({ jobId: job.id, holder: claim.holder, retryInMs: claim.retryInMs }, "trial runs on another worker; asking again later");
      return defer(job, token, claim.retryInMs);
    }
    claimed.add(ids.job);
    try {
      const parsed = TrialJob.safeParse(job.data);
      if (!parsed.success) {
        logger.warn({ jobId: job.id, issues: formatZodIssues(parsed.error, "trial job") }, "invalid trial job");
      }
      const gpu = freeGpus.pop();
      const controller = new AbortController();
      running.add(controller);
      const stopWatch = stops.watch({ study: screened.study, trial: screened.trial, rung: screened.rung, queuedAt: job.timestamp, jobId: job.id });
      const progress = new ProgressCoalescer({
        intervalMs: opts.progressIntervalMs,
        // The trial's last report goes without a priority, in order before its result, under an
        // ID of its own: the same report may wait in the queue with a priority already.
        post: (event, last) =>
          last ? post("progress", event, `${ids.progress(event.step)}-last`) : post("progress", event, ids.progress(event.step), PROGRESS_PRIORITY),
        onError: (error, event) => logger.warn({ jobId: job.id, step: event.step, err: error }, "progress not posted"),
      });
      const startedAt = performance.now();
      const identity = parsed.success ? { study: parsed.data.study, trial: parsed.data.trial, rung: parsed.data.rung } : {};
      if (parsed.success) logger.info({ jobId: job.id, ...identity, gpu, attempt: job.attemptsMade + 1 }, "trial started");

      let result: TrialResult;
      try {
        // An invalid payload goes to runTrial too: it alone builds the "invalid-job" result, spawning nothing.
        result = await runTrial(parsed.success ? parsed.data : (job.data as TrialJob), {
          worker: opts.id,
          workDir: opts.workDir,
          ...(opts.checkpointDir === undefined ? {} : { checkpointDir: opts.checkpointDir }),
          signal: controller.signal,
          stop: stopWatch.signal,
          stopGraceMs: opts.stopGraceMs,
          groups: guard,
          ...(gpu === undefined ? {} : { gpu }),
          onProgress: (event: ProgressEvent) => progress.report(event),
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
        stopWatch.unwatch();
        if (gpu !== undefined) freeGpus.push(gpu);
        await progress.flush();
      }

      if (closing && result.state === "failed" && result.reason === "cancelled") {
        logger.info({ jobId: job.id, ...identity }, "trial cancelled by shutdown; job put back to wait");
        // Awaited here: the `finally` below awaits Redis, and a rejection nobody awaits meanwhile would crash the process.
        return await requeue(job, token);
      }
      await post("result", result, ids.result);
      logger.info(
        {
          jobId: job.id,
          study: result.study,
          trial: result.trial,
          rung: result.rung,
          state: result.state,
          value: result.value,
          reason: result.reason,
          stopped: result.stopped,
          durationMs: Math.round(performance.now() - startedAt),
        },
        "trial ended",
      );
      return result.value === undefined ? { state: result.state } : { state: result.state, value: result.value };
    } finally {
      claimed.delete(ids.job);
      lockLost.delete(ids.job);
      await claims.release(ids.job).catch((error: unknown) => logger.warn({ jobId: job.id, err: error }, "claim not released"));
    }
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
  // BullMQ says "could not renew lock" at every renewal of a job whose lock lapsed (a Redis outage
  // longer than the lock) for as long as its trial runs on: said once per job instead.
  outages.watch(worker, "worker error", (error) => error.message.startsWith("could not renew lock for job"));
  worker.on("lockRenewalFailed", (jobIds: string[]) => {
    for (const jobId of jobIds.filter((id) => !lockLost.has(id))) {
      lockLost.add(jobId);
      logger.warn({ jobId }, "job lock lapsed (Redis away longer than the lock?); the trial runs on, and its claim keeps other workers from starting it again");
    }
  });
  worker.on("failed", (job, error) => {
    // A refused job was logged when it was refused.
    if (job !== undefined && !(error instanceof JobRefusedError)) logger.warn({ jobId: job.id, attemptsMade: job.attemptsMade, err: error }, "trial job failed");
  });

  const redis = resultsConnection;
  const key = workerRegistrationKey(opts.prefix, opts.id);
  const startedAt = Date.now();
  const host = hostname();
  const register = async (): Promise<void> => {
    const registration: WorkerRegistration = { slots: opts.slots, busy, host, gpus: opts.gpus, startedAt };
    await redis.set(key, JSON.stringify(registration), "PX", REGISTRATION_TTL_MS);
    await claims.beAlive(ALIVE_TTL_MS);
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
  await guard.ready;
  const heartbeat = setInterval(refreshRegistration, REGISTRATION_REFRESH_MS);

  void worker.run().catch((error: unknown) => logger.error({ err: error }, "worker stopped"));
  logger.info({ prefix: opts.prefix, slots: opts.slots, gpus: opts.gpus, lockDurationMs: opts.lockDurationMs }, "worker started");

  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    closing = true;
    clearInterval(heartbeat);
    stops.close();
    await registering;
    // Deregistered first, so the coordinator stops counting these slots at once.
    await redis.del(key).catch((error: unknown) => logger.warn({ err: error }, "registration not deleted"));
    await claims.leave().catch((error: unknown) => logger.warn({ err: error }, "alive key not deleted"));
    const workerClosed = worker.close();
    for (const controller of running) controller.abort();
    await workerClosed;
    guard.close();
    for (const queue of resultsQueues.values()) await queue.close();
    await resultsConnection.quit().catch(() => resultsConnection.disconnect());
    logger.info("worker closed");
  };
  return {
    id: opts.id,
    close: () => (closed ??= close()),
  };
}

/** A job the worker will not run (see screenJob); failed for good, never retried. */
class JobRefusedError extends UnrecoverableError {
  override readonly name = "JobRefusedError";
}

/** Puts an active job back among the delayed ones for `delayMs`, without spending one of its attempts. */
async function defer(job: Job, token: string | undefined, delayMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
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
  secret: string;
  id: string;
  lockDurationMs: number;
  checkpointDir: string | undefined;
  progressIntervalMs: number;
  stopGraceMs: number;
}

function resolveOptions(options: StartWorkerOptions): ResolvedOptions {
  const gpus = options.gpus ?? [];
  const resolved: ResolvedOptions = {
    redis: options.redis,
    prefix: options.prefix ?? "bull",
    gpus,
    slots: gpus.length > 0 ? gpus.length : (options.slots ?? 1),
    workDir: options.workDir,
    secret: options.secret,
    id: options.id ?? `${hostname()}-${process.pid}`,
    lockDurationMs: options.lockDurationMs ?? 30_000,
    checkpointDir: options.checkpointDir,
    progressIntervalMs: options.progressIntervalMs ?? 1_000,
    stopGraceMs: options.stopGraceMs ?? 30_000,
  };
  if (typeof resolved.redis !== "string" || !/^rediss?:\/\//.test(resolved.redis)) {
    throw new InvalidOptionsError(`redis must be a redis:// or rediss:// URL, got ${JSON.stringify(typeof resolved.redis === "string" ? redactRedisUrl(resolved.redis) : resolved.redis)}`);
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
  if (typeof resolved.secret !== "string") {
    throw new InvalidOptionsError(`secret must be the cluster's shared secret (a string), got ${typeof resolved.secret}`);
  }
  try {
    checkSecret(resolved.secret);
  } catch (error) {
    throw new InvalidOptionsError((error as Error).message, { cause: error });
  }
  if (typeof resolved.id !== "string" || resolved.id.length === 0) {
    throw new InvalidOptionsError(`id must be a non-empty string, got ${JSON.stringify(resolved.id)}`);
  }
  if (!Number.isInteger(resolved.lockDurationMs) || resolved.lockDurationMs < 500) {
    throw new InvalidOptionsError(`lockDurationMs must be an integer >= 500, got ${resolved.lockDurationMs}`);
  }
  if (resolved.checkpointDir !== undefined && (typeof resolved.checkpointDir !== "string" || resolved.checkpointDir.length === 0)) {
    throw new InvalidOptionsError(`checkpointDir must be a non-empty path when given, got ${JSON.stringify(resolved.checkpointDir)}`);
  }
  if (!Number.isFinite(resolved.progressIntervalMs) || resolved.progressIntervalMs < 0) {
    throw new InvalidOptionsError(`progressIntervalMs must be a finite number >= 0, got ${resolved.progressIntervalMs}`);
  }
  if (!Number.isFinite(resolved.stopGraceMs) || resolved.stopGraceMs < 0) {
    throw new InvalidOptionsError(`stopGraceMs must be a finite number >= 0, got ${resolved.stopGraceMs}`);
  }
  return resolved;
}
