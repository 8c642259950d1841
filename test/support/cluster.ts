/*
 * A throwaway cluster for end-to-end tests: `bayestune coordinator` and
 * `bayestune worker` run as real processes of the built CLI (as users run them)
 * against a real Redis, under a prefix of their own and with a shared secret.
 * The training script test/fixtures/distributed-trial.mjs leaves marker files that
 * count executions per trial. Free of vitest (its checks throw AssertionError), so that
 * the faults bench runs the same scenarios.
 */
import { deepStrictEqual } from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SECRET_ENV, type StudyConfigInput } from "@bayestune/protocol";
import { RedisStore, type StoredTrial } from "@bayestune/store";
import { clearPrefix } from "./redis-keys.js";
import { stopRedisServer, type RedisServer } from "./redis-server.js";
import { cliPath, repositoryRoot } from "./run-cli.js";

export const FIXTURE = join(repositoryRoot, "test/fixtures/distributed-trial.mjs");
const DEFAULT_REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** Output kept per process: enough for the last few hundred log lines. */
const OUTPUT_LIMIT = 1 << 20;

export interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface Cluster {
  prefix: string;
  dir: string;
  /** Where the fixture leaves its marker files. */
  marks: string;
  redisUrl: string;
  /** The cluster's BAYESTUNE_SECRET, given to every process spawned by {@link spawnCli}. */
  secret: string;
  procs: Proc[];
  /** A redis-server of the test's own, stopped (SIGKILL) by {@link destroyCluster}. */
  redisServer?: RedisServer;
}

export function createCluster(redisUrl = DEFAULT_REDIS_URL): Cluster {
  const dir = mkdtempSync(join(tmpdir(), "bayestune-cluster-"));
  const marks = join(dir, "marks");
  mkdirSync(marks);
  return { prefix: `test-${randomUUID()}`, dir, marks, redisUrl, secret: randomBytes(24).toString("hex"), procs: [] };
}

/** Kills every process (and every trial they left), then removes the cluster's keys or its Redis, and its files. */
export async function destroyCluster(cluster: Cluster): Promise<void> {
  for (const proc of cluster.procs) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
  }
  killTrialGroups(cluster.marks);
  await Promise.all(cluster.procs.map((p) => p.exited));
  if (cluster.redisServer !== undefined) await stopRedisServer(cluster.redisServer, "SIGKILL");
  else await clearPrefix(cluster.redisUrl, cluster.prefix);
  rmSync(cluster.dir, { recursive: true, force: true });
}

/** Trials lead their own process groups, so a worker killed with SIGKILL leaves them running. */
export function killTrialGroups(marks: string): void {
  for (const { pid } of readMarks(marks)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // ESRCH: that group is gone already.
    }
  }
}

/** Runs `bayestune ARGS` with the cluster's secret in its environment (plus `env`), keeping its output. */
export function spawnCli(cluster: Cluster, name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: repositoryRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, [SECRET_ENV]: cluster.secret, ...env },
  });
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
  cluster.procs.push(proc);
  return proc;
}

export function startCoordinator(cluster: Cluster, configFile: string, name = "coordinator", extra: readonly string[] = []): Proc {
  return spawnCli(cluster, name, ["coordinator", configFile, "--redis", cluster.redisUrl, "--prefix", cluster.prefix, ...extra]);
}

/** A one-slot worker named `id`, its work dir under the cluster's (shared by default: one machine). */
export function startWorker(cluster: Cluster, id: string, extra: readonly string[] = []): Proc {
  return spawnCli(cluster, id, [
    "worker",
    "--redis",
    cluster.redisUrl,
    "--prefix",
    cluster.prefix,
    "--id",
    id,
    "--work-dir",
    join(cluster.dir, "work"),
    "--slots",
    "1",
    ...extra,
  ]);
}

export function writeConfig(cluster: Cluster, config: StudyConfigInput): string {
  const file = join(cluster.dir, `${config.name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** A study of the fixture script: loss (x - 0.3)^2, `sleepMs` of "training" per trial. */
export function fixtureStudy(cluster: Cluster, name: string, overrides: Partial<StudyConfigInput> & { sleepMs?: number } = {}): StudyConfigInput {
  const { sleepMs = 20, ...rest } = overrides;
  return {
    name,
    space: { x: { type: "float", low: 0, high: 1 } },
    sampler: "sobol",
    maxTrials: 10,
    command: {
      argv: [process.execPath, FIXTURE, "--x={x}"],
      env: { MARK_DIR: cluster.marks, SLEEP_MS: String(sleepMs) },
    },
    trialTimeoutSeconds: 30,
    ...rest,
  };
}

/** The fixture's ways to misbehave, and "missing": a program that does not exist. */
export const MISBEHAVIOUR_MODES = ["ok", "crash", "hang", "garbage", "flood", "missing"] as const;

/**
 * A study of `maxTrials` trials whose categorical `mode` picks how the fixture behaves
 * (see {@link MISBEHAVIOUR_MODES}), with a 1.5 s trial timeout: one launcher per mode
 * under the cluster's dir; "missing" has none, so its argv names a program that does not exist.
 */
export function misbehavingStudy(cluster: Cluster, name: string, maxTrials = 18): StudyConfigInput {
  const bin = join(cluster.dir, "bin");
  mkdirSync(bin, { recursive: true });
  for (const mode of MISBEHAVIOUR_MODES.filter((m) => m !== "missing")) {
    const launcher = join(bin, mode);
    writeFileSync(launcher, `#!/bin/sh\nexec "${process.execPath}" "${FIXTURE}" "$@"\n`);
    chmodSync(launcher, 0o755);
  }
  return fixtureStudy(cluster, name, {
    maxTrials,
    space: { x: { type: "float", low: 0, high: 1 }, mode: { type: "categorical", choices: [...MISBEHAVIOUR_MODES] } },
    command: { argv: [join(bin, "{mode}"), "--x={x}", "--mode={mode}"], env: { MARK_DIR: cluster.marks, SLEEP_MS: "20" } },
    trialTimeoutSeconds: 1.5,
  });
}

