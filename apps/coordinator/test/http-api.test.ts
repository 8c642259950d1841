import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REDACTED, resultsQueueName, TRIALS_QUEUE, trialJobFor } from "@bayestune/protocol";
import { MemoryStore, RedisStore, createTrial } from "@bayestune/store";
import { createHttpApi } from "../src/http-api.js";
import { serveHttpApi } from "../src/serve-http-api.js";
import { startRedisServer, stopRedisServer } from "../../../test/support/redis-server.js";
import { cleanUp, REDIS_URL, testConfig, uniquePrefix } from "../../../test/support/simulated-workers.js";

let prefix: string;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await cleanUp(prefix);
});

async function apiWithOneStudy(extra: { token?: string } = {}) {
  prefix = uniquePrefix();
  const store = new MemoryStore();
  // The command's environment holds secrets that must not leave through the API or Bull Board.
  const config = testConfig("api-study", { maxTrials: 5, command: { argv: ["python", "train.py"], env: { HF_TOKEN: "hf-secret-value" } } });
  await store.createStudy(config);
  const t0 = await createTrial(store, "api-study", { x: 0.5, y: 0 }, "enqueued");
  await createTrial(store, "api-study", { x: 0.1, y: 0.2 }, "sampler");
  await createTrial(store, "api-study", { x: 0.9, y: -0.2 }, "sampler");
  await store.finishTrial({ study: "api-study", trial: t0.number, rung: 0, state: "complete", value: 0.04 });
  await store.finishTrial({ study: "api-study", trial: 1, rung: 0, state: "failed", reason: "timeout" });
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queues = [TRIALS_QUEUE, resultsQueueName("api-study")].map((name) => new Queue(name, { connection, prefix }));
  const readWorkers = async () => ({ workers: [{ id: "w1", slots: 2, busy: 1, host: "box", gpus: ["0", "1"], startedAt: 0 }], slots: 2, busy: 1 });
  const app = await createHttpApi({ store, queues, dashboard: { readWorkers, refreshMs: 50 }, ...extra });
  cleanups.push(async () => {
    await app.close();
    for (const queue of queues) await queue.close();
    await connection.quit();
  });
  return { app, config, store, queues };
}

