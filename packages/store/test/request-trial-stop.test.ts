import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hasValidSignature, StopRequest, stopRequestKey } from "@bayestune/protocol";
import { StoreError } from "../src/errors.js";
import { requestTrialStop, STOP_REQUEST_TTL_MS } from "../src/request-trial-stop.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SECRET = "request-trial-stop-test-secret";

let redis: Redis;
let prefix: string;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await redis.quit();
});
beforeEach(() => {
  prefix = `test-${randomUUID()}`;
});
afterEach(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
});

describe("requestTrialStop", () => {
  it("writes the job's signed stop request under its key for a day", async () => {
    const before = Date.now();
    await requestTrialStop(redis, { prefix, secret: SECRET, study: "s", trial: 4, rung: 2, reason: "pruned" });
    const key = stopRequestKey(prefix, "s", 4, 2);
    const stored: unknown = JSON.parse((await redis.get(key)) ?? "null");
    expect(hasValidSignature(SECRET, "stop-request", stored)).toBe(true);
    const request = StopRequest.parse(stored);
    expect(request).toMatchObject({ kind: "stop-request", study: "s", trial: 4, rung: 2, reason: "pruned" });
    expect(request.requestedAt).toBeGreaterThanOrEqual(before);
    expect(request.requestedAt).toBeLessThanOrEqual(Date.now());
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(STOP_REQUEST_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(STOP_REQUEST_TTL_MS);
  });

  it("refuses a request it could not sign or name, writing nothing", async () => {
    const input = { prefix, secret: SECRET, study: "s", trial: 1, rung: 0, reason: "pruned" };
    await expect(requestTrialStop(redis, { ...input, secret: "short" })).rejects.toThrow(/at least 16 characters/);
    await expect(requestTrialStop(redis, { ...input, study: "bad:name" })).rejects.toThrow(StoreError);
    await expect(requestTrialStop(redis, { ...input, trial: -1 })).rejects.toThrow(/stop request is invalid/);
    await expect(requestTrialStop(redis, { ...input, reason: "" })).rejects.toThrow(/reason/);
    await expect(requestTrialStop(redis, { ...input, prefix: "" })).rejects.toThrow(/prefix must be/);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });
});
