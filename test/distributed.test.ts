/*
 * End-to-end tests of distributed mode: the built coordinator and worker run as real
 * processes (`npx tsc -b` first) against a real Redis, and are killed with SIGKILL,
 * cut off from Redis and fed bad input. The training script is
 * test/fixtures/distributed-trial.mjs, whose marker files count executions per trial.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RESULTS_QUEUE, TRIALS_QUEUE, type StudyConfigInput, type TrialResultInput } from "@bayestune/protocol";
import { RedisStore, type StoredTrial } from "@bayestune/store";
import { SuccessiveHalving } from "@bayestune/core";
import { clearPrefix } from "./support/redis-keys.js";
import { startRedisServer, stopRedisServer, type RedisServer } from "./support/redis-server.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const COORDINATOR = join(root, "apps/coordinator/dist/main.js");
const WORKER = join(root, "apps/worker/dist/main.js");
const FIXTURE = join(root, "test/fixtures/distributed-trial.mjs");
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Output kept per process: enough for the last few hundred log lines. */
const OUTPUT_LIMIT = 1 << 20;

interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Env {
  prefix: string;
  dir: string;
  marks: string;
  redisUrl: string;
  procs: Proc[];
  redisServer?: RedisServer;
}

let env: Env | undefined;

function setup(): Env {
  const dir = mkdtempSync(join(tmpdir(), "bayestune-dist-"));
  const marks = join(dir, "marks");
  mkdirSync(marks);
  env = { prefix: `test-${randomUUID()}`, dir, marks, redisUrl: REDIS_URL, procs: [] };
  return env;
}

afterEach(async () => {
  const e = env;
  env = undefined;
  if (e === undefined) return;
  for (const proc of e.procs) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
  }
  killTrialGroups(e.marks);
  await Promise.all(e.procs.map((p) => p.exited));
  if (e.redisServer !== undefined) {
    await stopRedisServer(e.redisServer, "SIGKILL");
  } else {
    await clearPrefix(e.redisUrl, e.prefix);
  }
  rmSync(e.dir, { recursive: true, force: true });
});

/** Trials lead their own process groups, so a worker killed with SIGKILL leaves them running. */
function killTrialGroups(marks: string): void {
  for (const { pid } of readMarks(marks)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // ESRCH: that group is gone already.
    }
  }
}

interface Mark {
  trial: number;
  worker: number;
  pid: number;
  kind: "start" | "done";
}

function readMarks(marks: string): Mark[] {
  return readdirSync(marks).flatMap((file) => {
    const m = /^t(\d+)-w(\d+)-p(\d+)\.(start|done)$/.exec(file);
    return m === null ? [] : [{ trial: Number(m[1]), worker: Number(m[2]), pid: Number(m[3]), kind: m[4] as Mark["kind"] }];
  });
}

/** Successful executions (final line reached) per trial number. */
function doneCounts(marks: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const mark of readMarks(marks)) if (mark.kind === "done") counts.set(mark.trial, (counts.get(mark.trial) ?? 0) + 1);
  return counts;
}

