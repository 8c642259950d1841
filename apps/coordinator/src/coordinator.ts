/*
 * The coordinator runs one study's driver (StudyDriver, @bayestune/engine) on a
 * Redis store with BullMQ as its slots: the engine decides, the driver writes
 * through the Store, jobs go to the trials queue that workers pull from, and
 * results come back on the study's results queue. The store is the only truth,
 * so a coordinator killed with `kill -9` is restarted by reopening the engine on it.
 *
 * Any number of studies share one Redis, one prefix and one pool of workers: jobs
 * of every study go to the one trials queue, and each study's results come back on
 * a queue of its own ({@link resultsQueueName}). Jobs are signed with the cluster's
 * secret (workers run nothing else) and so are results (nothing else is applied).
 *
 * Exactly one coordinator runs per study, which the study's lease (StudyLease)
 * ensures: trial numbers come from the store and are checked against the core's,
 * which only holds with one writer.
 */
import { Queue, QueueEvents, UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { z } from "zod";
import { pino, type Logger } from "pino";
import { StudyDriver, type StudyEngine, type TrialSlots } from "@bayestune/engine";
import {
  checkSecret,
  formatZodIssues,
  hasValidSignature,
  RedisOutageLog,
  resultsQueueName,
  screenJob,
  signMessage,
  StudyConfig,
  TRIALS_QUEUE,
  type TrialJob,
  trialQueueIds,
  WorkerMessage,
  ProgressEvent,
  TrialResult,
} from "@bayestune/protocol";
import { checkRedisDurability, RedisStore, requestTrialStop, StoreError, StudyLease, type Store, type StoredTrial } from "@bayestune/store";

import { STORE_CONNECTION_OPTIONS } from "./store-connection.js";
import { countWorkerSlots } from "./worker-slots.js";

export interface CoordinatorOptions {
  /** Redis URL shared by BullMQ, the worker registry and the default store. */
  redis: string;
  /** BullMQ prefix; workers must use the same. @defaultValue "bull" */
  prefix?: string;
  config: StudyConfig;
  /** The cluster's shared secret (BAYESTUNE_SECRET): every job is signed with it, and only results signed with it are applied. */
  secret: string;
  /** Where trials are recorded; `close()` leaves a store passed in open. @defaultValue a RedisStore on `redis` with key prefix `${prefix}:bayestune` */
  store?: Store;
  /** @defaultValue pino() on stdout */
  logger?: Logger;
  /** How often the free worker slots are checked, in ms (and every FAILED_SCAN_POLLS polls, the failed jobs). @defaultValue 500 */
  pollIntervalMs?: number;
  /**
   * Jobs kept waiting in the queue beyond the free worker slots, so that a slot
   * that frees up starts its next trial at once instead of waiting for the
   * coordinator to hear of it, refit the GP and ask. Such a trial is chosen a
   * little earlier, with the running trials as pending points.
   * @defaultValue 0
   */
  queueAhead?: number;
  /**
   * How long the study's lease lives unrenewed, in ms (see StudyLease): a
   * coordinator restarted after a kill -9 of the last one waits up to this, and
   * one started beside a live one is refused within it. At least 300.
   * @defaultValue 10000
   */
  leaseMs?: number;
}

export interface CoordinatorOutcome {
  finished: number;
  failed: number;
  /** The best complete, feasible trial for the study's direction; absent when there is none, or several objectives. */
  best?: StoredTrial;
  /** The Pareto front of a multi-objective study (the best trial alone for one objective). */
  front: StoredTrial[];
}

export interface Coordinator {
  /** Resolves once `maxTrials` trials are finished; rejects when a step keeps failing with Redis up after STEP_ATTEMPTS replays of the store (a broken invariant), or with a StudyLeaseError once another coordinator took the study over; waits out Redis outages; never settles if `close()` comes first. */
  readonly done: Promise<CoordinatorOutcome>;
  /** Stops consuming and filling, and closes every connection it opened. Running jobs keep running. */
  close(): Promise<void>;
}

/**
 * Trial jobs are never removed: a restarted coordinator re-adds the job of every
 * running trial, and only an existing job ID (even of a completed job whose result
 * is still on its way) keeps BullMQ from running that trial a second time.
 */
const KEEP_TRIAL_JOBS = { removeOnComplete: false, removeOnFail: false } as const;

/**
 * The failed set of the trials queue, which every study shares and which only grows, is
 * read whole at start, after a replay of the store, and every this many polls: the
 * queue's "failed" events report the rest as they happen.
 */
const FAILED_SCAN_POLLS = 120;

/** Failures of one coordinator step while Redis is up (with a replay of the store between them) before `done` rejects. */
const STEP_ATTEMPTS = 8;

/**
 * A result a killed coordinator was processing stays locked until its lock
 * expires and the next stalled check hands it back: a lock much shorter than
 * BullMQ's 30 s (handling a message takes milliseconds, and the lock is renewed
 * anyway) lets a restarted coordinator get it within seconds; and a result must
 * never be dropped for having stalled a few times. The removal settings are for
 * messages that carry none of their own: a worker posts its results to be kept (a
 * result in the queue means its trial job must not run again) and its progress to go.
 */
const RESULTS_WORKER_OPTIONS = {
  lockDuration: 5_000,
  stalledInterval: 2_000,
  maxStalledCount: 100,
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
} as const;

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const prefix = options.prefix ?? "bull";
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  if (!(Number.isFinite(pollIntervalMs) && pollIntervalMs > 0)) {
    throw new RangeError(`pollIntervalMs must be a positive number, got ${pollIntervalMs}`);
  }
  const queueAhead = options.queueAhead ?? 0;
  if (!(Number.isInteger(queueAhead) && queueAhead >= 0)) {
    throw new RangeError(`queueAhead must be a non-negative integer, got ${queueAhead}`);
  }
  const parsed = StudyConfig.safeParse(options.config);
  if (!parsed.success) throw new RangeError(formatZodIssues(parsed.error, "study config"));
  const config = parsed.data;
  const { secret } = options;
  checkSecret(secret);
  const logger = (options.logger ?? pino()).child({ study: config.name });
  const lease = new StudyLease({ prefix: `${prefix}:bayestune`, study: config.name, ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}) });
  const outages = new RedisOutageLog(options.redis, logger);

  const connections: Redis[] = [];
  const track = (redis: Redis): Redis => {
    connections.push(redis);
    outages.watch(redis, "Redis connection error");
    return redis;
  };
  // BullMQ needs maxRetriesPerRequest: null on the connections it blocks on; what it sends
  // again after a reconnect is idempotent (job IDs are fixed).
  const connect = (): Redis => track(new Redis(options.redis, { maxRetriesPerRequest: null }));
  // Fails what a lost connection leaves unanswered; `serial` then replays the store.
  const redis = track(new Redis(options.redis, STORE_CONNECTION_OPTIONS));
  const ownsStore = options.store === undefined;
  const store = options.store ?? new RedisStore({ redis, prefix: `${prefix}:bayestune` });
  /** A start that fails closes what it opened: an open connection would keep the process from ever exiting. */
  const abandonStart = async (error: unknown): Promise<never> => {
    await lease.release();
    for (const connection of connections) connection.disconnect();
    throw error;
  };
  for (const warning of await checkRedisDurability(redis).catch(abandonStart)) logger.warn(warning);

  await store.createStudy(config).catch(abandonStart);
  // Before anything of the study is read or queued: a study that another live coordinator runs is not this one's.
  const previous = await lease.acquire(redis).catch(abandonStart);
  if (previous !== undefined) logger.warn({ previous }, "study lease taken over: its last holder stopped renewing it");
  const trialsQueue = new Queue<TrialJob>(TRIALS_QUEUE, { connection: connect(), prefix });
  outages.watch(trialsQueue, "trials queue error");

  /** Worker slots (plus the queue ahead) not taken by `busy` jobs. */
  const freeSlots = async (busy: number): Promise<number> => (await countWorkerSlots(redis, prefix)) + queueAhead - busy;
  /** Jobs waiting or running in the trials queue, of every study. */
  const queuedJobs = async (): Promise<number> => {
    const jobCounts = await trialsQueue.getJobCounts("waiting", "active", "delayed", "prioritized");
    return Object.values(jobCounts).reduce((sum, n) => sum + n, 0);
  };
  /**
   * This study's running trials whose job has ended: the worker is done and the
   * result on its way. Their slots stay taken until the result is applied, so
   * that no ask sees a finished trial as pending (a 1-slot study is sequential).
   */
  const resultsOnTheirWay = async (engine: StudyEngine): Promise<number> => {
    const running = engine.trials.filter((t) => t.state === "running");
    const states = await Promise.all(running.map((t) => trialsQueue.getJobState(trialQueueIds(secret, config.name, t.number, t.rung).job)));
    return states.filter((state) => state === "completed" || state === "failed").length;
  };
  /**
   * The study's jobs go to the trials queue that every study's workers pull from.
   * With a scheduler, a trial holds its slot until its result is handled: a
   * promotion decided on results still in the queue would be made without them.
   * Without one, the jobs of every study in the queue take slots (a study shares
   * the pool), and so do this study's results on their way.
   */
  const slots: TrialSlots = {
    async free(engine) {
      if (engine.schedule !== undefined) return freeSlots(engine.running);
      // The queue's count first: with every slot taken by a queued job (most fills, one per
      // progress message), the per-trial look at jobs that ended is not needed.
      const freeOfQueuedJobs = await freeSlots(await queuedJobs());
      if (freeOfQueuedJobs <= 0) return 0;
      return freeOfQueuedJobs - (await resultsOnTheirWay(engine));
    },
    async start(job, trial) {
      const jobId = trialQueueIds(secret, config.name, trial.number, trial.rung).job;
      await trialsQueue.add("trial", signMessage(secret, "trial-job", job), { jobId, attempts: config.maxAttempts, ...KEEP_TRIAL_JOBS });
    },
    // The worker running the job polls its stop key (see the worker's stop-request poller).
    stop: (trial, reason) => requestTrialStop(redis, { prefix, secret, study: config.name, trial: trial.number, rung: trial.rung, reason }),
  };
  const driver = await StudyDriver.open(config, store, slots, logger).catch(abandonStart);

  let closed = false;
  let resolveDone!: (outcome: CoordinatorOutcome) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<CoordinatorOutcome>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Callers may only await `done` after a close; an unobserved rejection must not kill the process.
  done.catch(() => undefined);
  // Another coordinator runs the study now: this one stops filling and consuming at once.
  void lease.lost.then((error) => {
    closed = true;
    logger.error({ holder: error.holder }, "study lease lost to another coordinator; stopping");
    rejectDone(error);
  });

  const finishIfDone = (): void => {
    const outcome = driver.outcome();
    if (outcome === undefined) return;
    const { finished, failed, best, front } = outcome;
    logger.info({ finished, failed, best: best?.number, front: front.map((t) => t.number) }, "study finished");
    resolveDone({ finished, failed, front: [...front], ...(best !== undefined ? { best } : {}) });
  };

  /** Jobs in the failed set have no retry left; their trials are lost if no result came. */
  const checkFailedJobs = async (): Promise<void> => {
    for (const job of await trialsQueue.getFailed()) await checkFailedJob(job);
  };

  /** The trials queue is shared by every study and writable by anyone with Redis access: only this study's own signed jobs count. */
  const checkFailedJob = async (job: Job<unknown> | undefined): Promise<void> => {
    if (job === undefined) return;
    const screened = screenJob(job.id, job.data, secret);
    if (screened.kind !== "accepted" || screened.study !== config.name) return;
    if (job.attemptsMade < (job.opts.attempts ?? 1)) return;
    await driver.failLost(screened.trial, screened.rung, job.failedReason ?? "the job failed", job.attemptsMade);
  };

  /** Handles a message whose signature was checked; one the schema refuses is logged and dropped. */
  const handleMessage = async (data: unknown, jobId: string | undefined): Promise<void> => {
    const message = WorkerMessage.safeParse(data);
    if (!message.success) {
      logger.error({ jobId, issues: describeInvalidMessage(data, message.error) }, "invalid worker message dropped");
      return;
    }
    const { signature: _signature, ...msg } = message.data;
    if (msg.study !== config.name) {
      logger.warn({ jobId, other: msg.study }, "message of another study dropped");
      return;
    }
    try {
      if (msg.kind === "progress") await driver.applyProgress(msg);
      else await driver.applyResult(msg);
    } catch (error) {
      // A report the store refuses (a trial already failed as worker-lost, an unknown trial) is not worth a retry.
      if (!(error instanceof StoreError)) throw error;
      logger.warn({ jobId, code: error.code, err: error.message }, "worker message refused by the store");
    }
  };

  /** Restart in place: the engine as the store has it, and a job for every running trial. */
  const resync = async (): Promise<void> => {
    await driver.reload();
    await driver.resumeRunning();
    failedScanDue = true;
  };

  // Every change of the study runs in this one chain, so the core and the store never interleave.
  // A step that fails (a command whose reply a Redis restart lost, which Redis may or may not
  // have run) can leave the core and the store out of step: the core is rebuilt from the store and the step retried, so that the result
  // message being handled is not lost. Only a failure that persists stops the coordinator.
  let chain: Promise<void> = Promise.resolve();
  let stale = false;
  // A job that failed while no "failed" event could reach this coordinator (before it started, during an outage).
  let failedScanDue = true;
  /**
   * Resolves true once the step (and the fill after it) ran, false when `close()`
   * came first. The fill is skipped when `deferFill` says a later step will do it.
   */
  const serial = (step: () => Promise<void>, deferFill?: () => Promise<boolean>): Promise<boolean> => {
    const next = chain.then(async () => {
      let failures = 0;
      for (let attempt = 1; ; attempt++) {
        if (closed) return false;
        try {
          if (stale) {
            await resync();
            stale = false;
          }
          await step();
          if (deferFill === undefined || !(await deferFill())) await driver.fill();
          finishIfDone();
          return true;
        } catch (error) {
          // Redis being away is waited out however long it lasts; any other failure that
          // survives STEP_ATTEMPTS replays of the store is a broken invariant.
          const outage = redis.status !== "ready";
          if (outage) failures = 0;
          else if (++failures >= STEP_ATTEMPTS) throw error;
          stale = true;
          // The outage itself is logged once by `outages`; a retry per backoff during it is no news.
          if (outage && attempt > 1) logger.debug({ err: error, attempt }, "coordinator step failed during a Redis outage; retrying");
          else logger.warn({ err: error, attempt, outage }, "coordinator step failed; replaying the store and retrying");
          await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** Math.min(attempt, 5))));
        }
      }
    });
    chain = next.then(
      () => undefined,
      (error: unknown) => {
        logger.error({ err: error }, "coordinator stopped");
        rejectDone(error);
        closed = true;
      },
    );
    return next;
  };

  // Restart: re-add the job of every running trial; BullMQ ignores an ID it has.
  await driver.resumeRunning().catch(abandonStart);

  // Only for counting: progress is posted with a priority and results without, so "waiting" holds results.
  const resultsQueue = new Queue(resultsQueueName(config.name), { connection: connect(), prefix });
  outages.watch(resultsQueue, "results queue error");
  /**
   * Whether more results wait behind the one just handled: a slot is taken until
   * its result is applied, so filling after each of them would ask once per slot,
   * where filling after the last asks once for all their slots (a batch).
   */
  const moreResultsWaiting = async (): Promise<boolean> => (await resultsQueue.getWaitingCount()) > 0;
  const resultsWorker = new Worker(
    resultsQueueName(config.name),
    async (job, token) => {
      // Checked before the chain: a forged message must neither run a step nor be retried.
      if (!hasValidSignature(secret, "worker-message", job.data)) {
        logger.warn({ jobId: job.id }, "worker message refused: not signed with this cluster's secret");
        throw new UnrecoverableError("refused: not signed with this cluster's secret");
      }
      // A message the coordinator is closing before handling goes back to wait for the next one;
      // returning would mark it done, and its result would be lost.
      if (!(await serial(() => handleMessage(job.data, job.id), moreResultsWaiting))) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
    },
    { connection: connect(), prefix, concurrency: 1, ...RESULTS_WORKER_OPTIONS },
  );
  outages.watch(resultsWorker, "results worker error");
  const queueEvents = new QueueEvents(TRIALS_QUEUE, { connection: connect(), prefix });
  outages.watch(queueEvents, "trial events error");
  queueEvents.on("failed", ({ jobId }) => {
    void serial(async () => checkFailedJob(await trialsQueue.getJob(jobId))).catch(() => undefined);
  });

  let polling = false;
  let polls = 0;
  const poll = (): void => {
    if (polling || closed) return;
    polling = true;
    if (++polls % FAILED_SCAN_POLLS === 0) failedScanDue = true;
    serial(async () => {
      if (!failedScanDue) return;
      await checkFailedJobs();
      failedScanDue = false;
    })
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  };
  const timer = setInterval(poll, pollIntervalMs);
  poll();

  return {
    done,
    async close() {
      closed = true;
      clearInterval(timer);
      await resultsWorker.close();
      await queueEvents.close();
      await chain;
      await trialsQueue.close();
      await resultsQueue.close();
      await lease.release();
      if (ownsStore) await store.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
    },
  };
}

/** zod reports a failed union as a bare "Invalid input"; the issues of the schema the `kind` names say what is wrong. */
function describeInvalidMessage(data: unknown, unionError: z.ZodError): string {
  const kind = typeof data === "object" && data !== null ? (data as { kind?: unknown }).kind : undefined;
  const schema = kind === "progress" ? ProgressEvent : kind === "result" ? TrialResult : undefined;
  const detailed = schema?.safeParse(data);
  return formatZodIssues(detailed?.success === false ? detailed.error : unionError, "worker message");
}

