import { Redis } from "ioredis";
import { RedisStore, StoreError, type StoredStudy } from "@bayestune/store";
import { ConfigError } from "@bayestune/coordinator";

/** The BullMQ prefix that the coordinator and the workers use when given none. */
export const DEFAULT_PREFIX = "bull";

/** The store and the connection under it; `close()` releases both. */
export interface OpenedStore {
  readonly store: RedisStore;
  /** The connection under the store, for the other reads of a command (the worker pool). */
  readonly redis: Redis;
  close(): Promise<void>;
}

/**
 * Opens the RedisStore that a coordinator started with the same `--redis` and
 * `--prefix` writes to (key prefix `${prefix}:bayestune`).
 *
 * A read-only command must fail at once on a Redis that is down rather than wait
 * for it, which is what ioredis' default reconnection would do.
 */
export async function openStore(redis: string, prefix: string): Promise<OpenedStore> {
  const connection = new Redis(redis, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // The event carries the cause (ECONNREFUSED, ...) that connect()'s own rejection ("Connection is closed") hides.
  let cause: unknown;
  connection.on("error", (error: unknown) => {
    cause = error;
  });
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    cause ??= error;
    throw new Error(`cannot reach Redis at ${redis}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const store = new RedisStore({ redis: connection, prefix: `${prefix}:bayestune` });
  return {
    store,
    redis: connection,
    async close() {
      await store.close();
      connection.disconnect();
    },
  };
}

/** The stored study, or a ConfigError naming what was asked for and where it was looked for. */
export async function requireStudy(store: RedisStore, name: string, prefix: string): Promise<StoredStudy> {
  let study: StoredStudy | undefined;
  try {
    study = await store.getStudy(name);
  } catch (error) {
    if (error instanceof StoreError && error.code === "INVALID_RECORD") throw new ConfigError(error.message, { cause: error });
    throw error;
  }
  if (study === undefined) {
    throw new ConfigError(`no study named ${JSON.stringify(name)} under prefix ${JSON.stringify(prefix)}; \`bayestune status --prefix ${prefix}\` lists the studies`);
  }
  return study;
}
