import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { Redis } from "ioredis";
import { redactRedisUrl } from "@bayestune/protocol";
import { RedisStore, SqliteStore, StoreError, type Store, type StoredStudy } from "@bayestune/store";
import { ConfigError } from "@bayestune/coordinator";

/** The BullMQ prefix that the coordinator and the workers use when given none. */
export const DEFAULT_PREFIX = "bull";

/** The store file `bayestune tune` keeps its studies in, under its --work-dir, when given no --store. */
export const LOCAL_STORE_FILE = "studies.sqlite";

/** That file under tune's default --work-dir: what `status`, `export` and `dashboard` read when given neither --redis nor --store. */
export const DEFAULT_LOCAL_STORE = `.bayestune/${LOCAL_STORE_FILE}`;

/** A store, the Redis connection under it when it is one, and where it is (for messages). */
export interface OpenedStore {
  readonly store: Store;
  /** The connection under a Redis store, for the other reads of a command (the worker pool); undefined for a local file. */
  readonly redis: Redis | undefined;
  /** "the store file F" or "prefix P on Redis", and the flag that would list its studies. */
  readonly where: { readonly description: string; readonly listCommand: string };
  close(): Promise<void>;
}

/** How long a first connection may take before Redis counts as unreachable (ioredis waits 10 s). */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A connection that never reconnects, or a ConfigError naming the URL (without
 * its password) and the cause when Redis cannot be reached or refuses it (a wrong
 * port, host, password or TLS setting): with ioredis' default reconnection a
 * command would wait for such a Redis for ever.
 */
async function connectOnce(redis: string): Promise<Redis> {
  // No ready check: it runs INFO, and a user refused INFO is diagnosed by checkRedisReachable.
  const connection = new Redis(redis, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    enableReadyCheck: false,
  });
  // The event carries the cause (ECONNREFUSED, NOAUTH, ...) that connect()'s own rejection ("Connection is closed") hides.
  let cause: unknown;
  connection.on("error", (error: unknown) => {
    cause = error;
  });
  try {
    await connection.connect();
    // Without the ready check a missing password shows only at the first command.
    await connection.ping();
  } catch (error) {
    connection.disconnect();
    cause ??= error;
    throw new ConfigError(`cannot reach Redis at ${redactRedisUrl(redis)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return connection;
}

/**
 * Fails with the one-line ConfigError of {@link connectOnce} when Redis cannot be
 * reached, or with one naming the fix when its user may not run INFO; checked
 * before a coordinator or a worker opens its own connections, which wait out an
 * outage once they have started.
 */
export async function checkRedisReachable(redis: string): Promise<void> {
  const connection = await connectOnce(redis);
  try {
    // BullMQ runs INFO on every connection it opens; refused it, it retried without end
    // until the process ran out of memory (an ACL user with -@dangerous).
    await connection.info("server");
  } catch (error) {
    throw new ConfigError(
      `the Redis user of ${redactRedisUrl(redis)} must be allowed INFO, which BullMQ runs on every connection (ACL SETUSER <user> +info), got: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    connection.disconnect();
  }
}

/**
 * Opens the RedisStore that a coordinator started with the same `--redis` and
 * `--prefix` writes to (key prefix `${prefix}:bayestune`). A read-only command
 * fails at once on a Redis that is down rather than wait for it.
 */
export async function openStore(redis: string, prefix: string): Promise<OpenedStore> {
  const connection = await connectOnce(redis);
  const store = new RedisStore({ redis: connection, prefix: `${prefix}:bayestune` });
  return {
    store,
    redis: connection,
    where: { description: `prefix ${JSON.stringify(prefix)} on ${redactRedisUrl(redis)}`, listCommand: `bayestune status --redis <url> --prefix ${prefix}` },
    async close() {
      await store.close();
      connection.disconnect();
    },
  };
}

/**
 * Opens the local store file that `bayestune tune --store` writes (created with
 * its directory unless `mustExist`); a file that is not a bayestune store is a ConfigError.
 */
export async function openLocalStore(path: string, mustExist: boolean): Promise<OpenedStore> {
  if (mustExist && !existsSync(path)) {
    throw new ConfigError(`no study store at ${path}: \`bayestune tune\` keeps its studies there unless given --store FILE; give --store FILE, or --redis URL for a distributed study`);
  }
  await mkdir(dirname(path), { recursive: true });
  let store: SqliteStore;
  try {
    store = new SqliteStore({ path });
  } catch (error) {
    if (error instanceof StoreError) throw new ConfigError(error.message, { cause: error });
    throw error;
  }
  return { store, redis: undefined, where: { description: `the store file ${path}`, listCommand: `bayestune status --store ${path}` }, close: () => store.close() };
}

/** What a read command (status, export, dashboard) was pointed at: Redis with --redis, else the local store file. */
export function openStoreOf(options: { readonly redis?: string | undefined; readonly store?: string | undefined; readonly prefix?: string | undefined }): Promise<OpenedStore> {
  if (options.redis !== undefined && options.store !== undefined) throw new ConfigError("give --redis URL or --store FILE, not both");
  if (options.redis !== undefined) return openStore(options.redis, options.prefix ?? DEFAULT_PREFIX);
  return openLocalStore(options.store ?? DEFAULT_LOCAL_STORE, true);
}

/** The stored study, or a ConfigError naming what was asked for and where it was looked for. */
export async function requireStudy(opened: OpenedStore, name: string): Promise<StoredStudy> {
  const { store, where } = opened;
  let study: StoredStudy | undefined;
  try {
    study = await store.getStudy(name);
  } catch (error) {
    if (error instanceof StoreError && error.code === "INVALID_RECORD") throw new ConfigError(error.message, { cause: error });
    throw error;
  }
  if (study === undefined) {
    throw new ConfigError(`no study named ${JSON.stringify(name)} in ${where.description}; \`${where.listCommand}\` lists the studies`);
  }
  return study;
}
