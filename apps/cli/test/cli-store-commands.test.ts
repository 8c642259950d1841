import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { SECRET_ENV, StudyConfig, workerRegistrationKey } from "@bayestune/protocol";
import { RedisStore, type StoredTrial, createTrial } from "@bayestune/store";
import { deleteKeysWithPrefix } from "../../../test/support/redis-keys.js";
import { bayestune } from "../../../test/support/run-cli.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const dir = mkdtempSync(join(tmpdir(), "bayestune-cli-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** RFC 4180 records, parsed independently of the writer under test. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else field += c;
  }
  expect(field).toBe("");
  expect(record).toEqual([]);
  return records;
}

const NASTY_MESSAGE = 'Traceback: ValueError("lr, momentum")\nCUDA said "no"';

function config(name: string, overrides: Record<string, unknown> = {}): StudyConfig {
  return StudyConfig.parse({
    name,
    space: { lr: { type: "float", low: 1e-5, high: 1, log: true }, opt: { type: "categorical", choices: ["adam", "sgd"] } },
    sampler: "sobol",
    maxTrials: 10,
    command: { argv: ["python", "train.py"] },
    ...overrides,
  });
}

let prefix: string;
let store: RedisStore;

beforeEach(() => {
  prefix = `test-cli-${randomUUID()}`;
  store = new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` });
});

afterEach(async () => {
  await store.close();
  const connection = new Redis(REDIS_URL);
  await deleteKeysWithPrefix(connection, prefix);
  await connection.quit();
});

/**
 * "sgd": trial 0 complete 0.5, 1 failed (timeout, no message), 2 complete 0.125 (the best
 * for "minimize"), 3 failed (nonzero-exit, NASTY_MESSAGE), 4 running.
 */
async function populateSgd(): Promise<StoredTrial[]> {
  await store.createStudy(config("sgd"));
  const params = [
    { lr: 0.1, opt: "adam" },
    { lr: 0.01, opt: "sgd" },
    { lr: 0.003, opt: "adam" },
    { lr: 1e-4, opt: "sgd" },
    { lr: 0.5, opt: "adam" },
  ];
  for (const p of params) await createTrial(store, "sgd", p, "sampler");
  await store.finishTrial({ study: "sgd", trial: 0, rung: 0, state: "complete", value: 0.5, worker: "gpu-box-1" });
  await store.finishTrial({ study: "sgd", trial: 1, rung: 0, state: "failed", reason: "timeout", worker: "gpu-box-2" });
  await store.finishTrial({ study: "sgd", trial: 2, rung: 0, state: "complete", value: 0.125, worker: "gpu-box-1" });
  await store.finishTrial({ study: "sgd", trial: 3, rung: 0, state: "failed", reason: "nonzero-exit", message: NASTY_MESSAGE, worker: "gpu-box-2" });
  return store.getTrials("sgd");
}

describe("bayestune status", () => {
  it("lists every study with its counts and best value, as text and as JSON", async () => {
    await populateSgd();
    await store.createStudy(config("acc", { direction: "maximize", metric: "accuracy" }));
    await createTrial(store, "acc", { lr: 0.1, opt: "adam" }, "sampler");
    await createTrial(store, "acc", { lr: 0.2, opt: "adam" }, "sampler");
    await store.finishTrial({ study: "acc", trial: 0, rung: 0, state: "complete", value: 0.7 });
    await store.finishTrial({ study: "acc", trial: 1, rung: 0, state: "complete", value: 0.9 });

    // One worker of this version and one of the previous (its value a plain slot count).
    const registry = new Redis(REDIS_URL);
    await registry.set(workerRegistrationKey(prefix, "gpu-a"), JSON.stringify({ slots: 2, busy: 1, host: "a", gpus: ["0", "1"], startedAt: 0 }), "PX", 60_000);
    await registry.set(workerRegistrationKey(prefix, "old-b"), "4", "PX", 60_000);
    await registry.quit();

    const text = await bayestune(["status", "--redis", REDIS_URL, "--prefix", prefix], 30_000);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 3).map((line) => line.split(/\s{2,}/))).toEqual([
      ["STUDY", "RUNNING", "COMPLETE", "FAILED", "TOTAL", "BEST"],
      ["acc", "0", "2", "0", "2", "0.9 (trial 1)"],
      ["sgd", "1", "2", "2", "5", "0.125 (trial 2)"],
    ]);
    expect(lines.slice(3)).toEqual(["workers: 2, 1 of 6 slots busy (gpu-a 1/2, old-b ?/4)"]);

    const json = await bayestune(["status", "--redis", REDIS_URL, "--prefix", prefix, "--json"], 30_000);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      studies: [
        { name: "acc", running: 0, paused: 0, complete: 2, pruned: 0, failed: 0, total: 2, best: { number: 1, value: 0.9 } },
        { name: "sgd", running: 1, paused: 0, complete: 2, pruned: 0, failed: 2, total: 5, best: { number: 2, value: 0.125 } },
      ],
      workers: {
        slots: 6,
        busy: 1,
        workers: [
          { id: "gpu-a", slots: 2, busy: 1, host: "a", gpus: ["0", "1"], startedAt: 0 },
          { id: "old-b", slots: 4, busy: null, host: null, gpus: null, startedAt: null },
        ],
      },
    });
  });

  it("says so when no study exists under the prefix", async () => {
    const { code, stdout } = await bayestune(["status", "--redis", REDIS_URL, "--prefix", prefix], 30_000);
    expect(code).toBe(0);
    expect(stdout).toBe(`no studies in prefix "${prefix}" on ${REDIS_URL}\nworkers: none registered\n`);
  });

  it("prints one study's counts, best trial and failures with their reasons", async () => {
    await populateSgd();
    const text = await bayestune(["status", "sgd", "--redis", REDIS_URL, "--prefix", prefix], 30_000);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        "sgd: 5 of 10 trials, 1 running, 2 complete, 2 failed",
        "best trial 2: loss = 0.125",
        '  params: {"lr":0.003,"opt":"adam"}',
        "failed trials:",
        "  trial 1: timeout",
        '  trial 3: nonzero-exit: Traceback: ValueError("lr, momentum")',
        '    CUDA said "no"',
        "",
      ].join("\n"),
    );

    const json = await bayestune(["status", "sgd", "--redis", REDIS_URL, "--prefix", prefix, "--json"], 30_000);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      name: "sgd",
      direction: "minimize",
      metric: "loss",
      maxTrials: 10,
      running: 1,
      paused: 0,
      pruned: 0,
      complete: 2,
      failed: 2,
      total: 5,
      best: { number: 2, value: 0.125, params: { lr: 0.003, opt: "adam" } },
      failures: [
        { number: 1, reason: "timeout", message: null },
        { number: 3, reason: "nonzero-exit", message: NASTY_MESSAGE },
      ],
    });
  });

  it("lists infeasible trials with the bound each breaks, and says when none is feasible", async () => {
    await store.createStudy(config("mem", { constraints: [{ metric: "memory_gb", max: 80 }, { metric: "hours", min: 0.1 }] }));
    for (const lr of [0.1, 0.01, 0.001]) await createTrial(store, "mem", { lr, opt: "adam" }, "sampler");
    await store.finishTrial({ study: "mem", trial: 0, rung: 0, state: "complete", value: 0.1, metrics: { loss: 0.1, memory_gb: 95, hours: 0.5 } });
    await store.finishTrial({ study: "mem", trial: 1, rung: 0, state: "complete", value: 0.3, metrics: { loss: 0.3, memory_gb: 70, hours: 0.05 } });
    const none = await bayestune(["status", "mem", "--redis", REDIS_URL, "--prefix", prefix], 30_000);
    expect(none.stdout).toBe(
      [
        "mem: 3 of 10 trials, 1 running, 2 complete, 0 failed",
        "no feasible trial: all 2 complete trials break a constraint",
        "infeasible trials:",
        "  trial 0: memory_gb = 95 > max 80",
        "  trial 1: hours = 0.05 < min 0.1",
        "",
      ].join("\n"),
    );
    await store.finishTrial({ study: "mem", trial: 2, rung: 0, state: "complete", value: 0.5, metrics: { loss: 0.5, memory_gb: 60, hours: 0.2 } });
    const json = await bayestune(["status", "mem", "--redis", REDIS_URL, "--prefix", prefix, "--json"], 30_000);
    const report = JSON.parse(json.stdout) as { best: { number: number }; infeasible: unknown };
    expect(report.best.number).toBe(2);
    expect(report.infeasible).toEqual([
      { number: 0, violations: ["memory_gb = 95 > max 80"] },
      { number: 1, violations: ["hours = 0.05 < min 0.1"] },
    ]);
  });

  it("prints a multi-objective study's Pareto front, as text and as JSON", async () => {
    const objectives = [
      { metric: "loss", direction: "minimize" },
      { metric: "gpu_hours", direction: "minimize" },
    ];
    await store.createStudy(config("pareto", { objectives }));
    const told: [number, number][] = [
      [0.5, 2],
      [0.4, 3],
      [0.6, 3], // dominated by trial 0
    ];
    for (const [i, [loss, hours]] of told.entries()) {
      await createTrial(store, "pareto", { lr: 0.1 / (i + 1), opt: "adam" }, "sampler");
      await store.finishTrial({ study: "pareto", trial: i, rung: 0, state: "complete", value: loss, metrics: { loss, gpu_hours: hours } });
    }
    const text = await bayestune(["status", "pareto", "--redis", REDIS_URL, "--prefix", prefix], 30_000);
    expect(text.stdout).toContain(
      [
        "Pareto front (2 trials):",
        '  trial 0: loss=0.5, gpu_hours=2  params: {"lr":0.1,"opt":"adam"}',
        '  trial 1: loss=0.4, gpu_hours=3  params: {"lr":0.05,"opt":"adam"}',
      ].join("\n"),
    );
    const json = JSON.parse((await bayestune(["status", "pareto", "--redis", REDIS_URL, "--prefix", prefix, "--json"], 30_000)).stdout) as { objectives: unknown; front: unknown };
    expect(json.objectives).toEqual(objectives);
    expect(json.front).toEqual([
      { number: 0, values: [0.5, 2], params: { lr: 0.1, opt: "adam" } },
      { number: 1, values: [0.4, 3], params: { lr: 0.05, opt: "adam" } },
    ]);
  });

  it("exits 2 with one message for an unknown study", async () => {
    const { code, stdout, stderr } = await bayestune(["status", "nope", "--redis", REDIS_URL, "--prefix", prefix], 30_000);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`bayestune: no study named "nope" in prefix "${prefix}" on ${REDIS_URL}; \`bayestune status --redis <url> --prefix ${prefix}\` lists the studies\n`);
  });
});

