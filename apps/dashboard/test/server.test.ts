import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { StudyConfig } from "@bayestune/protocol";
import { MemoryStore, type StoredTrial, createTrial } from "@bayestune/store";
import { modelViews, type ModelViews } from "../src/plot-data/model-views.js";
import { createModelRunner, type ModelRunner } from "../src/server/model-runner.js";
import { readTrials, StudyPageCache } from "../src/server/study-page-cache.js";
import { studyPredictions } from "../src/server/study-predictions.js";
import { throttled } from "../src/server/throttle.js";

const NAMES = ["a", "b", "c", "d", "e", "f"];
const config = StudyConfig.parse({
  name: "s",
  maxTrials: 500,
  space: Object.fromEntries(NAMES.map((name) => [name, { type: "float", low: 0, high: 1 }])),
  command: { argv: ["python", "train.py"] },
});

function completeTrials(n: number): StoredTrial[] {
  return Array.from({ length: n }, (_, i) => {
    const params = Object.fromEntries(NAMES.map((name, k) => [name, ((i * (k + 3) * 0.618) % 1 + 1) % 1]));
    const value = NAMES.reduce((sum, name, k) => sum + (k + 1) * ((params[name] as number) - 0.3) ** 2, 0);
    return { study: "s", number: i, params, state: "complete", value, rung: 0, intermediate: [], rungs: [], source: "sampler", attempts: 1, createdAt: 0 };
  });
}

/** A runner that counts its fits and answers at once. */
function countingRunner(): Pick<ModelRunner, "views"> & { fits: number } {
  const runner = {
    fits: 0,
    async views(): Promise<ModelViews> {
      runner.fits++;
      return { available: false, reason: "counted" };
    },
  };
  return runner;
}

describe("throttled", () => {
  it("shares one read among the calls within the interval, and forgets a failed one", async () => {
    let now = 0;
    let reads = 0;
    let fail = false;
    const read = throttled(
      async () => {
        reads++;
        if (fail) throw new Error("Redis is away");
        return reads;
      },
      1000,
      () => now,
    );
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    now = 999;
    expect(await read()).toBe(1);
    now = 1000;
    fail = true;
    await expect(read()).rejects.toThrow("Redis is away");
    fail = false;
    // The failure is not served again within the interval: the next call reads.
    expect(await read()).toBe(3);
  });
});

describe("StudyPageCache", () => {
  it("reads a study at most once per interval, then only its changed trials, and refits the model only when a trial finishes", async () => {
    const store = new MemoryStore();
    await store.createStudy(config);
    for (const trial of completeTrials(3)) {
      await createTrial(store, "s", trial.params, "sampler");
      await store.finishTrial({ study: "s", trial: trial.number, rung: 0, state: "complete", value: trial.value });
    }
    let reads = 0;
    const trialReads: number[] = [];
    const counted = {
      getStudy: store.getStudy.bind(store),
      getTrial: (name: string, number: number) => (trialReads.push(number), store.getTrial(name, number)),
      getTrials: (name: string) => (reads++, store.getTrials(name)),
    };
    const runner = countingRunner();
    let now = 0;
    const cache = new StudyPageCache(counted, runner, 1000, () => now);

    const first = await Promise.all([cache.get("s"), cache.get("s")]);
    expect(first[0]!.data.views.trials).toHaveLength(3);
    expect(JSON.parse(first[0]!.json)).toEqual(first[0]!.data);
    expect([reads, runner.fits]).toEqual([1, 1]);
    // One compression per read and encoding, shared by every page that asks for it.
    expect(first[0]!.encoded("gzip")).toBe(first[1]!.encoded("gzip"));
    expect(gunzipSync(await first[0]!.encoded("gzip")).toString()).toBe(first[0]!.json);
    expect(brotliDecompressSync(await first[1]!.encoded("br")).toString()).toBe(first[0]!.json);
    now = 1500;
    // A progress report on a new running trial: read again (the new trial only: the three finished ones cannot change), no refit.
    await createTrial(store, "s", completeTrials(4)[3]!.params, "sampler");
    await store.recordProgress({ kind: "progress", study: "s", trial: 3, rung: 0, step: 1, metrics: { loss: 1 } });
    const second = (await cache.get("s"))!.data.views.trials;
    expect(second.map((t) => t.state)).toEqual(["complete", "complete", "complete", "running"]);
    expect([reads, runner.fits]).toEqual([1, 1]);
    expect(trialReads.filter((n) => n < 3)).toEqual([]);
    now = 3000;
    await store.finishTrial({ study: "s", trial: 3, rung: 0, state: "failed", reason: "timeout" });
    expect((await cache.get("s"))!.data.views.trials.map((t) => t.state)).toEqual(["complete", "complete", "complete", "failed"]);
    expect([reads, runner.fits]).toEqual([1, 2]);
    expect(await cache.get("nope")).toBeUndefined();
  });
});

