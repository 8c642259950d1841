import { Redis } from "ioredis";

/** Deletes every key under `${prefix}:`, a test's private namespace, with SCAN (never KEYS). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

/** Removes everything a study run left under `prefix`: every queue (each study has its own results queue) and every other key. */
export async function clearPrefix(redisUrl: string, prefix: string): Promise<void> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  try {
    await deleteKeysWithPrefix(connection, prefix);
  } finally {
    await connection.quit();
  }
}
