import type { Redis } from "ioredis";
import { readWorkerPool } from "@bayestune/store";

/**
 * The number of trial slots of the live workers (previous-version workers included),
 * at least 1 so that a study starts (its first job waits for a worker) before any
 * worker has registered.
 */
export async function countWorkerSlots(redis: Redis, prefix: string): Promise<number> {
  return Math.max(1, (await readWorkerPool(redis, prefix)).slots);
}
