import type { Redis } from "ioredis";

/** The key a worker registers (value: its slot count, with a TTL it keeps refreshing). */
export function workerKeyPattern(prefix: string): string {
  return `${prefix}:bayestune:worker:*`;
}

/**
 * The number of trial slots of the live workers: the sum over the registered
 * worker keys, at least 1 so that a study starts (its first job waits for a
 * worker) before any worker has registered.
 */
export async function countWorkerSlots(redis: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let total = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", workerKeyPattern(prefix), "COUNT", 100);
    cursor = next;
    if (keys.length > 0) {
      for (const value of await redis.mget(...keys)) {
        const slots = Number(value);
        if (Number.isInteger(slots) && slots > 0) total += slots;
      }
    }
  } while (cursor !== "0");
  return Math.max(1, total);
}
