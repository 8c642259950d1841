/*
 * Fatal start-up errors end `bayestune coordinator` and `bayestune worker` with
 * one line and a non-zero exit instead of a hang, and a Redis outage after start
 * is logged once per process, not once per reconnection attempt.
 * Real processes of the built CLI (`npx tsc -b` first) on a real Redis.
 */
import { afterEach, describe, expect, it } from "vitest";
import { RedisStore } from "@bayestune/store";
import {
  createCluster,
  destroyCluster,
  expectDenseFinished,
  finished,
  fixtureStudy,
  spawnCli,
  startCoordinator,
  startWorker,
  storedTrials,
  tail,
  waitFor,
  withTimeout,
  writeConfig,
  type Cluster,
  type Proc,
} from "./support/cluster.js";
import { cliErrorLine } from "./support/cli-error-line.js";
import { freePort, startRedisServer, stopRedisServer } from "./support/redis-server.js";

let cluster: Cluster | undefined;
afterEach(async () => {
  if (cluster !== undefined) await destroyCluster(cluster);
  cluster = undefined;
});

/** The exit of a process that must end on its own, well within the test's timeout. */
async function exitOf(proc: Proc, timeoutMs = 30_000): Promise<number | null> {
  const exit = await withTimeout(proc.exited, timeoutMs, () => `${proc.name} did not exit in ${timeoutMs} ms; output:\n${tail(proc)}`);
  return exit.code;
}

/** Log lines of a process that say Redis is unreachable. */
function unreachableLines(proc: Proc): string[] {
  return proc
    .output()
    .split("\n")
    .filter((line) => line.includes("unreachable"));
}

describe("fatal start-up errors", () => {
  it("a study config changed between restarts exits 2 with one line", async () => {
    const c = (cluster = createCluster());
    const file = writeConfig(c, fixtureStudy(c, "changed", { maxTrials: 4 }));
    const first = startCoordinator(c, file, "first");
    await waitFor("the study to be created", () => studyExists(c, "changed"));
    first.child.kill("SIGTERM");
    await exitOf(first);

    writeConfig(c, fixtureStudy(c, "changed", { maxTrials: 5 }));
    const again = startCoordinator(c, file, "again");
    expect(await exitOf(again)).toBe(2);
    expect(cliErrorLine(again)).toContain('"changed" (differs in: maxTrials)');
  });

  it.each(["coordinator", "worker"] as const)("%s: a --redis with nothing listening exits 2 with one line naming the URL without its password", async (command) => {
    const c = (cluster = createCluster());
    const port = await freePort();
    const url = `redis://alice:hunter2-secret@127.0.0.1:${port}`;
    const args =
      command === "coordinator"
        ? ["coordinator", writeConfig(c, fixtureStudy(c, "nowhere")), "--redis", url, "--prefix", c.prefix]
        : ["worker", "--redis", url, "--prefix", c.prefix, "--work-dir", c.dir];
    const proc = spawnCli(c, command, args);
    expect(await exitOf(proc)).toBe(2);
    const line = cliErrorLine(proc);
    expect(line).toContain(`redis://alice:`);
    expect(line).toContain(`@127.0.0.1:${port}`);
    expect(line).toContain("ECONNREFUSED");
    expect(proc.output()).not.toContain("hunter2-secret");
  });
});

describe("a Redis outage after start", () => {
  it("is logged once by the coordinator and once by each worker, and once more when Redis is back", async () => {
    let server = await startRedisServer(["--appendonly", "yes"]);
    const c = (cluster = createCluster(server.url));
    c.redisServer = server;
    const file = writeConfig(c, fixtureStudy(c, "outage", { maxTrials: 8, sleepMs: 300 }));
    const coordinator = startCoordinator(c, file);
    const workers = [startWorker(c, "w1"), startWorker(c, "w2")];
    await waitFor("a trial to complete", async () => (await storedTrials(c, "outage")).some((t) => t.state === "complete"));

    // Long enough for every connection to fail several reconnection attempts.
    await stopRedisServer(server, "SIGTERM", true);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    server = await startRedisServer(["--appendonly", "yes"], { port: server.port, dir: server.dir });
    c.redisServer = server;

    expect(await finished(c, coordinator, 90_000)).toEqual({ finished: 8, failed: 0 });
    expectDenseFinished(await storedTrials(c, "outage"), 8);
    for (const proc of [coordinator, ...workers]) {
      const lines = unreachableLines(proc);
      expect(lines, `${proc.name}:\n${tail(proc)}`).toHaveLength(1);
      expect(lines[0]).toContain(`Redis at ${server.url} unreachable`);
      expect(proc.output(), proc.name).toContain(`Redis at ${server.url} is back`);
    }
  }, 150_000);
});

async function studyExists(c: Cluster, study: string): Promise<boolean> {
  const store = new RedisStore({ redis: c.redisUrl, prefix: `${c.prefix}:bayestune` });
  try {
    return (await store.getStudy(study)) !== undefined;
  } finally {
    await store.close();
  }
}
