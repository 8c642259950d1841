import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../src/errors.js";
import { SCHEMA_VERSION } from "../src/sqlite-schema.js";
import { SqliteStore } from "../src/sqlite-store.js";
import type { StoredTrial } from "../src/store.js";
import { describeStoreContract, studyConfig } from "./store-contract.js";
import { createTrial } from "../src/create-trial.js";

const newDir = () => mkdtempSync(join(tmpdir(), "bayestune-sqlite-"));

describeStoreContract("SqliteStore", async () => {
  const dir = newDir();
  const store = new SqliteStore({ path: join(dir, "study.db") });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeStoreContract("SqliteStore in memory", async () => {
  const store = new SqliteStore({ path: ":memory:" });
  return { store, cleanup: () => store.close() };
});

describe("SqliteStore on a file", () => {
  let dir: string;
  let path: string;
  const opened: SqliteStore[] = [];
  const open = () => {
    const store = new SqliteStore({ path });
    opened.push(store);
    return store;
  };
  beforeEach(() => {
    dir = newDir();
    path = join(dir, "study.db");
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives back the study, every trial and the sampler state after a close and a reopen", async () => {
    const first = open();
    const study = await first.createStudy(studyConfig());
    await first.createTrials(
      "tiny-lm",
      [
        { params: { lr: 0.001, layers: 2 }, source: "sampler", fidelity: 100 },
        { params: { lr: 0.1 + 0.2, layers: 3 }, source: "enqueued" },
        { params: { lr: 0.003, layers: 4 }, source: "sampler" },
      ],
      '{"sobol":{"index":3}}',
    );
    for (const step of [20, 10]) {
      await first.recordProgress({ kind: "progress", study: "tiny-lm", trial: 0, rung: 0, step, metrics: { loss: step / 10, acc: null } });
    }
    await first.finishTrial({ study: "tiny-lm", trial: 0, rung: 0, state: "complete", value: 2.5, checkpoint: "/ckpt/0-100", pause: true });
    await first.promoteTrial({ study: "tiny-lm", trial: 0, rung: 1, fidelity: 300 });
    await first.recordProgress({ kind: "progress", study: "tiny-lm", trial: 0, rung: 1, step: 5, metrics: { loss: 0.5 } });
    await first.finishTrial({ study: "tiny-lm", trial: 0, rung: 1, state: "complete", value: 1.75, metrics: { loss: 1.75 }, checkpoint: "/ckpt/0-300", worker: "gpu-1" });
    await first.finishTrial({ study: "tiny-lm", trial: 1, rung: 0, state: "failed", reason: "out-of-memory", message: "CUDA out of memory", attempts: 3 });
    const before = await first.getTrials("tiny-lm");
    await first.close();

    const reopened = open();
    expect(await reopened.listStudies()).toEqual(["tiny-lm"]);
    expect(await reopened.getStudy("tiny-lm")).toEqual(study);
    expect(await reopened.getSamplerState("tiny-lm")).toBe('{"sobol":{"index":3}}');
    const after = await reopened.getTrials("tiny-lm");
    expect(after).toEqual(before);
    expect(after[0]).toMatchObject({ state: "complete", rung: 1, fidelity: 300, checkpoint: "/ckpt/0-300", worker: "gpu-1" });
    expect(after[0]?.intermediate.map((v) => [v.rung, v.step])).toEqual([[0, 10], [0, 20], [1, 5]]);
    expect(after[0]?.rungs.map((r) => [r.rung, r.value, r.fidelity, r.checkpoint])).toEqual([
      [0, 2.5, 100, "/ckpt/0-100"],
      [1, 1.75, 300, "/ckpt/0-300"],
    ]);
    expect(Object.is(after[1]?.params.lr, 0.1 + 0.2)).toBe(true);
    // The resumed study goes on numbering where it stopped, and still knows the finishes applied.
    expect((await createTrial(reopened, "tiny-lm", { lr: 0.004, layers: 1 }, "sampler")).number).toBe(3);
    expect((await reopened.finishTrial({ study: "tiny-lm", trial: 1, rung: 0, state: "complete", value: 1 })).applied).toBe(false);
  });

  it("writes the documented schema, in WAL mode", async () => {
    await open().createStudy(studyConfig());
    const db = new Database(path, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(["intermediate_values", "rung_results", "studies", "trials"]);
      expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      db.close();
    }
  });

  it("numbers densely the trials that two stores on one file create in turns", async () => {
    const [a, b] = [open(), open()];
    await a.createStudy(studyConfig());
    const createFifty = async (store: SqliteStore, layers: number) => {
      const numbers: number[] = [];
      for (let i = 0; i < 50; i++) numbers.push((await createTrial(store, "tiny-lm", { lr: i, layers }, "sampler")).number);
      return numbers;
    };
    const [fromA, fromB] = await Promise.all([createFifty(a, 1), createFifty(b, 2)]);
    // Each store saw the other's trials: their numbers interleave.
    expect(fromA).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...fromA, ...fromB].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const stored = await b.getTrials("tiny-lm");
    for (const n of fromA) expect(stored[n]?.params.layers).toBe(1);
    for (const n of fromB) expect(stored[n]?.params.layers).toBe(2);
  });

  it("numbers densely the trials that two processes on one file create at the same time, each batch whole", async () => {
    checkBuildIsFresh();
    const writers = [startWriter(path, "a", "40", "--wait"), startWriter(path, "b", "40", "--wait")];
    await Promise.all(writers.map((w) => w.printed(/^ready$/m)));
    for (const w of writers) w.child.stdin?.end("go\n");
    for (const w of writers) expect(await w.exited).toEqual({ code: 0, signal: null, stderr: "" });

    const store = open();
    const trials = await store.getTrials("written");
    expect(checkWholeBatches(trials)).toEqual(new Map([["a", 40], ["b", 40]]));
    expect(trials.every((t) => t.state === (t.number % 3 === 0 ? "complete" : "running"))).toBe(true);
    expect(await store.getSamplerState("written")).toBe(JSON.stringify({ writer: trials.at(-1)?.params.writer, batch: 39 }));
  });

  it("keeps every write whole when the writing process is killed with SIGKILL", async () => {
    checkBuildIsFresh();
    const writer = startWriter(path, "a");
    // Killed once it is well into writing, at whatever write it is doing then.
    await writer.printed(/^batch 10$/m);
    writer.child.kill("SIGKILL");
    expect((await writer.exited).signal).toBe("SIGKILL");

    const store = open();
    const trials = await store.getTrials("written");
    const batches = checkWholeBatches(trials).get("a") ?? 0;
    expect(batches).toBeGreaterThan(10);
    // Every batch but the one it was killed in finished its first trial before the next began.
    expect(trials.filter((t) => t.state === "complete").length).toBeGreaterThanOrEqual(batches - 1);
    expect(await store.getSamplerState("written")).toBe(JSON.stringify({ writer: "a", batch: batches - 1 }));
    expect((await createTrial(store, "written", { lr: 0, layers: 1 }, "sampler")).number).toBe(trials.length);
  });

  it("refuses a file that is not a SQLite database, naming it, and leaves it as it was", () => {
    const text = "lr: 0.001\nlayers: 2\n".repeat(100);
    writeFileSync(path, text);
    const error = openError(path);
    expect(error.code).toBe("INVALID_RECORD");
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/must be a SQLite file that bayestune can open, got: file is not a database/);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("refuses the SQLite database of another program, and one written by a newer schema", async () => {
    const other = new Database(path);
    other.exec("CREATE TABLE notes (body TEXT)");
    other.close();
    expect(openError(path).message).toContain(`${path} must be a bayestune store, got a SQLite database of something else`);

    const newer = join(dir, "newer.db");
    const store = new SqliteStore({ path: newer });
    await store.createStudy(studyConfig());
    await store.close();
    const db = new Database(newer);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const error = openError(newer);
    expect(error.code).toBe("INVALID_RECORD");
    expect(error.message).toContain(`${newer} must have schema version ${SCHEMA_VERSION} or older`);
    expect(error.message).toContain(`got version ${SCHEMA_VERSION + 1}`);
  });

  it("names the path it cannot create, and refuses a bad option", () => {
    const missing = join(dir, "no-such-dir", "study.db");
    expect(openError(missing).message).toContain(missing);
    expect(() => new SqliteStore({ path: "" })).toThrow(/path must be a non-empty string/);
    expect(() => new SqliteStore({ path, busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs must be an integer >= 0, got -1/);
  });

  it("is unusable after close", async () => {
    const store = open();
    await store.createStudy(studyConfig());
    await store.close();
    await expect(store.listStudies()).rejects.toThrow(/not open/);
  });
});

const WRITER = fileURLToPath(new URL("./fixtures/write-batches.mjs", import.meta.url));
const SRC = fileURLToPath(new URL("../src", import.meta.url));
const BUILD_INFO = fileURLToPath(new URL("../dist/.tsbuildinfo", import.meta.url));

/** The writer process runs the build, not the sources: a stale build would test old code. */
function checkBuildIsFresh(): void {
  const newestSource = Math.max(...readdirSync(SRC).map((name) => statSync(join(SRC, name)).mtimeMs));
  if (!existsSync(BUILD_INFO) || statSync(BUILD_INFO).mtimeMs < newestSource) {
    throw new Error(`packages/store/dist must be built from the current sources: run \`npx tsc -b\` first`);
  }
}

interface Writer {
  child: ChildProcess;
  /** Resolves once the writer's output so far matches `pattern`. */
  printed(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** A process running ./fixtures/write-batches.mjs with `args` after the path. */
function startWriter(path: string, ...args: string[]): Writer {
  const child = spawn(process.execPath, [WRITER, path, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  const printed = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout)) resolve();
      };
      child.stdout.on("data", check);
      check();
      void exited.then(() => reject(new Error(`the writer must print ${String(pattern)} before it exits, got: ${stdout}${stderr}`)));
    });
  return { child, printed, exited };
}

/**
 * Checks that `trials` (a study's, as write-batches.mjs writes them) hold every write whole:
 * numbers dense from 0, each batch's 3 trials consecutive and in order, each writer's batches
 * in order, reports and results as written. Gives how many batches each writer wrote.
 */
function checkWholeBatches(trials: readonly StoredTrial[]): Map<string, number> {
  expect(trials.map((t) => t.number)).toEqual(trials.map((_, i) => i));
  expect(trials.length % 3).toBe(0);
  const batches = new Map<string, number>();
  for (let first = 0; first < trials.length; first += 3) {
    const writer = String(trials[first]?.params.writer);
    const batch = batches.get(writer) ?? 0;
    batches.set(writer, batch + 1);
    for (const [i, trial] of trials.slice(first, first + 3).entries()) {
      expect(trial.params).toEqual({ lr: batch, layers: i + 1, writer });
      expect(trial.intermediate).toEqual(trial.intermediate.map((_, step) => ({ rung: 0, step, metrics: { loss: batch + step } })));
      if (trial.state === "complete") {
        expect(i).toBe(0);
        expect(trial).toMatchObject({ value: batch, checkpoint: `/ckpt/${writer}-${batch}`, attempts: 1 });
        expect(trial.rungs).toEqual([{ rung: 0, value: batch, checkpoint: `/ckpt/${writer}-${batch}`, finishedAt: trial.finishedAt }]);
      } else {
        expect(trial).toMatchObject({ state: "running", rungs: [] });
      }
    }
  }
  return batches;
}

function openError(path: string): StoreError {
  try {
    void new SqliteStore({ path }).close();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error(`opening ${path} must fail`);
}