describe("createHttpApi", () => {
  it("lists studies, and gives a study's config (its command's env values redacted), counts and trials", async () => {
    const { app, config } = await apiWithOneStudy();
    expect((await app.inject({ url: "/api/studies" })).json()).toEqual({ studies: ["api-study"] });

    const study = await app.inject({ url: "/api/studies/api-study" });
    expect(study.statusCode).toBe(200);
    const redacted = { ...config, command: { ...config.command, env: { HF_TOKEN: REDACTED } } };
    expect(study.json()).toMatchObject({ name: "api-study", config: redacted, counts: { running: 1, complete: 1, failed: 1 } });
    expect(study.body).not.toContain("hf-secret-value");

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

  it("serves Bull Board with its queues at /queues, a job's command env values redacted", async () => {
    const { app, config, queues } = await apiWithOneStudy();
    const page = await app.inject({ url: "/queues" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    const listed = await app.inject({ url: "/queues/api/queues" });
    expect(listed.statusCode).toBe(200);
    const names = (listed.json() as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual([resultsQueueName("api-study"), TRIALS_QUEUE].sort());

    await queues[0]!.add("trial", trialJobFor(config, 3, { x: 0.2, y: 0 }), { jobId: "api-study-3-0" });
    const job = await app.inject({ url: `/queues/api/queues/${TRIALS_QUEUE}/api-study-3-0` });
    expect(job.statusCode).toBe(200);
    expect((job.json() as { job: { data: { command: unknown } } }).job.data.command).toEqual({ argv: ["python", "train.py"], env: { HF_TOKEN: REDACTED } });
    const waiting = await app.inject({ url: `/queues/api/queues?activeQueue=${TRIALS_QUEUE}&status=waiting&page=1&jobsPerPage=10` });
    expect(waiting.body).toContain("api-study-3-0");
    for (const body of [job.body, waiting.body]) expect(body).not.toContain("hf-secret-value");
  });

  it("answers only a loopback Host without a token, so that a rebound DNS name reads nothing", async () => {
    const { app } = await apiWithOneStudy();
    for (const url of ["/", "/api/studies/api-study", "/queues/api/queues", "/api/dashboard/studies"]) {
      expect((await app.inject({ url, headers: { host: "rebind.attacker.example:8080" } })).statusCode, url).toBe(403);
      expect((await app.inject({ url, headers: { host: "127.0.0.1:8080" } })).statusCode, url).toBe(200);
    }
  });

  it("serves the dashboard's pages, their scripts and the data they poll", async () => {
    const { app, store } = await apiWithOneStudy();
    const home = await app.inject({ url: "/" });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('<script type="module" src="/assets/study-page.js">');
    expect(home.body).toContain('href="/queues"');
    const study = await app.inject({ url: "/studies/api-study" });
    expect(study.body).toContain('data-study="api-study"');
    for (const asset of ["/assets/plotly.min.js", "/assets/study-page.js"]) {
      const response = await app.inject({ url: asset });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toContain("text/javascript");
    }

    expect((await app.inject({ url: "/api/dashboard/studies" })).json()).toEqual({
      studies: [{ name: "api-study", metric: "loss", direction: "minimize", counts: { running: 1, paused: 0, complete: 1, failed: 1, pruned: 0 }, best: 0.04 }],
    });
    const early = (await app.inject({ url: "/api/dashboard/studies/api-study" })).json() as { views: { trials: unknown[] }; model: { available: boolean; reason?: string } };
    expect(early.views.trials).toHaveLength(3);
    // One complete trial: no model, and once the fit has answered, the page says why.
    const reason = async () => ((await app.inject({ url: "/api/dashboard/studies/api-study" })).json() as { model: { reason?: string } }).model.reason;
    await expect.poll(reason, { timeout: 10_000, interval: 100 }).toMatch(/2 complete trials/);
    await store.finishTrial({ study: "api-study", trial: 2, rung: 0, state: "complete", value: 0.4 });
    // The refit runs in the background (the old model is served meanwhile); a later poll gets it.
    const model = async () => ((await app.inject({ url: "/api/dashboard/studies/api-study" })).json() as { model: { available: boolean; importance?: unknown[] } }).model;
    await expect.poll(async () => (await model()).available, { timeout: 10_000, interval: 100 }).toBe(true);
    expect((await model()).importance).toHaveLength(2);
    expect((await app.inject({ url: "/api/dashboard/studies/nope" })).statusCode).toBe(404);
    // A page whose copy is current gets 304 without a body; a changed study, the new data.
    const current = await app.inject({ url: "/api/dashboard/studies/api-study" });
    const etag = current.headers["etag"] as string;
    const unchanged = await app.inject({ url: "/api/dashboard/studies/api-study", headers: { "if-none-match": etag } });
    expect([unchanged.statusCode, unchanged.body]).toEqual([304, ""]);
    await createTrial(store, "api-study", { x: 0.2, y: 0.1 }, "sampler");
    await new Promise((resolve) => setTimeout(resolve, 60));
    const changed = await app.inject({ url: "/api/dashboard/studies/api-study", headers: { "if-none-match": etag } });
    expect(changed.statusCode).toBe(200);
    expect((changed.json() as { views: { trials: unknown[] } }).views.trials).toHaveLength(4);
    expect((await app.inject({ url: "/api/dashboard/workers" })).json()).toMatchObject({ slots: 2, busy: 1, workers: [{ id: "w1" }] });
  });

  it("compresses what a browser accepts compressed, Plotly and the page data, and sends it plain otherwise", async () => {
    const { app } = await apiWithOneStudy();
    const plain = await app.inject({ url: "/assets/plotly.min.js" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const plotly = await app.inject({ url: "/assets/plotly.min.js", headers: { "accept-encoding": "br, gzip" } });
    expect(plotly.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(plotly.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect(plotly.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);

    // Once the first model fit has answered, the data stays the same from one read to the next.
    const reason = async () => ((await app.inject({ url: "/api/dashboard/studies/api-study" })).json() as { model: { reason?: string } }).model.reason;
    await expect.poll(reason, { timeout: 10_000, interval: 100 }).toMatch(/2 complete trials/);
    const data = await app.inject({ url: "/api/dashboard/studies/api-study" });
    expect(data.headers["content-encoding"]).toBeUndefined();
    // A browser offers brotli over HTTPS only: plain HTTP gets gzip.
    const gzipped = await app.inject({ url: "/api/dashboard/studies/api-study", headers: { "accept-encoding": "gzip, deflate" } });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.headers["etag"]).toBe(data.headers["etag"]);
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(data.body);
    const brotli = await app.inject({ url: "/api/dashboard/studies/api-study", headers: { "accept-encoding": "gzip, deflate, br" } });
    expect(brotli.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(brotli.rawPayload).toString()).toBe(data.body);
  });

  it("is read-only: anything but GET and HEAD is refused, Bull Board's actions included, and the queue is unchanged", async () => {
    const { app, queues } = await apiWithOneStudy();
    const trialsQueue = queues[0]!;
    await trialsQueue.add("trial", { any: 1 }, { jobId: "j1" });
    const attempts = [
      { method: "POST", url: "/api/studies" },
      { method: "PUT", url: `/queues/api/queues/${TRIALS_QUEUE}/pause` },
      { method: "PUT", url: `/queues/api/queues/${TRIALS_QUEUE}/empty` },
      { method: "DELETE", url: `/queues/api/queues/${TRIALS_QUEUE}/j1` },
      { method: "PATCH", url: "/api/dashboard/studies/api-study" },
    ] as const;
    for (const attempt of attempts) {
      const response = await app.inject(attempt);
      expect(response.statusCode, `${attempt.method} ${attempt.url}`).toBe(405);
    }
    expect(await trialsQueue.getJob("j1")).toBeDefined();
    expect(await trialsQueue.isPaused()).toBe(false);
  });

  it("with a token, refuses a request without it, and takes it as a Bearer header, a query or the cookie the query sets", async () => {
    const token = "0123456789abcdef0123";
    const { app } = await apiWithOneStudy({ token });
    for (const url of ["/", "/api/studies", "/queues", "/queues/api/queues", "/assets/study-page.js"]) {
      expect((await app.inject({ url })).statusCode, url).toBe(401);
    }
    expect((await app.inject({ url: "/api/studies", headers: { authorization: "Bearer wrong-token-wrong-token" } })).statusCode).toBe(401);
    expect((await app.inject({ url: "/api/studies", headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    const visit = await app.inject({ url: `/?token=${token}` });
    expect(visit.statusCode).toBe(200);
    const cookie = visit.cookies.find((c) => c.name === "bayestune_token");
    expect(cookie).toMatchObject({ value: token, httpOnly: true, sameSite: "Strict" });
    // Bull Board's own requests carry the cookie, not the token.
    expect((await app.inject({ url: "/queues/api/queues", cookies: { bayestune_token: token } })).statusCode).toBe(200);
    expect((await app.inject({ url: "/queues/api/queues", cookies: { bayestune_token: "nope" } })).statusCode).toBe(401);
  });

  it("shows in Bull Board the trials queue and the results queue of every stored study", async () => {
    prefix = uniquePrefix();
    const store = new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` });
    cleanups.push(() => store.close());
    for (const name of ["study-a", "study-b"]) await store.createStudy(testConfig(name));
    const api = await serveHttpApi({ redis: REDIS_URL, prefix, port: 0 });
    cleanups.push(() => api.close());
    const response = await fetch(`${api.address}/queues/api/queues`, { signal: AbortSignal.timeout(10_000) });
    const names = ((await response.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual([resultsQueueName("study-a"), resultsQueueName("study-b"), TRIALS_QUEUE].sort());
  });

  it("answers 503 while Redis is away, without crashing, and serves again once it is back; the log hides the password", async () => {
    const password = "outage-password-1234";
    let redis = await startRedisServer(["--requirepass", password]);
    const { port, dir } = redis;
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => undefined);
    cleanups.push(async () => consoleError.mockRestore());
    const api = await serveHttpApi({ redis: `redis://:${password}@127.0.0.1:${port}`, prefix: "outage", port: 0 });
    cleanups.push(() => api.close());
    cleanups.push(() => stopRedisServer(redis));
    const get = async (path: string) => {
      const response = await fetch(`${api.address}${path}`, { signal: AbortSignal.timeout(10_000) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await get("/api/dashboard/studies")).toEqual({ status: 200, body: { studies: [] } });

    await stopRedisServer(redis, "SIGKILL", true);
    for (const path of ["/api/studies", "/api/dashboard/workers", "/api/dashboard/studies/any"]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(503);
      expect(answer.body["error"], path).toMatch(/^cannot answer now: /);
    }

    redis = await startRedisServer(["--requirepass", password], { port, dir });
    await expect.poll(async () => (await get("/api/studies")).status, { timeout: 10_000 }).toBe(200);
    const logged = consoleError.mock.calls.map((args) => args.join(" ")).join("\n");
    expect(logged).toContain(`Redis at redis://:${REDACTED}@127.0.0.1:${port} unreachable`);
    expect(logged).toContain(`Redis at redis://:${REDACTED}@127.0.0.1:${port} is back`);
    expect(logged).not.toContain(password);
  });
});
