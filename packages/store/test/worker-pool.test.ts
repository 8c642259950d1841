import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { workerRegistrationKey, type WorkerRegistration } from "@bayestune/protocol";
import { readWorkerPool } from "../src/worker-pool.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let redis: Redis;
let prefix: string;
const written: string[] = [];

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
  if (written.length > 0) await redis.del(...written.splice(0));
});

async function register(underPrefix: string, id: string, value: WorkerRegistration | string): Promise<void> {
  const key = workerRegistrationKey(underPrefix, id);
  written.push(key);
  await redis.set(key, typeof value === "string" ? value : JSON.stringify(value), "PX", 60_000);
}

describe("readWorkerPool", () => {
  it("lists the registered workers by ID with their totals, skipping junk and counting an old worker's slots", async () => {
    const b = { slots: 4, busy: 3, host: "node-b", gpus: ["0", "1", "2", "3"], startedAt: 1_700_000_000_000 };
    const a = { slots: 2, busy: 0, host: "node-a", gpus: [], startedAt: 1_700_000_100_000 };
    await register(prefix, "b", b);
    await register(prefix, "a", a);
    await register(prefix, "c-old", "3");
    await register(prefix, "junk", "not a registration");
    await register(prefix, "half", JSON.stringify({ slots: 2 }));
    await register(`${prefix}-other`, "elsewhere", a);

    expect(await readWorkerPool(redis, prefix)).toEqual({
      workers: [
        { id: "a", ...a },
        { id: "b", ...b },
        { id: "c-old", slots: 3, busy: null, host: null, gpus: null, startedAt: null },
      ],
      slots: 9,
      busy: 3,
    });
  });

  it("is empty with no worker registered", async () => {
    expect(await readWorkerPool(redis, prefix)).toEqual({ workers: [], slots: 0, busy: 0 });
  });

  it("reads every worker of a pool larger than one SCAN batch", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `w${String(i).padStart(3, "0")}`);
    for (const id of ids) await register(prefix, id, { slots: 1, busy: 1, host: id, gpus: [], startedAt: 0 });
    const pool = await readWorkerPool(redis, prefix);
    expect(pool.workers.map((worker) => worker.id)).toEqual(ids);
    expect(pool).toMatchObject({ slots: 250, busy: 250 });
  });

  it("takes a prefix with glob characters literally", async () => {
    const globby = `${prefix}[x]*`;
    await register(globby, "mine", "2");
    // Matched by the pattern were the prefix's '[x]' and '*' left unescaped.
    await register(`${prefix}x-more`, "theirs", "5");
    expect(await readWorkerPool(redis, globby)).toMatchObject({ workers: [{ id: "mine", slots: 2 }], slots: 2 });
  });
});