describe("readTrials", () => {
  it("reads a study recreated under the same name in full, not from the old study's trials", async () => {
    const before = new MemoryStore();
    const old = await before.createStudy(config);
    for (const trial of completeTrials(3)) {
      await createTrial(before, "s", trial.params, "sampler");
      await before.finishTrial({ study: "s", trial: trial.number, rung: 0, state: "complete", value: trial.value });
    }
    const known = { createdAt: old.createdAt, trials: await before.getTrials("s") };
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = new MemoryStore();
    const recreated = await after.createStudy(config);
    await createTrial(after, "s", completeTrials(1)[0]!.params, "sampler");
    expect(await readTrials(after, recreated, known)).toEqual(await after.getTrials("s"));
    // The same study: its three finished trials are taken from what was known.
    expect(await readTrials(before, old, known)).toEqual(known.trials);
  });
});

/** What `work` returns, and the longest the event loop went without turning while it ran. */
async function longestGapDuring<T>(work: () => Promise<T>): Promise<{ result: T; gapMs: number }> {
  let gapMs = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    gapMs = Math.max(gapMs, now - last);
    last = now;
  }, 5);
  // Lets the ticker start before the work does.
  await new Promise((resolve) => setTimeout(resolve, 20));
  try {
    const result = await work();
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { result, gapMs };
  } finally {
    clearInterval(ticker);
  }
}

