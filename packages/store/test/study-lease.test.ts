import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StudyLease, StudyLeaseError, type LeaseHolder } from "../src/study-lease.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const LEASE_MS = 600;

let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await redis.quit();
});

describe("StudyLease", () => {
  let prefix: string;
  let key: string;
  const leases: StudyLease[] = [];
  const lease = (leaseMs = LEASE_MS): StudyLease => {
    const made = new StudyLease({ prefix, study: "s1", leaseMs });
    leases.push(made);
    return made;
  };
  beforeEach(() => {
    prefix = `test-${randomUUID()}`;
    key = `${prefix}:study:s1:lease`;
  });
  afterEach(async () => {
    await Promise.all(leases.splice(0).map((l) => l.release()));
    await redis.del(key);
  });

  /** A lease left by a holder that stopped renewing (killed with -9). */
  const abandoned = async (ttlMs: number): Promise<LeaseHolder> => {
    const holder: LeaseHolder = { owner: "gone-1-abc", host: "gone", pid: 1, since: new Date().toISOString(), leaseMs: ttlMs };
    await redis.set(key, JSON.stringify(holder), "PX", ttlMs);
    return holder;
  };

  it("is held under the study's key with its holder and a TTL, renewed past its lease, and deleted on release", async () => {
    const first = lease();
    expect(await first.acquire(redis)).toBeUndefined();
    const holder = JSON.parse((await redis.get(key)) ?? "null") as LeaseHolder;
    expect(holder).toMatchObject({ pid: process.pid, leaseMs: LEASE_MS });
    await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    await first.release();
    expect(await redis.exists(key)).toBe(0);
  });

  it("refuses a second owner while the first renews, naming the study and the holder", async () => {
    await lease().acquire(redis);
    const error = await lease().acquire(redis).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudyLeaseError);
    expect((error as StudyLeaseError).code).toBe("HELD");
    expect((error as StudyLeaseError).holder?.pid).toBe(process.pid);
    expect((error as Error).message).toContain('study "s1"');
    expect((error as Error).message).toContain(`pid ${process.pid}`);
  });

  it("takes over a lease that lapses, and returns its holder", async () => {
    const gone = await abandoned(LEASE_MS);
    expect(await lease().acquire(redis)).toEqual(gone);
    expect(JSON.parse((await redis.get(key)) ?? "null")).toMatchObject({ pid: process.pid });
  });

  it("refuses at once a lease without expiry, naming its key", async () => {
    await redis.set(key, "set by hand");
    await expect(lease().acquire(redis)).rejects.toThrow(key);
  });

  it("is lost when another takes it, and release leaves the other's lease alone", async () => {
    const first = lease();
    await first.acquire(redis);
    await abandoned(60_000);
    const lost = await first.lost;
    expect(lost.code).toBe("LOST");
    expect(lost.holder?.host).toBe("gone");
    await first.release();
    expect(JSON.parse((await redis.get(key)) ?? "null")).toMatchObject({ host: "gone" });
  });

  it("is taken again when it vanished (a Redis restart without AOF) and nobody else took it", async () => {
    const first = lease();
    await first.acquire(redis);
    const value = await redis.get(key);
    await redis.del(key);
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    expect(await redis.get(key)).toBe(value);
  });

  it("rejects a lease shorter than its minimum", () => {
    expect(() => lease(10)).toThrow("leaseMs must be an integer >= 300, got 10");
  });
});
