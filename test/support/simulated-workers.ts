/*
 * A stand-in for the worker process that keeps its side of the queue contract
 * (results posted under `${jobId}-result`, a registration key with its slots),
 * for the coordinator's tests and the multi-fidelity bench; and per-test Redis isolation.
 */
import { randomUUID } from "node:crypto";
import { Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import {
  resultsQueueName,
  signMessage,
  TRIALS_QUEUE,
  trialQueueIds,
  workerRegistrationKey,
  type StudyConfigInput,
  type TrialJob,
  type TrialResultInput,
} from "@bayestune/protocol";
import { StudyConfig } from "@bayestune/protocol";
import { clearPrefix } from "./redis-keys.js";

export const REDIS_URL = "redis://127.0.0.1:6379";
/** The shared secret of the coordinators and simulated workers of the tests and benches. */
export const TEST_SECRET = "test-secret-of-the-simulated-cluster";

/** The objective the simulated training computes; its minimum 0 is at x = 0.3, y = 0. */
export function objective(params: Readonly<Record<string, unknown>>): number {
  return ((params["x"] as number) - 0.3) ** 2 + (params["y"] as number) ** 2;
}

export function testConfig(name: string, overrides: Partial<StudyConfigInput> = {}): StudyConfig {
  return StudyConfig.parse({
    name,
    space: { x: { type: "float", low: 0, high: 1 }, y: { type: "float", low: -1, high: 1 } },
    sampler: "sobol",
    maxTrials: 20,
    command: { argv: ["python", "train.py"] },
    ...overrides,
  });
}

export interface SimulatedWorkerOptions {
  prefix: string;
  slots: number;
  /** Time one simulated training takes, in ms, or a function of the job. */
  delayMs: number | ((job: TrialJob) => number);
  /**
   * The result of a job; a non-finite value fails it as diverged. @defaultValue the objective of its params, plus 1/fidelity
   * and a checkpoint named after the job when it has a fidelity (a learning curve)
   */
  evaluate?: (job: TrialJob) => { value: number; checkpoint?: string; metrics?: Record<string, number> };
  /** Trials whose every attempt throws, like a worker dying mid-job. */
  crashing?: ReadonlySet<number>;
  /** Send every result a second time under another job ID. */
  duplicateResults?: boolean;
  /**
   * Post each result this many ms after the job completes instead of before (a
   * worker whose results connection lags): the trial's job is done while its
   * result is not yet in the coordinator's queue. @defaultValue 0 (posted first)
   */
  resultLagMs?: number;
  /** Progress reports (steps 1..n, the loss falling to the result) each job sends before its result. @defaultValue 0 */
  progressReports?: number;
}

export interface SimulatedWorkers {
  /** Trial number → completed executions (a result sent). */
  readonly completed: Map<number, number>;
  /** Every job run, in the order the workers started them. */
  readonly jobs: TrialJob[];
  close(): Promise<void>;
}

export function startSimulatedWorkers(options: SimulatedWorkerOptions): SimulatedWorkers {
  const { prefix } = options;
  const completed = new Map<number, number>();
  const jobs: TrialJob[] = [];
  const registry = new Redis(REDIS_URL);
  const workerId = randomUUID();
  // The previous version's value, the slot count alone, which the coordinator still counts.
  void registry.set(workerRegistrationKey(prefix, workerId), String(options.slots), "EX", 60);
  const resultsConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const resultsQueues = new Map<string, Queue>();
  const resultsQueue = (study: string): Queue => {
    let queue = resultsQueues.get(study);
    if (queue === undefined) resultsQueues.set(study, (queue = new Queue(resultsQueueName(study), { connection: resultsConnection, prefix })));
    return queue;
  };
  /** Jobs whose processing has not ended: a forced close leaves them running, and they still post to the results connection. */
  const inFlight = new Set<Promise<void>>();
  const runJob = async (job: Job<TrialJob>): Promise<void> => {
    const delayMs = typeof options.delayMs === "number" ? options.delayMs : options.delayMs(job.data);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (options.crashing?.has(job.data.trial)) throw new Error(`simulated crash of trial ${job.data.trial}`);
    jobs.push(job.data);
    // With a fidelity, a learning curve: the loss falls towards the objective as the budget grows,
    // and each job leaves a checkpoint a promotion can resume from.
    const fidelity = job.data.fidelity;
    const { value, checkpoint, metrics } = options.evaluate?.(job.data) ?? {
      value: objective(job.data.params) + (fidelity === undefined ? 0 : 1 / fidelity),
      ...(fidelity === undefined ? {} : { checkpoint: `ckpt-${job.data.trial}-${job.data.rung}` }),
    };
    const result: TrialResultInput = {
      kind: "result",
      study: job.data.study,
      trial: job.data.trial,
      rung: job.data.rung,
      // A non-finite value is a diverged run, failed as the real worker fails it.
      ...(Number.isFinite(value)
        ? { state: "complete" as const, value, metrics: { loss: value, ...metrics } }
        : { state: "failed" as const, reason: "non-finite-metric" as const, metrics: { loss: null } }),
      durationSeconds: delayMs / 1000,
      worker: workerId,
      ...(checkpoint === undefined ? {} : { checkpoint }),
    };
    for (let step = 1; step <= (options.progressReports ?? 0); step++) {
      const report = { kind: "progress" as const, study: job.data.study, trial: job.data.trial, rung: job.data.rung, step, metrics: { loss: value + 1 / step } };
      await resultsQueue(job.data.study).add("progress", signMessage(TEST_SECRET, "worker-message", report));
    }
    completed.set(job.data.trial, (completed.get(job.data.trial) ?? 0) + 1);
    const signed = signMessage(TEST_SECRET, "worker-message", result);
    const resultId = trialQueueIds(TEST_SECRET, job.data.study, job.data.trial, job.data.rung).result;
    const post = async (): Promise<void> => {
      await resultsQueue(job.data.study).add("result", signed, { jobId: resultId });
      if (options.duplicateResults) await resultsQueue(job.data.study).add("result", signed, { jobId: `${resultId}-again` });
    };
    if (options.resultLagMs === undefined) await post();
    else setTimeout(() => void post(), options.resultLagMs);
  };
  const worker = new Worker<TrialJob>(
    TRIALS_QUEUE,
    async (job) => {
      const running = runJob(job);
      inFlight.add(running);
      try {
        await running;
      } finally {
        inFlight.delete(running);
      }
    },
    { connection: workerConnection, prefix, concurrency: options.slots },
  );
  return {
    completed,
    jobs,
    async close() {
      await worker.close(true);
      // Their results go nowhere once the connections close; waited for, they fail no later write.
      await Promise.allSettled([...inFlight]);
      for (const queue of resultsQueues.values()) await queue.close();
      await Promise.all([registry.quit(), resultsConnection.quit(), workerConnection.quit()]);
    },
  };
}

/** A fresh prefix for BullMQ, the store and the worker registry alike. */
export function uniquePrefix(): string {
  return `test-coord-${randomUUID()}`;
}

/** Obliterates both queues and deletes every other key under the prefix. */
export async function cleanUp(prefix: string): Promise<void> {
  await clearPrefix(REDIS_URL, prefix);
}

/** A quiet pino logger whose records are kept for assertions. */
export function capturingLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, records };
}