describe("StudyPageCache while a refit runs", () => {
  it("never waits for a fit: a note before the first model, the previous model during a refit, then the new one", async () => {
    const store = new MemoryStore();
    await store.createStudy(config);
    const finish = async (trial: StoredTrial) => {
      await createTrial(store, "s", trial.params, "sampler");
      await store.finishTrial({ study: "s", trial: trial.number, rung: 0, state: "complete", value: trial.value });
    };
    const trials = completeTrials(4);
    for (const trial of trials.slice(0, 3)) await finish(trial);
    const pending: Array<(views: ModelViews) => void> = [];
    const slowRunner: Pick<ModelRunner, "views"> = {
      views: () => new Promise<ModelViews>((resolve) => pending.push(resolve)),
    };
    let now = 0;
    const cache = new StudyPageCache(store, slowRunner, 1000, () => now);
    // Before the first model the trials' views come at once, with a note in the model's place.
    const first = await cache.get("s");
    expect(first!.data.views.trials).toHaveLength(3);
    expect(first!.data.model).toEqual({ available: false, reason: expect.stringContaining("being fitted") });
    pending.shift()!({ available: false, reason: "fit 1" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    now = 1000;
    expect((await cache.get("s"))!.data.model).toEqual({ available: false, reason: "fit 1" });

    await finish(trials[3]!);
    now = 2000;
    const during = await cache.get("s");
    expect(during!.data.views.trials).toHaveLength(4);
    expect(during!.data.model).toEqual({ available: false, reason: "fit 1" });
    pending.shift()!({ available: false, reason: "fit 2" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    now = 4000;
    expect((await cache.get("s"))!.data.model).toEqual({ available: false, reason: "fit 2" });
  });
});

describe("StudyPageCache when trials finish faster than the model fits", () => {
  it("runs one fit at a time and serves each as it ends, instead of restarting the fit on every new result", async () => {
    const store = new MemoryStore();
    await store.createStudy(config);
    const trials = completeTrials(6);
    const finish = async (trial: StoredTrial) => {
      await createTrial(store, "s", trial.params, "sampler");
      await store.finishTrial({ study: "s", trial: trial.number, rung: 0, state: "complete", value: trial.value });
    };
    for (const trial of trials.slice(0, 3)) await finish(trial);
    const pending: Array<{ finished: number; resolve: (views: ModelViews) => void }> = [];
    const slowRunner: Pick<ModelRunner, "views"> = {
      views: (_config, seen) => new Promise<ModelViews>((resolve) => pending.push({ finished: seen.length, resolve })),
    };
    let now = 0;
    const cache = new StudyPageCache(store, slowRunner, 1000, () => now);
    const modelAt = async (t: number) => {
      now = t;
      return (await cache.get("s"))!.data.model;
    };
    const settle = async (reason: string) => {
      pending.shift()!.resolve({ available: false, reason });
      await new Promise((resolve) => setTimeout(resolve, 10));
    };

    expect(await modelAt(0)).toEqual({ available: false, reason: expect.stringContaining("being fitted") });
    // Two more results arrive while the first fit (of 3 trials) runs: no second fit is started.
    await finish(trials[3]!);
    await modelAt(1000);
    await finish(trials[4]!);
    await modelAt(2000);
    expect(pending.map((p) => p.finished)).toEqual([3]);
    await settle("fit of 3");
    // The ended fit is served, and the next read fits the 5 trials finished by now.
    expect(await modelAt(3000)).toEqual({ available: false, reason: "fit of 3" });
    expect(pending.map((p) => p.finished)).toEqual([5]);
    await finish(trials[5]!);
    expect(await modelAt(4000)).toEqual({ available: false, reason: "fit of 3" });
    await settle("fit of 5");
    expect(await modelAt(5000)).toEqual({ available: false, reason: "fit of 5" });
    expect(pending.map((p) => p.finished)).toEqual([6]);
  });
});

describe("createModelRunner", () => {
  it("fits in a worker thread: the same views as in-process, while the event loop keeps turning", async () => {
    const trials = completeTrials(150);
    await modelViews(config, trials);
    // In-process (warm), the fit holds the event loop for most of its length.
    const inline = await longestGapDuring(() => modelViews(config, trials));
    const runner = createModelRunner();
    try {
      await runner.views(config, trials);
      const threaded = await longestGapDuring(() => runner.views(config, trials));
      expect(threaded.result).toEqual(inline.result);
      expect(threaded.gapMs).toBeLessThan(inline.gapMs / 3);
    } finally {
      await runner.close();
    }
  });

  it("answers the API's predictions in the thread too, and a request the model cannot answer with the core's reason", async () => {
    const trials = completeTrials(60);
    const runner = createModelRunner();
    try {
      const threaded = await runner.predictions(config, trials);
      expect(threaded).toEqual(await studyPredictions(config, trials));
      expect(threaded.ok && (threaded.body as { trials: unknown[] }).trials).toHaveLength(60);
      const candidate = { a: 0.3, b: 0.3, c: 0.3, d: 0.3, e: 0.3, f: 0.3 };
      expect(await runner.predictions(config, trials, candidate)).toEqual(await studyPredictions(config, trials, candidate));
      const outside = await runner.predictions(config, trials, { ...candidate, a: 2 });
      expect(outside).toEqual({ ok: false, error: expect.stringMatching(/params do not belong to the space/) });
      expect(await runner.predictions(config, trials.slice(0, 1))).toEqual({ ok: false, error: expect.stringContaining("at least 2 complete trials") });
    } finally {
      await runner.close();
    }
  });
});
