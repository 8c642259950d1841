import type { Redis } from "ioredis";
import { parseWorkerRegistration, workerIdFromKey, workerKeyPattern, type LegacyWorkerRegistration, type WorkerRegistration } from "@bayestune/protocol";

/** One live worker: its ID (from its registration key) and what it registered. */
export type PoolWorker = { id: string } & (WorkerRegistration | LegacyWorkerRegistration);

export interface WorkerPool {
  /** The live workers, sorted by ID. */
  workers: PoolWorker[];
  /** Slots of all workers. */
  slots: number;
  /**
   * Busy slots of the workers that report them; a previous-version worker (busy null)
   * adds none, so its slots look idle.
   */
  busy: number;
}

/**
 * The workers registered under `prefix` now, read with SCAN and MGET (never KEYS, which
 * blocks Redis). A registration that is not one (junk, or a key that expired between the
 * SCAN and the MGET) is skipped. Not a snapshot: a worker may register or leave while the
 * SCAN runs, and it may then be listed or not.
 */
export async function readWorkerPool(redis: Redis, prefix: string): Promise<WorkerPool> {
  // SCAN may return a key more than once.
  const keys = new Set<string>();
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", workerKeyPattern(prefix), "COUNT", 100);
    cursor = next;
    for (const key of batch) keys.add(key);
  } while (cursor !== "0");

  // The keys share one stem, so sorting them sorts the workers by ID.
  const ordered = [...keys].sort();
  const values = ordered.length > 0 ? await redis.mget(...ordered) : [];
  const workers: PoolWorker[] = [];
  ordered.forEach((key, index) => {
    const id = workerIdFromKey(prefix, key);
    const registration = parseWorkerRegistration(values[index]);
    if (id !== undefined && registration !== undefined) workers.push({ id, ...registration });
  });
  return {
    workers,
    slots: workers.reduce((total, worker) => total + worker.slots, 0),
    busy: workers.reduce((total, worker) => total + (worker.busy ?? 0), 0),
  };
}
