// Real Redis (127.0.0.1:6379): the engine's requestTrialStop (store) against the worker's poller.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signMessage, stopRequestKey } from "@bayestune/protocol";
import { requestTrialStop, STOP_REQUEST_TTL_MS } from "@bayestune/store";
import { StopRequestPoller, type StopRequestLogger } from "../src/stop-request-poller.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const SECRET = "stop-request-poller-test-secret";

interface LogLine {
  level: "debug" | "info" | "warn";
  fields: object;
  message: string;
}

function recordingLogger(): StopRequestLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    debug: (fields, message) => lines.push({ level: "debug", fields, message }),
    info: (fields, message) => lines.push({ level: "info", fields, message }),
    warn: (fields, message) => lines.push({ level: "warn", fields, message }),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let prefix: string;
let redis: Redis;
let pollers: StopRequestPoller[];

beforeEach(() => {
  prefix = `test-${randomUUID()}`;
  redis = new Redis(REDIS_URL);
  pollers = [];
});

afterEach(async () => {
  for (const poller of pollers) poller.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

function startPoller(connection: Redis, logger: StopRequestLogger, intervalMs = 100): StopRequestPoller {
  const poller = new StopRequestPoller(connection, { prefix, secret: SECRET, logger, intervalMs });
  pollers.push(poller);
  return poller;
}

const job = (trial: number, queuedAt = Date.now() - 1_000) => ({ study: "s", trial, rung: 0, queuedAt, jobId: `job-${trial}` });

describe("StopRequestPoller", () => {
  it("aborts a watched job's signal, with the reason, once requestTrialStop writes its key (kept for a day)", async () => {
    const logger = recordingLogger();
    const poller = startPoller(redis, logger);
    const watched = poller.watch(job(1));
    const other = poller.watch(job(2));
    await requestTrialStop(redis, { prefix, secret: SECRET, study: "s", trial: 1, rung: 0, reason: "pruned" });

    await expect.poll(() => watched.signal.aborted, { timeout: 5_000 }).toBe(true);
    expect(watched.signal.reason).toBe("pruned");
    expect(other.signal.aborted).toBe(false);
    expect(logger.lines).toContainEqual({ level: "info", fields: expect.objectContaining({ jobId: "job-1", reason: "pruned" }), message: "stop requested; the trial is asked to stop" });
    const ttl = await redis.pttl(stopRequestKey(prefix, "s", 1, 0));
    expect(ttl).toBeGreaterThan(STOP_REQUEST_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(STOP_REQUEST_TTL_MS);
  });

  it("ignores a forged request, another job's copied one and a stale one, logging each once", async () => {
    const logger = recordingLogger();
    const poller = startPoller(redis, logger);
    const forged = poller.watch(job(1));
    const copied = poller.watch(job(2));
    const stale = poller.watch(job(3, Date.now() + 60_000));
    const request = { kind: "stop-request", study: "s", trial: 1, rung: 0, reason: "pruned", requestedAt: Date.now() };
    await redis.set(stopRequestKey(prefix, "s", 1, 0), JSON.stringify(signMessage("someone-else-s-secret", "stop-request", request)));
    await redis.set(stopRequestKey(prefix, "s", 2, 0), JSON.stringify(signMessage(SECRET, "stop-request", request)));
    await requestTrialStop(redis, { prefix, secret: SECRET, study: "s", trial: 3, rung: 0, reason: "pruned" });

    const ignored = (): LogLine[] => logger.lines.filter((line) => line.level !== "debug");
    await expect.poll(() => ignored().length, { timeout: 5_000 }).toBe(3);
    // Several more polls: each is still logged once.
    await sleep(500);
    expect(ignored().map((line) => [line.level, (line.fields as { jobId: string }).jobId, line.message]).sort()).toEqual([
      ["info", "job-3", "stop request older than the job ignored (left by an earlier study of the same name?)"],
      ["warn", "job-1", "stop request refused"],
      ["warn", "job-2", "stop request refused"],
    ]);
    expect([forged, copied, stale].map((watch) => watch.signal.aborted)).toEqual([false, false, false]);
  });

  it("no longer aborts a job once unwatched", async () => {
    const poller = startPoller(redis, recordingLogger());
    const watched = poller.watch(job(1));
    watched.unwatch();
    await requestTrialStop(redis, { prefix, secret: SECRET, study: "s", trial: 1, rung: 0, reason: "pruned" });
    await sleep(400);
    expect(watched.signal.aborted).toBe(false);
  });

  it("logs a failed poll at debug and tries again at the next tick while Redis cannot be reached", async () => {
    // Nothing listens on port 1; a command fails once the connection attempt has.
    const unreachable = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    unreachable.on("error", () => {});
    try {
      const logger = recordingLogger();
      startPoller(unreachable, logger, 50).watch(job(1));
      await expect.poll(() => logger.lines.filter((line) => line.level === "debug").length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
      expect(logger.lines.every((line) => line.level === "debug" && line.message === "stop requests not polled; trying again at the next tick")).toBe(true);
    } finally {
      unreachable.disconnect();
    }
  });
});