describe("bayestune export", () => {
  const iso = (ms: number | undefined): string => (ms === undefined ? "" : new Date(ms).toISOString());

  it("writes every trial as RFC 4180 CSV that parses back field for field", async () => {
    const trials = await populateSgd();
    const output = join(dir, `${prefix}.csv`);
    const { code, stdout } = await bayestune(["export", "sgd", "--redis", REDIS_URL, "--prefix", prefix, "--format", "csv", "--output", output], 30_000);
    expect(code).toBe(0);
    expect(stdout).toBe("");
    const records = parseCsv(readFileSync(output, "utf8"));
    expect(records[0]).toEqual(["number", "state", "value", "reason", "message", "createdAt", "finishedAt", "rung", "worker", "params.lr", "params.opt"]);
    expect(records.slice(1)).toEqual(
      trials.map((t) => [
        String(t.number),
        t.state,
        t.value === undefined ? "" : String(t.value),
        t.reason ?? "",
        t.message ?? "",
        iso(t.createdAt),
        iso(t.finishedAt),
        "0",
        t.worker ?? "",
        String(t.params["lr"]),
        String(t.params["opt"]),
      ]),
    );
    expect(records[4]?.[4]).toBe(NASTY_MESSAGE);
    expect(records[5]?.slice(1, 7)).toEqual(["running", "", "", "", iso(trials[4]?.createdAt), ""]);
  });

  it("writes a self-contained HTML report: Plotly embedded, no network reference, the plots' data for every trial", async () => {
    await populateSgd();
    const output = join(dir, `${prefix}.html`);
    const { code } = await bayestune(["export", "sgd", "--redis", REDIS_URL, "--prefix", prefix, "--format", "html", "--output", output], 30_000);
    expect(code).toBe(0);
    const html = readFileSync(output, "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    // Plotly's bundle and the drawing module are inline (megabytes of it) and nothing is fetched from elsewhere.
    // (Booleans, not matchers on the text: a failure would print megabytes.)
    expect(html.length).toBeGreaterThan(1_000_000);
    expect(html.includes("function drawStudyPage(")).toBe(true);
    expect(/<script[^>]+src=/.test(html)).toBe(false);
    expect(/<link[^>]+href=/.test(html)).toBe(false);
    const { views, model } = JSON.parse(/<script id="views" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as {
      views: {
        trials: { reason: string | null }[];
        history: { trial: number; bestSoFar?: number }[];
        parallel: { lines: unknown[] };
        feasibility: unknown;
      };
      model: { available: boolean };
    };
    // populateSgd: 5 trials, 2 complete (0.5 and then 0.125), 2 failed, 1 running.
    expect(views.trials).toHaveLength(5);
    expect(views.history.map((p) => [p.trial, p.bestSoFar])).toEqual([
      [0, 0.5],
      [2, 0.125],
    ]);
    expect(views.parallel.lines).toHaveLength(2);
    expect(views.feasibility).toEqual({ panels: [], failures: { timeout: 1, "nonzero-exit": 1 } });
    // Two complete trials are enough for a model: its importance and slices are in the report.
    expect(model.available).toBe(true);
    // The failure's message is in the table's data (the page writes it as text, not HTML).
    expect(views.trials.map((t) => t.reason)).toContain(`nonzero-exit: ${NASTY_MESSAGE}`);
  });
  it("writes every trial as JSON equal to the store's records", async () => {
    const trials = await populateSgd();
    const { code, stdout } = await bayestune(["export", "sgd", "--redis", REDIS_URL, "--prefix", prefix, "--format", "json"], 30_000);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(
      trials.map((t) => ({
        number: t.number,
        state: t.state,
        value: t.value ?? null,
        reason: t.reason ?? null,
        message: t.message ?? null,
        params: t.params,
        createdAt: new Date(t.createdAt).toISOString(),
        finishedAt: t.finishedAt === undefined ? null : new Date(t.finishedAt).toISOString(),
        rung: t.rung,
        worker: t.worker ?? null,
      })),
    );
  });

  it("exits 2 with one message for an unknown study or format", async () => {
    const unknown = await bayestune(["export", "nope", "--redis", REDIS_URL, "--prefix", prefix, "--format", "csv"], 30_000);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr.trimEnd().split("\n")).toEqual([
      `bayestune: no study named "nope" in prefix "${prefix}" on ${REDIS_URL}; \`bayestune status --redis <url> --prefix ${prefix}\` lists the studies`,
    ]);

    await populateSgd();
    const format = await bayestune(["export", "sgd", "--redis", REDIS_URL, "--prefix", prefix, "--format", "xlsx"], 30_000);
    expect(format.code).toBe(2);
    expect(format.stderr).toBe('bayestune: --format must be one of csv, json, html, got "xlsx"\n');
  });
});

describe("bad flags and configs exit 2", () => {
  it("worker: an unknown flag, a bad --slots, and --gpus with --slots", async () => {
    const unknown = await bayestune(["worker", "--redis", REDIS_URL, "--bogus"], 30_000);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown option '--bogus'/);

    const slots = await bayestune(["worker", "--redis", REDIS_URL, "--slots", "two"], 30_000);
    expect(slots.code).toBe(2);
    expect(slots.stderr).toBe('bayestune: --slots must be an integer >= 1, got "two"\n');

    const both = await bayestune(["worker", "--redis", REDIS_URL, "--gpus", "0,1", "--slots", "2"], 30_000);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe("bayestune: --gpus and --slots exclude each other (one slot per GPU), got --gpus 0,1 --slots 2\n");
  });

  it("worker and coordinator: no shared secret, or one too short, and nothing starts", async () => {
    const config = join(dir, "ok.json");
    writeFileSync(config, JSON.stringify({ name: "ok", maxTrials: 1, space: { x: { type: "float", low: 0, high: 1 } }, command: { argv: ["true"] } }));
    const { [SECRET_ENV]: _secret, ...withoutSecret } = process.env;
    for (const args of [["worker", "--redis", REDIS_URL], ["coordinator", config, "--redis", REDIS_URL, "--prefix", prefix]]) {
      const none = await bayestune(args, 30_000, withoutSecret);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(new RegExp(`^bayestune: bayestune ${args[0]} needs the cluster's shared secret .*set BAYESTUNE_SECRET or --secret-file FILE`));
      expect(none.stderr.trimEnd().split("\n")).toHaveLength(1);

      const shortFile = join(dir, "short-secret");
      writeFileSync(shortFile, "tiny\n");
      const short = await bayestune([...args, "--secret-file", shortFile], 30_000);
      expect(short.code).toBe(2);
      expect(short.stderr).toBe("bayestune: the shared secret must be at least 16 characters, got 4; make one with `openssl rand -hex 32`\n");
    }
  });

  it("coordinator: a config missing its required fields, and a bad --port", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "name: bad\nmaxTrials: -3\n");
    const bad = await bayestune(["coordinator", file, "--redis", REDIS_URL, "--prefix", prefix], 30_000);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^bayestune: config file .*bad\.yaml is invalid/);
    expect(bad.stderr).toMatch(/maxTrials/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    const port = await bayestune(["coordinator", file, "--redis", REDIS_URL, "--port", "70000"], 30_000);
    expect(port.code).toBe(2);
    expect(port.stderr).toBe('bayestune: --port must be an integer in [0, 65535], got "70000"\n');
  });
});
