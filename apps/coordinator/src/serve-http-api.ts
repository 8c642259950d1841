import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { checkBind } from "@bayestune/dashboard";
import { RedisOutageLog, resultsQueueName, TRIALS_QUEUE, type OutageLogger } from "@bayestune/protocol";
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

/** The served API logs to stderr, as the dashboard command's other lines; the fields are the message's detail. */
const STDERR_LOG: OutageLogger = {
  warn: (_fields, message) => console.error(`bayestune: ${message}`),
  info: (_fields, message) => console.error(`bayestune: ${message}`),
  error: (fields, message) => console.error(`bayestune: ${message}`, fields),
};

/**
 * The read-only HTTP API, Bull Board and the dashboard on host:port, on
 * connections of their own, so that closing them, or a slow read, leaves the
 * coordinator's alone. Bull Board shows the trials queue and the results queue
 * of each study stored when it starts (a study created later shows after a
 * restart; its trials show on the dashboard at once).
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
  // One connection for every queue that Bull Board shows, however many studies there are.
  const queueConnection = new Redis(redis, { maxRetriesPerRequest: null });
  const queues: Queue[] = [];
  // Said once per outage, not once per reconnection attempt; the requests meanwhile answer 503.
  const outages = new RedisOutageLog(redis, STDERR_LOG);
  outages.watch(connection, "Redis connection error");
  outages.watch(queueConnection, "Bull Board connection error");
  const close = async (): Promise<void> => {
    for (const queue of queues) await queue.close();
    await store.close();
    connection.disconnect();
    queueConnection.disconnect();
  };
  try {
    for (const name of [TRIALS_QUEUE, ...(await store.listStudies()).map(resultsQueueName)]) {
      const queue = new Queue(name, { connection: queueConnection, prefix });
      outages.watch(queue, "Bull Board queue error");
      queues.push(queue);
    }
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
