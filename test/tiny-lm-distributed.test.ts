/*
 * The main job distributed, as the README's command sequence runs it: one
 * `bayestune coordinator` (with its HTTP API and Bull Board) and two
 * `bayestune worker` processes on the machine's Redis, training the tiny GPT at a
 * reduced budget. Needs examples/.venv (`npm test` sets it up).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterEach, expect, it } from "vitest";
import { RedisStore } from "@bayestune/store";
import { deleteKeysWithPrefix } from "./support/redis-keys.js";
import { cliPath, repositoryRoot as root } from "./support/run-cli.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const prefix = `test-tiny-lm-${randomUUID()}`;
const workers: ChildProcess[] = [];
let dir: string | undefined;

afterEach(async () => {
  for (const worker of workers.splice(0)) worker.kill("SIGTERM");
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  const connection = new Redis(REDIS_URL);
  await deleteKeysWithPrefix(connection, prefix);
  await connection.quit();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

it("runs the tiny-LM study through BullMQ on a coordinator and two workers, with Bull Board serving the queues", async () => {
  expect(existsSync(join(root, "examples/.venv/bin/python")), "examples/.venv is missing: run bash examples/setup-python.sh --hf").toBe(true);
  dir = await mkdtemp(join(tmpdir(), "bayestune-tiny-lm-dist-"));
  const config = readFileSync(join(root, "examples/tiny-lm/study.yaml"), "utf8")
    .replace("maxTrials: 16", "maxTrials: 4")
    .replaceAll('"300"', '"20"')
    .replace('--eval-every, "50"', '--eval-every, "10"');
  const file = join(dir, "study.yaml");
  await writeFile(file, config);
  // The coordinator and its workers share a secret: workers run only the jobs it signed.
  const env = { ...process.env, BAYESTUNE_SECRET: "tiny-lm-distributed-test-secret" };
  for (const name of ["gpu-box-1", "gpu-box-2"]) {
    workers.push(
      spawn(process.execPath, [cliPath, "worker", "--redis", REDIS_URL, "--prefix", prefix, "--slots", "1", "--work-dir", join(dir, name)], { cwd: root, stdio: "ignore", env }),
    );
  }
  const port = await freePort();
  const coordinator = promisify(execFile)(process.execPath, [cliPath, "coordinator", file, "--redis", REDIS_URL, "--prefix", prefix, "--port", String(port)], {
    cwd: root,
    timeout: 120_000,
    env,
  });
  // While the study runs, Bull Board and the API answer on 127.0.0.1.
  let board: Response | undefined;
  for (let i = 0; i < 100 && board === undefined; i++) {
    board = await fetch(`http://127.0.0.1:${port}/queues`).catch(() => undefined);
    if (board === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(board?.status).toBe(200);
  expect(await board!.text()).toContain("<html");
  const { stdout } = await coordinator;
  expect(stdout).toMatch(/^tiny-lm: 4 trials finished, 0 failed/);
  expect(stdout).toMatch(/best trial \d+: val_loss = [\d.]+/);

  const store = new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` });
  try {
    const trials = await store.getTrials("tiny-lm");
    expect(trials.map((t) => t.state)).toEqual(["complete", "complete", "complete", "complete"]);
    // Both workers took trials, and every trial reported the constraint metrics with its loss.
    expect(new Set(trials.map((t) => t.worker)).size).toBe(2);
    for (const trial of trials) expect(Object.keys(trial.metrics ?? {})).toEqual(expect.arrayContaining(["val_loss", "memory_mb", "seconds"]));
  } finally {
    await store.close();
  }
}, 150_000);
