import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterEach, expect, it } from "vitest";
import { deleteKeysWithPrefix } from "../../../test/support/redis-keys.js";
import { cliPath } from "../../../test/support/run-cli.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const run = promisify(execFile);
const prefix = `test-cli-${randomUUID()}`;
const dir = mkdtempSync(join(tmpdir(), "bayestune-cli-dist-"));

afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  const connection = new Redis(REDIS_URL);
  await deleteKeysWithPrefix(connection, prefix);
  await connection.quit();
});

it("`bayestune coordinator` and `bayestune worker` run a study to its end; the worker stops cleanly on SIGTERM", async () => {
  // The objective's minimum 0 is at x = 0.3; the best of 4 Sobol points is printed from the store.
  const script = join(dir, "train.mjs");
  writeFileSync(script, `console.log(JSON.stringify({ final: true, loss: (Number(process.argv[2]) - 0.3) ** 2 }));`);
  const config = join(dir, "study.json");
  writeFileSync(
    config,
    JSON.stringify({ name: "cli-e2e", maxTrials: 4, sampler: "sobol", space: { x: { type: "float", low: 0, high: 1 } }, command: { argv: [process.execPath, script, "{x}"] } }),
  );
  // The shared secret from the environment for the worker, from a file for the coordinator.
  const secret = "a-secret-shared-by-the-coordinator-and-worker";
  const secretFile = join(dir, "secret");
  writeFileSync(secretFile, `${secret}\n`);
  const worker = spawn(process.execPath, [cliPath, "worker", "--redis", REDIS_URL, "--prefix", prefix, "--slots", "2", "--work-dir", join(dir, "runs")], {
    stdio: "ignore",
    env: { ...process.env, BAYESTUNE_SECRET: secret },
  });
  const workerExit = new Promise<number | null>((resolve) => worker.once("exit", resolve));
  try {
    const { stdout } = await run(process.execPath, [cliPath, "coordinator", config, "--redis", REDIS_URL, "--prefix", prefix, "--secret-file", secretFile], { timeout: 30_000 });
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("cli-e2e: 4 trials finished, 0 failed");
    const best = /^best trial (\d): loss = (\S+)$/.exec(lines[1] ?? "");
    const params = /^ {2}params: (.*)$/.exec(lines[2] ?? "");
    const x = (JSON.parse(params?.[1] ?? "null") as { x: number }).x;
    expect(Number(best?.[2])).toBe((x - 0.3) ** 2);

    const status = await run(process.execPath, [cliPath, "status", "cli-e2e", "--redis", REDIS_URL, "--prefix", prefix, "--json"]);
    const report = JSON.parse(status.stdout) as { complete: number; best: { number: number } };
    expect(report.complete).toBe(4);
    expect(report.best.number).toBe(Number(best?.[1]));
  } finally {
    worker.kill("SIGTERM");
  }
  expect(await workerExit).toBe(0);
});
