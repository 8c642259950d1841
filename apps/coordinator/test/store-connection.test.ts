import { Redis, type RedisOptions } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { STORE_CONNECTION_OPTIONS } from "../src/store-connection.js";
import { startRedisServer, stopRedisServer, type RedisServer } from "../../../test/support/redis-server.js";

const ARGS = ["--appendonly", "yes", "--enable-debug-command", "yes"];
let server: RedisServer | undefined;
const clients: Redis[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  if (server !== undefined) await stopRedisServer(server, "SIGKILL");
  server = undefined;
});

/**
 * Sends GET while the server is blocked (DEBUG SLEEP), so that it is in flight
 * without a reply, then crashes the server and restarts it on the same port.
 * Returns how the GET settled within `waitMs`, and whether the client works afterwards.
 */
async function commandInFlightAtCrash(options: RedisOptions, waitMs: number): Promise<{ settled: "rejected" | "resolved" | "pending"; worksAfter: boolean }> {
  server = await startRedisServer(ARGS);
  const client = new Redis(server.url, options);
  const admin = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  clients.push(client, admin);
  client.on("error", () => undefined);
  admin.on("error", () => undefined);
  await client.ping();
  void admin.call("DEBUG", "SLEEP", "5").catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 200));
  let settled: "rejected" | "resolved" | "pending" = "pending";
  void client.get("k").then(
    () => (settled = "resolved"),
    () => (settled = "rejected"),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  const { port, dir } = server;
  await stopRedisServer(server, "SIGKILL", true);
  server = await startRedisServer(ARGS, { port, dir });
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  let worksAfter = false;
  for (let i = 0; i < 50 && !worksAfter; i++) {
    worksAfter = await client.set("after", "1").then(
      () => true,
      () => false,
    );
    if (!worksAfter) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { settled, worksAfter };
}

describe("the coordinator's store connection", () => {
  it("rejects a command that a Redis crash left unanswered, and works again once Redis is back", async () => {
    expect(await commandInFlightAtCrash(STORE_CONNECTION_OPTIONS, 2_500)).toEqual({ settled: "rejected", worksAfter: true });
  });

  it("needs maxRetriesPerRequest: 0 for that: without it, ioredis leaves the unsent-again command pending for ever", async () => {
    // What the coordinator had before: its steps hung on such a command after a Redis crash.
    const before = { maxRetriesPerRequest: null, autoResendUnfulfilledCommands: false };
    expect(await commandInFlightAtCrash(before, 2_500)).toEqual({ settled: "pending", worksAfter: true });
  });
});
