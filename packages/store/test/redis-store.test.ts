import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkRedisDurability } from "../src/redis-durability.js";
import { RedisStore } from "../src/redis-store.js";
import { describeStoreContract, studyConfig } from "./store-contract.js";
import { startRedisServer, stopRedisServer, type RedisServer } from "../../../test/support/redis-server.js";
import { createTrial } from "../src/create-trial.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  await admin.quit();
});

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await admin.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

async function deleteKeysUnder(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix);
  if (keys.length > 0) await admin.del(...keys);
}

describeStoreContract("RedisStore", async () => {
  const prefix = `test-${randomUUID()}`;
  const store = new RedisStore({ redis: REDIS_URL, prefix });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await deleteKeysUnder(prefix);
    },
  };
});

describe("RedisStore across connections", () => {
  let prefix: string;
  const opened: RedisStore[] = [];
  const open = () => {
    const store = new RedisStore({ redis: REDIS_URL, prefix });
    opened.push(store);
    return store;
  };
  beforeEach(() => {
    prefix = `test-${randomUUID()}`;
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await deleteKeysUnder(prefix);
  });

  it("numbers 200 trials densely when 4 connections create them at once", async () => {
    const stores = [open(), open(), open(), open()];
    await stores[0]?.createStudy(studyConfig());
    const created = await Promise.all(
      Array.from({ length: 200 }, (_, i) => createTrial(stores[i % 4]!, "tiny-lm", { lr: i, layers: 1 }, "sampler")),
    );
    expect(created.map((t) => t?.number).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const stored = await stores[3]?.getTrials("tiny-lm");
    for (const trial of created) expect(stored?.[trial?.number ?? -1]?.params).toEqual(trial?.params);
  });

  it("matches a study stored by an older version, without the config keys added since, to the same config given again", async () => {
    const store = open();
    const config = await store.createStudy(studyConfig());
    // What an older version wrote: the config without `constraints`, which now defaults to [].
    const { constraints, ...older } = config.config;
    expect(constraints).toEqual([]);
    await admin.hset(`${prefix}:study:tiny-lm`, "config", JSON.stringify(older));
    const again = await open().createStudy(studyConfig());
    expect(again.config).toEqual(config.config);
    expect((await store.getStudy("tiny-lm"))?.config.constraints).toEqual([]);
  });

  it("lets a second process see and deduplicate what the first wrote", async () => {
    const coordinator = open();
    await coordinator.createStudy(studyConfig());
    await createTrial(coordinator, "tiny-lm", { lr: 0.001, layers: 2 }, "sampler");
    await coordinator.recordProgress({ kind: "progress", study: "tiny-lm", trial: 0, rung: 0, step: 10, metrics: { loss: 3 } });
    const first = await coordinator.finishTrial({ study: "tiny-lm", trial: 0, rung: 0, state: "complete", value: 1.5, worker: "gpu-1" });

    const restarted = open();
    expect(await restarted.createStudy(studyConfig())).toEqual(await coordinator.getStudy("tiny-lm"));
    expect(await restarted.getTrials("tiny-lm")).toEqual([first.trial]);
    const redelivered = await restarted.finishTrial({ study: "tiny-lm", trial: 0, rung: 0, state: "complete", value: 7, worker: "gpu-2" });
    expect(redelivered).toEqual({ trial: first.trial, applied: false });
    expect((await createTrial(restarted, "tiny-lm", { lr: 0.002, layers: 3 }, "sampler")).number).toBe(1);
  });

  it("writes exactly the documented key layout", async () => {
    const store = open();
    await store.createStudy(studyConfig());
    await createTrial(store, "tiny-lm", { lr: 0.1, layers: 2 }, "sampler");
    await createTrial(store, "tiny-lm", { lr: 0.2, layers: 3 }, "sampler");
    await store.recordProgress({ kind: "progress", study: "tiny-lm", trial: 1, rung: 0, step: 5, metrics: { loss: 2 } });
    await store.finishTrial({ study: "tiny-lm", trial: 1, rung: 0, state: "complete", value: 0.1 + 0.2 });
    const s = `${prefix}:study:tiny-lm`;
    expect((await keysUnder(prefix)).sort()).toEqual(
      [`${prefix}:studies`, s, `${s}:trial-count`, `${s}:trial:0`, `${s}:trial:1`, `${s}:trial:1:progress`, `${s}:trial:1:rungs`, `${s}:done`].sort(),
    );
    // A complete rung is kept as JSON with the float64 in its shortest round-trip form.
    expect(JSON.parse((await admin.hget(`${s}:trial:1:rungs`, "0")) as string)).toMatchObject({ rung: 0, value: 0.30000000000000004 });
    expect(await admin.smembers(`${prefix}:studies`)).toEqual(["tiny-lm"]);
    expect(await admin.get(`${s}:trial-count`)).toBe("2");
    expect(await admin.smembers(`${s}:done`)).toEqual(["1-0"]);
    expect(await admin.hmget(`${s}:trial:1`, "state", "value", "params")).toEqual([
      "complete",
      "0.30000000000000004",
      JSON.stringify({ lr: 0.2, layers: 3 }),
    ]);
    expect(JSON.parse((await admin.hget(`${s}:trial:1:progress`, "0-5")) ?? "null")).toEqual({ rung: 0, step: 5, metrics: { loss: 2 } });
  });

  it("closes the connection it opened and leaves a borrowed one open", async () => {
    const borrowed = new Redis(REDIS_URL);
    try {
      const store = new RedisStore({ redis: borrowed, prefix });
      await store.createStudy(studyConfig());
      await store.close();
      expect(await borrowed.ping()).toBe("PONG");
      const owner = new RedisStore({ redis: REDIS_URL, prefix });
      expect(await owner.listStudies()).toEqual(["tiny-lm"]);
      await owner.close();
      await expect(owner.listStudies()).rejects.toThrow(/Connection is closed/);
    } finally {
      await borrowed.quit();
    }
  });

  it("refuses an empty prefix", () => {
    expect(() => new RedisStore({ redis: REDIS_URL, prefix: "" })).toThrow(/prefix must be a non-empty string/);
  });
});

describe("checkRedisDurability", () => {
  const servers: RedisServer[] = [];
  let durable: Redis;
  let noConfig: Redis;
  beforeAll(async () => {
    const a = await startRedisServer(["--appendonly", "yes", "--maxmemory-policy", "noeviction"]);
    const b = await startRedisServer(["--rename-command", "CONFIG", ""]);
    servers.push(a, b);
    durable = new Redis({ port: a.port, host: "127.0.0.1" });
    noConfig = new Redis({ port: b.port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await durable.quit();
    await noConfig.quit();
    for (const server of servers) await stopRedisServer(server);
  });

  it("warns about AOF and eviction exactly when this machine's Redis has them wrong", async () => {
    const [, appendonly] = (await admin.config("GET", "appendonly")) as string[];
    const [, policy] = (await admin.config("GET", "maxmemory-policy")) as string[];
    const warnings = await checkRedisDurability(admin);
    expect(warnings.some((w) => w.includes("appendonly must be yes"))).toBe(appendonly !== "yes");
    expect(warnings.some((w) => w.includes("maxmemory-policy must be noeviction"))).toBe(policy !== "noeviction");
    expect(warnings.length).toBe(Number(appendonly !== "yes") + Number(policy !== "noeviction"));
  });

  it("has nothing to say about a Redis with AOF on and no eviction, and flags an eviction policy", async () => {
    expect(await checkRedisDurability(durable)).toEqual([]);
    await durable.config("SET", "maxmemory-policy", "allkeys-lru");
    const warnings = await checkRedisDurability(durable);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/maxmemory-policy must be noeviction .*got allkeys-lru/);
  });

  it("says it could not check when CONFIG is disabled", async () => {
    const warnings = await checkRedisDurability(noConfig);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not check Redis durability/);
  });
});
