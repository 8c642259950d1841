import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RESULTS_QUEUE, TRIALS_QUEUE } from "@bayestune/protocol";
import { MemoryStore } from "@bayestune/store";
import { createHttpApi } from "../src/http-api.js";
import { cleanUp, REDIS_URL, testConfig, uniquePrefix } from "../../../test/support/simulated-workers.js";

let prefix: string;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await cleanUp(prefix);
});

async function apiWithOneStudy() {
  prefix = uniquePrefix();
  const store = new MemoryStore();
  const config = testConfig("api-study", { maxTrials: 5 });
  await store.createStudy(config);
  const t0 = await store.createTrial("api-study", { x: 0.5, y: 0 }, "enqueued");
  await store.createTrial("api-study", { x: 0.1, y: 0.2 }, "sampler");
  await store.createTrial("api-study", { x: 0.9, y: -0.2 }, "sampler");
  await store.finishTrial({ study: "api-study", trial: t0.number, rung: 0, state: "complete", value: 0.04 });
  await store.finishTrial({ study: "api-study", trial: 1, rung: 0, state: "failed", reason: "timeout" });
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queues = [TRIALS_QUEUE, RESULTS_QUEUE].map((name) => new Queue(name, { connection, prefix }));
  const app = await createHttpApi({ store, queues });
  cleanups.push(async () => {
    await app.close();
    for (const queue of queues) await queue.close();
    await connection.quit();
  });
  return { app, config };
}

describe("createHttpApi", () => {
  it("lists studies, and gives a study's config, counts and trials", async () => {
    const { app, config } = await apiWithOneStudy();
    expect((await app.inject({ url: "/api/studies" })).json()).toEqual({ studies: ["api-study"] });

    const study = await app.inject({ url: "/api/studies/api-study" });
    expect(study.statusCode).toBe(200);
    expect(study.json()).toMatchObject({ name: "api-study", config, counts: { running: 1, complete: 1, failed: 1 } });

    const trials = (await app.inject({ url: "/api/studies/api-study/trials" })).json() as { trials: Array<Record<string, unknown>> };
    expect(trials.trials.map((t) => [t["number"], t["state"]])).toEqual([
      [0, "complete"],
      [1, "failed"],
      [2, "running"],
    ]);
    expect(trials.trials[0]).toMatchObject({ value: 0.04, params: { x: 0.5, y: 0 } });
  });

  it("answers 404 for an unknown study", async () => {
    const { app } = await apiWithOneStudy();
    for (const url of ["/api/studies/nope", "/api/studies/nope/trials"]) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: "no study named nope" });
    }
  });

  it("serves Bull Board with both queues at /queues", async () => {
    const { app } = await apiWithOneStudy();
    const page = await app.inject({ url: "/queues" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    const queues = await app.inject({ url: "/queues/api/queues" });
    expect(queues.statusCode).toBe(200);
    const names = (queues.json() as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual([RESULTS_QUEUE, TRIALS_QUEUE].sort());
  });
});
