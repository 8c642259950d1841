import { Queue } from "bullmq";
import { RESULTS_QUEUE, TRIALS_QUEUE } from "@bayestune/protocol";
import { RedisStore } from "@bayestune/store";
import { createHttpApi } from "./http-api.js";

/**
 * The read-only HTTP API and Bull Board on 127.0.0.1:port, on connections of
 * their own, so that closing them leaves the coordinator's alone.
 * @returns the address it listens on and a close function.
 */
export async function serveHttpApi(redis: string, prefix: string, port: number): Promise<{ address: string; close(): Promise<void> }> {
  const store = new RedisStore({ redis, prefix: `${prefix}:bayestune` });
  const queues = [TRIALS_QUEUE, RESULTS_QUEUE].map((name) => new Queue(name, { connection: { url: redis, maxRetriesPerRequest: null }, prefix }));
  const app = await createHttpApi({ store, queues });
  const address = await app.listen({ host: "127.0.0.1", port });
  return {
    address,
    async close() {
      await app.close();
      for (const queue of queues) await queue.close();
      await store.close();
    },
  };
}
