/*
 * One coordinator per study: a second `bayestune coordinator` beside a live one
 * exits 2 and leaves the study to it; one started right after a kill -9 of the
 * last takes the study over once that one's lease lapses. Real processes of the
 * built CLI (`npx tsc -b` first) on a real Redis.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  createCluster,
  destroyCluster,
  expectDenseFinished,
  expectExactlyOnce,
  finished,
  fixtureStudy,
  startCoordinator,
  startWorker,
  storedTrials,
  tail,
  waitFor,
  withTimeout,
  writeConfig,
  type Cluster,
} from "./support/cluster.js";
import { cliErrorLine } from "./support/cli-error-line.js";

let cluster: Cluster | undefined;
afterEach(async () => {
  if (cluster !== undefined) await destroyCluster(cluster);
  cluster = undefined;
});

describe("the study lease", () => {
  it("refuses a second coordinator on a live study with exit 2 and one line; the first finishes it", async () => {
    const c = (cluster = createCluster());
    // 8 trials of 1 s on 2 workers outlast the 3 s lease: a study that ended sooner would free the
    // lease before the second coordinator is refused, and that one would take the finished study over.
    const file = writeConfig(c, fixtureStudy(c, "contested", { maxTrials: 8, sleepMs: 1000 }));
    const coordinators = [startCoordinator(c, file, "a", ["--lease", "3000"]), startCoordinator(c, file, "b", ["--lease", "3000"])];
    startWorker(c, "w1");
    startWorker(c, "w2");

    const exits = await withTimeout(Promise.all(coordinators.map((p) => p.exited)), 90_000, () =>
      coordinators.map((p) => `${p.name} (exit code ${String(p.child.exitCode)}):\n${tail(p)}`).join("\n"),
    );
    const codes = exits.map((e) => e.code).sort();
    expect(codes, coordinators.map((p) => tail(p)).join("\n")).toEqual([0, 2]);
    const winner = coordinators[exits.findIndex((e) => e.code === 0)];
    const refused = coordinators[exits.findIndex((e) => e.code === 2)];
    if (winner === undefined || refused === undefined) throw new Error("the exit codes are 0 and 2, so both are found");

    const line = cliErrorLine(refused);
    expect(line).toContain('study "contested"');
    expect(line).toContain(`pid ${winner.child.pid}`);
    expect(line).toContain("lease lapses");

    expect(await finished(c, winner, 1_000)).toEqual({ finished: 8, failed: 0 });
    const trials = await storedTrials(c, "contested");
    expectDenseFinished(trials, 8);
    expectExactlyOnce(c, trials);
  });

  it("lets a coordinator started right after a kill -9 of the last take the study over once its lease lapses", async () => {
    const c = (cluster = createCluster());
    const file = writeConfig(c, fixtureStudy(c, "handover", { maxTrials: 10, sleepMs: 300 }));
    // The default lease (10 s): longer than the new coordinator takes to start, so it finds the old lease.
    const first = startCoordinator(c, file, "first");
    startWorker(c, "w1");
    startWorker(c, "w2");
    await waitFor("three trials to complete", async () => (await storedTrials(c, "handover")).filter((t) => t.state === "complete").length >= 3, 60_000);
    first.child.kill("SIGKILL");
    await first.exited;

    const second = startCoordinator(c, file, "second");
    expect(await finished(c, second, 90_000)).toEqual({ finished: 10, failed: 0 });
    expect(second.output()).toContain("study lease taken over");
    const trials = await storedTrials(c, "handover");
    expectDenseFinished(trials, 10);
    expectExactlyOnce(c, trials);
  });

  it("stops a coordinator whose lease another took (exit 2, one line)", async () => {
    const c = (cluster = createCluster());
    const file = writeConfig(c, fixtureStudy(c, "usurped"));
    const coordinator = startCoordinator(c, file, "coordinator", ["--lease", "1000"]);
    const key = `${c.prefix}:bayestune:study:usurped:lease`;
    const redis = new Redis(c.redisUrl);
    try {
      await waitFor("the lease to be taken", async () => (await redis.exists(key)) === 1);
      // What a coordinator that took the lease while this one could not renew it would have written.
      const other = { owner: "elsewhere-4242-abc", host: "elsewhere", pid: 4242, since: new Date().toISOString(), leaseMs: 60_000 };
      await redis.set(key, JSON.stringify(other), "PX", 60_000);
    } finally {
      await redis.quit();
    }
    const exit = await withTimeout(coordinator.exited, 30_000, () => `the coordinator did not exit; output:\n${tail(coordinator)}`);
    expect(exit.code, tail(coordinator)).toBe(2);
    expect(cliErrorLine(coordinator)).toContain('study "usurped" taken over by another (host elsewhere, pid 4242');
  });
});
