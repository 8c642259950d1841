import type { Redis } from "ioredis";

/**
 * Reasons the Redis behind a RedisStore (and BullMQ) could lose a study: without
 * AOF a restart of Redis loses every write since the last snapshot, and any
 * eviction policy but `noeviction` drops keys under memory pressure. Returns one
 * human-readable warning per problem, none when both settings are right; the
 * coordinator logs them at start-up rather than refusing to run.
 */
export async function checkRedisDurability(redis: Redis): Promise<string[]> {
  let appendonly: string | undefined;
  let policy: string | undefined;
  try {
    appendonly = configValue(await redis.config("GET", "appendonly"));
    policy = configValue(await redis.config("GET", "maxmemory-policy"));
  } catch (error) {
    return [
      `could not check Redis durability: CONFIG GET failed (${error instanceof Error ? error.message : String(error)}); ` +
        "make sure appendonly is yes and maxmemory-policy is noeviction",
    ];
  }
  const warnings: string[] = [];
  if (appendonly !== "yes") {
    warnings.push(
      `Redis appendonly must be yes for a study to survive a Redis restart, got ${appendonly ?? "nothing"}; ` +
        "start redis-server with --appendonly yes (or CONFIG SET appendonly yes)",
    );
  }
  if (policy !== "noeviction") {
    warnings.push(
      `Redis maxmemory-policy must be noeviction so that no study key is evicted, got ${policy ?? "nothing"}; ` +
        "set maxmemory-policy noeviction",
    );
  }
  return warnings;
}

/** CONFIG GET answers a flat [name, value, ...] list. */
function configValue(reply: unknown): string | undefined {
  return Array.isArray(reply) && typeof reply[1] === "string" ? reply[1] : undefined;
}