function spawnNode(e: Env, name: string, args: string[]): Proc {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const keep = (chunk: Buffer): void => {
    text += chunk.toString("utf8");
    if (text.length > OUTPUT_LIMIT) text = text.slice(-OUTPUT_LIMIT / 2);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const proc: Proc = { name, child, output: () => text, exited };
  e.procs.push(proc);
  return proc;
}

function writeConfig(e: Env, config: StudyConfigInput): string {
  const file = join(e.dir, `${config.name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function startCoordinator(e: Env, configFile: string, name = "coordinator"): Proc {
  return spawnNode(e, name, [COORDINATOR, "--redis", e.redisUrl, "--config", configFile, "--prefix", e.prefix]);
}

function startWorker(e: Env, id: string, extra: string[] = []): Proc {
  return spawnNode(e, id, [
    WORKER,
    "--redis",
    e.redisUrl,
    "--prefix",
    e.prefix,
    "--id",
    id,
    "--work-dir",
    join(e.dir, "work"),
    "--slots",
    "1",
    ...extra,
  ]);
}

function studyConfig(e: Env, name: string, overrides: Partial<StudyConfigInput> & { sleepMs?: number } = {}): StudyConfigInput {
  const { sleepMs = 20, ...rest } = overrides;
  return {
    name,
    space: { x: { type: "float", low: 0, high: 1 } },
    sampler: "sobol",
    maxTrials: 10,
    command: {
      argv: [process.execPath, FIXTURE, "--x={x}"],
      env: { MARK_DIR: e.marks, SLEEP_MS: String(sleepMs) },
    },
    trialTimeoutSeconds: 30,
    ...rest,
  };
}

/** Waits for the coordinator to exit and returns its summary line. */
async function finished(proc: Proc, timeoutMs: number): Promise<{ finished: number; failed: number }> {
  const exit = await withTimeout(proc.exited, timeoutMs, () => {
    // Every process's full log, for the post-mortem of a hang.
    for (const p of env?.procs ?? [proc]) writeFileSync(join(tmpdir(), `bayestune-${p.name}-fail.log`), p.output());
    return `${proc.name} did not exit in ${timeoutMs} ms (full logs: ${tmpdir()}/bayestune-*-fail.log); output:\n${tail(proc)}`;
  });
  expect(exit, tail(proc)).toEqual({ code: 0, signal: null });
  const summary = proc
    .output()
    .split("\n")
    .filter((line) => line.startsWith('{"study"'))
    .at(-1);
  expect(summary, tail(proc)).toBeDefined();
  return JSON.parse(summary as string) as { finished: number; failed: number };
}

function tail(proc: Proc): string {
  return proc.output().slice(-4000);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function storedTrials(e: Env, study: string): Promise<StoredTrial[]> {
  const store = new RedisStore({ redis: e.redisUrl, prefix: `${e.prefix}:bayestune` });
  try {
    // Before the coordinator has created the study there is nothing to read.
    return (await store.getStudy(study)) === undefined ? [] : await store.getTrials(study);
  } finally {
    await store.close();
  }
}

/** The invariants of every finished study: `n` trials numbered 0..n-1, none running. */
function expectDenseFinished(trials: readonly StoredTrial[], n: number): void {
  expect(trials.map((t) => t.number)).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(trials.filter((t) => t.state === "running")).toEqual([]);
}

/** Every complete trial ran to its final line exactly once, and no failed one did. */
function expectExactlyOnce(e: Env, trials: readonly StoredTrial[]): void {
  const counts = doneCounts(e.marks);
  const wrong = trials
    .map((t) => ({ trial: t.number, state: t.state, done: counts.get(t.number) ?? 0 }))
    .filter(({ state, done }) => done !== (state === "complete" ? 1 : 0));
  expect(wrong).toEqual([]);
}

describe("distributed mode: real coordinator and worker processes on Redis", () => {
  it("runs 200 trials on 8 worker processes, each trial exactly once, every worker busy", async () => {
    const e = setup();
    const config = studyConfig(e, "eight-workers", { maxTrials: 200 });
    const workers = Array.from({ length: 8 }, (_, i) => startWorker(e, `w${i}`));
    const started = Date.now();
    const coordinator = startCoordinator(e, writeConfig(e, config));
    const summary = await finished(coordinator, 80_000);
    console.log(`200 trials on 8 workers: ${Date.now() - started} ms`);
    expect(summary).toEqual({ study: "eight-workers", finished: 200, failed: 0, best: expect.any(Object) });

    const trials = await storedTrials(e, "eight-workers");
    expectDenseFinished(trials, 200);
    expect(trials.every((t) => t.state === "complete")).toBe(true);
    expectExactlyOnce(e, trials);
    const perWorker = new Map<string, number>();
    for (const t of trials) perWorker.set(t.worker ?? "?", (perWorker.get(t.worker ?? "?") ?? 0) + 1);
    expect([...perWorker.keys()].sort()).toEqual(workers.map((w) => w.name).sort());
    console.log(`trials per worker: ${JSON.stringify(Object.fromEntries(perWorker))}`);
    // The objective went through the whole pipeline: loss = (x - 0.3)^2 from the trial's own params.
    for (const t of trials) expect(t.value).toBeCloseTo(((t.params["x"] as number) - 0.3) ** 2, 12);
  }, 90_000);

  it("finishes the study after the coordinator is killed with SIGKILL mid-study and restarted", async () => {
    const e = setup();
    const config = studyConfig(e, "coordinator-kill", { maxTrials: 30, sleepMs: 150 });
    const file = writeConfig(e, config);
    for (let i = 0; i < 3; i++) startWorker(e, `w${i}`);
    const first = startCoordinator(e, file, "coordinator-1");
    await waitFor("8 finished trials", () => (doneCounts(e.marks).size >= 8));
    first.child.kill("SIGKILL");
    await first.exited;
    expect((await storedTrials(e, "coordinator-kill")).filter((t) => t.state === "complete").length).toBeLessThan(30);
    // Workers keep running their trials and posting results while no coordinator listens.
    await sleep(500);
    const second = startCoordinator(e, file, "coordinator-2");
    const summary = await finished(second, 40_000);
    expect(summary.finished).toBe(30);

    const trials = await storedTrials(e, "coordinator-kill");
    expectDenseFinished(trials, 30);
    expect(trials.filter((t) => t.state !== "complete")).toEqual([]);
    expectExactlyOnce(e, trials);
  }, 60_000);

  it("keeps Hyperband's brackets and rungs across a SIGKILL of the coordinator", async () => {
    const e = setup();
    const config = studyConfig(e, "hyperband-kill", {
      maxTrials: 18,
      sleepMs: 150,
      fidelity: { min: 1, max: 9 },
      scheduler: { type: "hyperband" },
    });
    const file = writeConfig(e, config);
    for (let i = 0; i < 3; i++) startWorker(e, `w${i}`);
    const first = startCoordinator(e, file, "coordinator-1");
    const promotedOnce = async (): Promise<boolean> => (await storedTrials(e, "hyperband-kill")).some((t) => t.rungs.length > 1);
    await waitFor("a promotion", promotedOnce);
    first.child.kill("SIGKILL");
    await first.exited;
    await sleep(500);
    const second = startCoordinator(e, file, "coordinator-2");
    const summary = await finished(second, 50_000);
    expect(summary.finished).toBe(18);

    const trials = await storedTrials(e, "hyperband-kill");
    expect(trials.map((t) => t.number)).toEqual(Array.from({ length: 18 }, (_, i) => i));
    expect(trials.filter((t) => t.state === "running" || t.state === "failed")).toEqual([]);
    // Trial i's bracket follows from i alone, so the second coordinator put each trial where the first would have.
    const hyperband = new SuccessiveHalving({ min: 1, max: 9, brackets: 3 });
    const brackets: { bracket: number }[] = [];
    for (const trial of trials) {
      const bracket = hyperband.bracketForNew(brackets);
      brackets.push({ bracket });
      expect(trial.rungs.map((r) => r.fidelity)).toEqual(hyperband.rungs.slice(bracket, bracket + trial.rungs.length));
      expect(trial.state).toBe(bracket + trial.rungs.length === 3 ? "complete" : "paused");
    }
    // Each rung of each trial ran to its final line exactly once.
    const done = doneCounts(e.marks);
    expect(trials.filter((t) => (done.get(t.number) ?? 0) !== t.rungs.length).map((t) => t.number)).toEqual([]);
  }, 80_000);

  it("retries a trial whose worker was killed with SIGKILL on another worker, with the GP sampler", async () => {
    const e = setup();
    const config = studyConfig(e, "worker-kill", { maxTrials: 10, sleepMs: 600, sampler: "gp" });
    const workers = ["w0", "w1", "w2"].map((id) => startWorker(e, id, ["--lock-duration-ms", "1000"]));
    const coordinator = startCoordinator(e, writeConfig(e, config));
    await waitFor("a trial running", () => readMarks(e.marks).some((m) => m.kind === "start"));
    // A lost machine: the worker and the trial it was running both die.
    const victim = readMarks(e.marks).find((m) => m.kind === "start");
    const victimWorker = workers.find((w) => w.child.pid === victim?.worker);
    expect(victimWorker).toBeDefined();
    victimWorker?.child.kill("SIGKILL");
    process.kill(-(victim as Mark).pid, "SIGKILL");
    const summary = await finished(coordinator, 50_000);
    expect(summary).toMatchObject({ finished: 10, failed: 0 });

    const trials = await storedTrials(e, "worker-kill");
    expectDenseFinished(trials, 10);
    expectExactlyOnce(e, trials);
    const retried = trials[(victim as Mark).trial];
    expect(retried?.state).toBe("complete");
    expect(retried?.worker).not.toBe(victimWorker?.name);
    const starts = readMarks(e.marks).filter((m) => m.kind === "start" && m.trial === victim?.trial);
    expect(starts.length).toBe(2);
  }, 60_000);

  it("survives a restart of an AOF-backed Redis mid-study and finishes it", async () => {
    const e = setup();
    const redisArgs = ["--appendonly", "yes", "--appendfsync", "always"];
    let server = await startRedisServer(redisArgs);
    const { port, dir: redisDir } = server;
    e.redisServer = server;
    e.redisUrl = server.url;
    const config = studyConfig(e, "redis-restart", { maxTrials: 24, sleepMs: 100 });
    // The lock must outlive an outage (~2-4 s here), or a running trial's job is handed out again
    // and runs twice. It must also be short: a crash can lose the reply to a worker's fetch that
    // Redis ran and logged, leaving the job active under a lock nobody holds until it expires and
    // the stalled-job check hands it back; with the default 30 s that alone can pass 60 s.
    startWorker(e, "w0", ["--lock-duration-ms", "10000"]);
    startWorker(e, "w1", ["--lock-duration-ms", "10000"]);
    const coordinator = startCoordinator(e, writeConfig(e, config));
    const completeCount = async (): Promise<number> =>
      (await storedTrials(e, "redis-restart")).filter((t) => t.state === "complete").length;
    // Two outages while trials run: a clean SHUTDOWN, then a SIGKILL (appendfsync always loses no acknowledged write).
    for (const [threshold, how] of [[6, "shutdown"], [14, "kill"]] as const) {
      await waitFor(`${threshold} complete trials`, async () => (await completeCount()) >= threshold);
      if (how === "shutdown") {
        const exited = new Promise((resolve) => server.child.once("exit", resolve));
        const admin = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 0, retryStrategy: () => null });
        admin.on("error", () => undefined);
        await admin.call("SHUTDOWN").catch(() => undefined);
        admin.disconnect();
        await exited;
      }
      await stopRedisServer(server, "SIGKILL", true);
      await sleep(1500);
      server = await startRedisServer(redisArgs, { port, dir: redisDir });
      e.redisServer = server;
      // The outage came mid-study, and what was acknowledged before it survived it.
      expect(await completeCount()).toBeGreaterThanOrEqual(threshold);
      expect(await completeCount()).toBeLessThan(24);
    }

    const summary = await finished(coordinator, 60_000);
    expect(summary.finished).toBe(24);
    for (const proc of e.procs.filter((p) => p.name !== "coordinator")) {
      expect(proc.child.exitCode, `${proc.name} exited:\n${tail(proc)}`).toBeNull();
    }
    const trials = await storedTrials(e, "redis-restart");
    expectDenseFinished(trials, 24);
    expect(trials.filter((t) => t.state !== "complete")).toEqual([]);
    expectExactlyOnce(e, trials);
  }, 90_000);

  it("fails each misbehaving trial with a clear reason and drops malformed queue messages, with no crash", async () => {
    const e = setup();
    const bin = join(e.dir, "bin");
    mkdirSync(bin);
    const modes = ["ok", "crash", "hang", "garbage", "flood", "missing"];
    // One launcher per mode; "missing" has none, so its argv names a program that does not exist.
    for (const mode of modes.filter((m) => m !== "missing")) {
      const launcher = join(bin, mode);
      writeFileSync(launcher, `#!/bin/sh\nexec "${process.execPath}" "${FIXTURE}" "$@"\n`);
      chmodSync(launcher, 0o755);
    }
    const config = studyConfig(e, "bad-input", {
      maxTrials: 18,
      space: { x: { type: "float", low: 0, high: 1 }, mode: { type: "categorical", choices: modes } },
      command: { argv: [join(bin, "{mode}"), "--x={x}", "--mode={mode}"], env: { MARK_DIR: e.marks, SLEEP_MS: "20" } },
      trialTimeoutSeconds: 1.5,
    });
    const workers = ["w0", "w1"].map((id) => startWorker(e, id));
    const coordinator = startCoordinator(e, writeConfig(e, config));

    const redis = new Redis(e.redisUrl, { maxRetriesPerRequest: null });
    const trialsQueue = new Queue(TRIALS_QUEUE, { connection: redis, prefix: e.prefix });
    const resultsQueue = new Queue(RESULTS_QUEUE, { connection: redis, prefix: e.prefix });
    try {
      await trialsQueue.add("trial", { hello: "world" }, { jobId: "malformed-job", attempts: 3 });
      await resultsQueue.add("result", { kind: "result", study: "bad-input", trial: -1 }, { jobId: "malformed-result" });
      const summary = await finished(coordinator, 60_000);
      expect(summary.finished).toBe(18);

      // Neither message crashed anything, each was logged with its reason, and the bad job was not retried.
      expect(workers.map((w) => w.child.exitCode)).toEqual([null, null]);
      expect(coordinator.output()).toMatch(/"jobId":"malformed-result".*invalid worker message dropped/);
      expect(workers.map((w) => w.output()).join("")).toMatch(/"jobId":"malformed-job".*invalid trial job/);
      const badJob = await trialsQueue.getJob("malformed-job");
      expect(await badJob?.getState()).toBe("failed");
      expect(badJob?.attemptsMade).toBe(1);
      expect(badJob?.failedReason).toMatch(/study/);
      expect(await (await resultsQueue.getJob("malformed-result"))?.getState()).toBe("completed");
    } finally {
      await trialsQueue.close();
      await resultsQueue.close();
      redis.disconnect();
    }

    const trials = await storedTrials(e, "bad-input");
    expectDenseFinished(trials, 18);
    const expected: Record<string, { state: string; reason?: string; message?: RegExp }> = {
      ok: { state: "complete" },
      flood: { state: "complete" },
      crash: { state: "failed", reason: "nonzero-exit", message: /3/ },
      hang: { state: "failed", reason: "timeout" },
      garbage: { state: "failed", reason: "no-metric" },
      missing: { state: "failed", reason: "command-not-found" },
    };
    const seen = new Set<string>();
    for (const t of trials) {
      const mode = t.params["mode"] as string;
      seen.add(mode);
      const want = expected[mode];
      expect({ mode, state: t.state, reason: t.reason }).toEqual({ mode, state: want?.state, reason: want?.reason });
      if (t.state === "failed") expect(t.message, `trial ${t.number} (${mode})`).toMatch(want?.message ?? /\S/);
      else expect(t.value).toBeCloseTo(((t.params["x"] as number) - 0.3) ** 2, 12);
    }
    expect([...seen].sort()).toEqual([...modes].sort());
  }, 90_000);

  it("ignores a result delivered twice", async () => {
    const e = setup();
    const config = studyConfig(e, "duplicate", { maxTrials: 12, sleepMs: 300 });
    startWorker(e, "w0");
    const coordinator = startCoordinator(e, writeConfig(e, config));
    await waitFor("trial 0 complete", async () => (await storedTrials(e, "duplicate"))[0]?.state === "complete");
    const before = (await storedTrials(e, "duplicate"))[0] as StoredTrial;

    const redis = new Redis(e.redisUrl, { maxRetriesPerRequest: null });
    const resultsQueue = new Queue(RESULTS_QUEUE, { connection: redis, prefix: e.prefix });
    try {
      const duplicate: TrialResultInput = {
        kind: "result",
        study: "duplicate",
        trial: 0,
        rung: 0,
        state: "complete",
        value: 1234.5,
        metrics: { loss: 1234.5 },
        durationSeconds: 1,
        worker: "impostor",
      };
      // Once under the worker's own job ID (BullMQ drops it) and once under a new one (the store must).
      await resultsQueue.add("result", duplicate, { jobId: "duplicate-0-0-result" });
      const again = await resultsQueue.add("result", duplicate, { jobId: "duplicate-0-0-result-again" });
      await waitFor("the duplicate consumed", async () => (await again.getState()) === "completed", 20_000);
      expect(await storedTrials(e, "duplicate").then((t) => t[0])).toEqual(before);

      const summary = await finished(coordinator, 40_000);
      expect(summary).toMatchObject({ finished: 12, failed: 0 });
    } finally {
      await resultsQueue.close();
      redis.disconnect();
    }
    const trials = await storedTrials(e, "duplicate");
    expectDenseFinished(trials, 12);
    expect(trials[0]).toEqual(before);
    expectExactlyOnce(e, trials);
  }, 60_000);
});

