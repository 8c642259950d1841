import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { checkBind } from "@bayestune/dashboard";
import { RESULTS_QUEUE, TRIALS_QUEUE } from "@bayestune/protocol";
import { readWorkerPool, RedisStore } from "@bayestune/store";
import { createHttpApi } from "./http-api.js";

export interface ServeHttpApiOptions {
  redis: string;
  /** The BullMQ prefix of the coordinator and workers to show. */
  prefix: string;
  port: number;
  /** @defaultValue "127.0.0.1"; anything but loopback needs a token. */
  host?: string | undefined;
  token?: string | undefined;
  /** Poll interval of the dashboard's pages, in ms. @defaultValue 2000 */
  refreshMs?: number | undefined;
  /** See DashboardOptions.fitInProcess: for the dashboard bench only. */
  fitInProcess?: boolean | undefined;
}

/**
 * The read-only HTTP API, Bull Board and the dashboard on host:port, on
 * connections of their own, so that closing them, or a slow read, leaves the
 * coordinator's alone.
 * @throws DashboardAccessError (before listening) for a public host without a token.
 * @returns the address it listens on and a close function.
 */
export async function serveHttpApi(options: ServeHttpApiOptions): Promise<{ address: string; close(): Promise<void> }> {
  const { redis, prefix, port } = options;
  const host = options.host ?? "127.0.0.1";
  checkBind(host, options.token);
  // Reads only, so a read that a lost connection left unanswered fails at once (the page retries) instead of queueing.
  const connection = new Redis(redis, { maxRetriesPerRequest: 0 });
  const store = new RedisStore({ redis: connection, prefix: `${prefix}:bayestune` });
  const queues = [TRIALS_QUEUE, RESULTS_QUEUE].map((name) => new Queue(name, { connection: { url: redis, maxRetriesPerRequest: null }, prefix }));
  // Said once per outage, not once per reconnection attempt; the requests meanwhile answer 503.
  let reachable = true;
  const onError = (error: Error): void => {
    if (!reachable) return;
    reachable = false;
    console.error(`bayestune: Redis at ${redis} is unreachable (${error.message}); the API answers 503 until it is back`);
  };
  connection.on("error", onError);
  connection.on("ready", () => {
    if (!reachable) console.error(`bayestune: Redis at ${redis} is reachable again`);
    reachable = true;
  });
  for (const queue of queues) queue.on("error", onError);
  const close = async (): Promise<void> => {
    for (const queue of queues) await queue.close();
    await store.close();
    connection.disconnect();
  };
  try {
    const app = await createHttpApi({
      store,
      queues,
      token: options.token,
      dashboard: { readWorkers: () => readWorkerPool(connection, prefix), ...(options.refreshMs !== undefined ? { refreshMs: options.refreshMs } : {}), fitInProcess: options.fitInProcess === true },
    });
    const address = await app.listen({ host, port });
    return {
      address,
      async close() {
        await app.close();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
