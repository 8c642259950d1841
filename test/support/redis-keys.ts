import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { RESULTS_QUEUE, TRIALS_QUEUE } from "@bayestune/protocol";

/** Deletes every key under `${prefix}:`, a test's private namespace, with SCAN (never KEYS). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

/** Removes everything a study run left under `prefix`: both BullMQ queues (obliterated) and every other key. */
export async function clearPrefix(redisUrl: string, prefix: string): Promise<void> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  try {
    for (const name of [TRIALS_QUEUE, RESULTS_QUEUE]) {
      const queue = new Queue(name, { connection, prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await deleteKeysWithPrefix(connection, prefix);
  } finally {
    await connection.quit();
  }
}