/** Waits for a coordinator to exit 0 and returns the counts of its summary line ("NAME: N trials finished, M failed"). */
export async function finished(cluster: Cluster, proc: Proc, timeoutMs: number): Promise<{ finished: number; failed: number }> {
  const exit = await withTimeout(proc.exited, timeoutMs, () => {
    // Every process's full log, for the post-mortem of a hang.
    for (const p of cluster.procs) writeFileSync(join(tmpdir(), `bayestune-${p.name}-fail.log`), p.output());
    return `${proc.name} did not exit in ${timeoutMs} ms (full logs: ${tmpdir()}/bayestune-*-fail.log); output:\n${tail(proc)}`;
  });
  deepStrictEqual(exit, { code: 0, signal: null }, `${proc.name} exited with ${JSON.stringify(exit)}:\n${tail(proc)}`);
  return summaryOf(proc);
}

/** The counts of the summary line a coordinator prints at its end ("NAME: N trials finished, M failed"), whatever its exit code. */
export function summaryOf(proc: Proc): { finished: number; failed: number } {
  const summary = /^\S+: (\d+) trials finished, (\d+) failed$/m.exec(proc.output());
  if (summary === null) throw new Error(`${proc.name} printed no summary line:\n${tail(proc)}`);
  return { finished: Number(summary[1]), failed: Number(summary[2]) };
}

export function tail(proc: Proc, chars = 4000): string {
  return proc.output().slice(-chars);
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
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

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Mark {
  trial: number;
  /** The pid of the process that spawned the trial: the worker. */
  worker: number;
  pid: number;
  kind: "start" | "done";
}

export function readMarks(marks: string): Mark[] {
  return readdirSync(marks).flatMap((file) => {
    const m = /^t(\d+)-w(\d+)-p(\d+)\.(start|done)$/.exec(file);
    return m === null ? [] : [{ trial: Number(m[1]), worker: Number(m[2]), pid: Number(m[3]), kind: m[4] as Mark["kind"] }];
  });
}

/** The arguments each trial's (first) execution was started with, by trial number. */
export function trialArguments(marks: string): Map<number, string> {
  const args = new Map<number, string>();
  for (const mark of readMarks(marks)) {
    if (mark.kind === "start" && !args.has(mark.trial)) args.set(mark.trial, readFileSync(join(marks, `t${mark.trial}-w${mark.worker}-p${mark.pid}.start`), "utf8"));
  }
  return args;
}

/** Executions that reached the final line, per trial number. */
export function doneCounts(marks: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const mark of readMarks(marks)) if (mark.kind === "done") counts.set(mark.trial, (counts.get(mark.trial) ?? 0) + 1);
  return counts;
}

export async function storedTrials(cluster: Cluster, study: string): Promise<StoredTrial[]> {
  const store = new RedisStore({ redis: cluster.redisUrl, prefix: `${cluster.prefix}:bayestune` });
  try {
    // Before the coordinator has created the study there is nothing to read.
    return (await store.getStudy(study)) === undefined ? [] : await store.getTrials(study);
  } finally {
    await store.close();
  }
}

/** The invariants of every finished study: `n` trials numbered 0..n-1, none running. */
export function expectDenseFinished(trials: readonly StoredTrial[], n: number): void {
  deepStrictEqual(trials.map((t) => t.number), Array.from({ length: n }, (_, i) => i));
  deepStrictEqual(trials.filter((t) => t.state === "running"), []);
}

/** Every complete trial ran to its final line exactly once, and no failed one did. */
export function expectExactlyOnce(cluster: Cluster, trials: readonly StoredTrial[]): void {
  const counts = doneCounts(cluster.marks);
  const wrong = trials
    .map((t) => ({ trial: t.number, state: t.state, done: counts.get(t.number) ?? 0 }))
    .filter(({ state, done }) => done !== (state === "complete" ? 1 : 0));
  deepStrictEqual(wrong, []);
}
