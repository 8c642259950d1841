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
  return { app, config, store };
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

  it("gives the model's predictions with their uncertainty, for every trial or one candidate", async () => {
    const { app, store } = await apiWithOneStudy();
    const tooEarly = await app.inject({ url: "/api/studies/api-study/predictions" });
    expect(tooEarly.statusCode).toBe(400);
    expect(tooEarly.json()).toEqual({ error: "bayestune: predict needs at least 2 complete trials to fit a model, got 1" });

    await store.finishTrial({ study: "api-study", trial: 2, rung: 0, state: "complete", value: 0.4 });
    const all = (await app.inject({ url: "/api/studies/api-study/predictions" })).json() as { trials: Array<{ number: number; objective: { mean: number; std: number }; pNoFailure: number }> };
    expect(all.trials.map((t) => t.number)).toEqual([0, 1, 2]);
    expect(all.trials[0]!.objective.mean).toBeCloseTo(0.04, 1);
    expect(all.trials[2]!.objective.mean).toBeCloseTo(0.4, 1);
    // Trial 1 timed out: the failure model is least sure of a run there.
    expect(all.trials[1]!.pNoFailure).toBeLessThan(all.trials[0]!.pNoFailure);

    const candidate = await app.inject({ url: `/api/studies/api-study/predictions?params=${encodeURIComponent(JSON.stringify({ x: 0.3, y: 0 }))}` });
    expect(candidate.statusCode).toBe(200);
    expect(candidate.json()).toMatchObject({ params: { x: 0.3, y: 0 }, objective: { mean: expect.any(Number), std: expect.any(Number) }, constraints: {} });
    const outside = await app.inject({ url: `/api/studies/api-study/predictions?params=${encodeURIComponent(JSON.stringify({ x: 3, y: 0 }))}` });
    expect(outside.statusCode).toBe(400);
    expect((outside.json() as { error: string }).error).toMatch(/params do not belong to the space/);
    expect((await app.inject({ url: "/api/studies/api-study/predictions?params=%7Bx" })).statusCode).toBe(400);
  });

  it("answers 404 for an unknown study", async () => {
    const { app } = await apiWithOneStudy();
    for (const url of ["/api/studies/nope", "/api/studies/nope/trials", "/api/studies/nope/predictions"]) {
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
