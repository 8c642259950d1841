/*
 * Sequential means sequential, and a restart changes nothing: a GP study on one
 * worker slot, run by the `bayestune` CLI as users run it (embedded `tune`, or
 * `coordinator` + `worker` on a real Redis, the coordinator killed with SIGKILL
 * and restarted; or embedded `tune` killed or interrupted and run again, resuming
 * from its store file), proposes the same configurations trial for trial. The training
 * script (test/fixtures/distributed-trial.mjs) is deterministic and records the
 * arguments each trial was started with.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createCluster,
  destroyCluster,
  doneCounts,
  finished,
  killTrialGroups,
  readMarks,
  spawnCli,
  fixtureStudy,
  startCoordinator,
  startWorker,
  storedTrials,
  trialArguments,
  waitFor,
  writeConfig,
  type Cluster,
} from "./support/cluster.js";
import { bayestune } from "./support/run-cli.js";

const TRIALS = 16;

let env: Cluster | undefined;
afterEach(async () => {
  const e = env;
  env = undefined;
  if (e !== undefined) await destroyCluster(e);
});

/** A GP study of the fixture over two parameters (the loss depends on x), recording into its own marks folder. */
function gpStudy(cluster: Cluster, name: string): { file: string; marks: string } {
  const marks = join(cluster.dir, `marks-${name}`);
  mkdirSync(marks);
  const config = fixtureStudy(cluster, name, {
    space: { x: { type: "float", low: 0, high: 1 }, lr: { type: "float", low: 1e-4, high: 1e-1, log: true } },
    sampler: "gp",
    seed: 11,
    maxTrials: TRIALS,
    sleepMs: 150,
  });
  config.command = { ...config.command, argv: [...config.command.argv, "--lr={lr}"], env: { ...config.command.env, MARK_DIR: marks } };
  return { file: writeConfig(cluster, config), marks };
}

/**
 * Runs the study on one worker slot through a coordinator, killing and
 * restarting the coordinator when `killAt` trials are complete. The worker stops
 * at the end: a worker left running would serve the next study as a second slot.
 */
async function runDistributed(cluster: Cluster, file: string, name: string, killAt: readonly number[] = []): Promise<void> {
  const worker = startWorker(cluster, `worker-${name}`);
  let coordinator = startCoordinator(cluster, file, `coordinator-${name}`);
  for (const [i, k] of killAt.entries()) {
    await waitFor(`${k} complete trials of ${name}`, async () => (await storedTrials(cluster, name)).filter((t) => t.state === "complete").length >= k, 60_000);
    coordinator.child.kill("SIGKILL");
    await coordinator.exited;
    coordinator = startCoordinator(cluster, file, `coordinator-${name}-${i + 1}`);
  }
  expect(await finished(cluster, coordinator, 120_000)).toEqual({ finished: TRIALS, failed: 0 });
  worker.child.kill("SIGTERM");
  await worker.exited;
  // One slot: each trial was created only after the result of the one before was applied (both stamped by the coordinator's store writes).
  const trials = await storedTrials(cluster, name);
  for (let k = 1; k < trials.length; k++) expect(trials[k]!.createdAt, `trial ${k} created before trial ${k - 1}'s result was applied`).toBeGreaterThanOrEqual(trials[k - 1]!.finishedAt!);
}

describe("one worker slot: the same seed and results give the same trials, whatever runs them", () => {
  it("a distributed study (coordinator and worker on Redis) proposes exactly what embedded `bayestune tune` does", async () => {
    const cluster = (env = createCluster());
    const embedded = gpStudy(cluster, "embedded");
    const { code, stdout, stderr } = await bayestune(["tune", embedded.file, "--slots", "1", "--no-progress", "--work-dir", join(cluster.dir, "tune")]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(new RegExp(`embedded: ${TRIALS} trials finished`));

    const distributed = gpStudy(cluster, "distributed");
    await runDistributed(cluster, distributed.file, "distributed");

    const expected = trialArguments(embedded.marks);
    expect(expected.size).toBe(TRIALS);
    // The GP proposed the later trials (the first ones are the Sobol design): every one must match to the last digit.
    expect(new Set(expected.values()).size).toBe(TRIALS);
    expect(Object.fromEntries(trialArguments(distributed.marks))).toEqual(Object.fromEntries(expected));
  }, 240_000);

  it("a study whose coordinator is killed with SIGKILL twice and restarted proposes what the uninterrupted one did", async () => {
    const cluster = (env = createCluster());
    const uninterrupted = gpStudy(cluster, "uninterrupted");
    await runDistributed(cluster, uninterrupted.file, "uninterrupted");
    const restarted = gpStudy(cluster, "restarted");
    // Once in the Sobol design's last trials, once where the GP proposes.
    await runDistributed(cluster, restarted.file, "restarted", [4, 10]);

    const expected = trialArguments(uninterrupted.marks);
    expect(expected.size).toBe(TRIALS);
    expect(Object.fromEntries(trialArguments(restarted.marks))).toEqual(Object.fromEntries(expected));
    const trials = await storedTrials(cluster, "restarted");
    expect(trials.map((t) => t.value)).toEqual((await storedTrials(cluster, "uninterrupted")).map((t) => t.value));
  }, 300_000);

  it("an embedded study killed with SIGKILL, then interrupted with SIGINT, resumes from its store when run again and proposes what the uninterrupted one did", async () => {
    const cluster = (env = createCluster());
    const whole = gpStudy(cluster, "whole");
    const once = await bayestune(["tune", whole.file, "--slots", "1", "--no-progress", "--work-dir", join(cluster.dir, "whole-run")]);
    expect(once.code, once.stderr).toBe(0);

    const resumed = gpStudy(cluster, "resumed");
    const args = ["tune", resumed.file, "--slots", "1", "--no-progress", "--work-dir", join(cluster.dir, "resumed-run")];
    const done = (): number => [...doneCounts(resumed.marks).values()].reduce((sum, n) => sum + n, 0);
    /** Processes of trials that an earlier run left unfinished: not running now. */
    const abandoned = new Set<number>();
    /** A trial is running (started, not done): an interruption then leaves it running in the store. */
    const oneRunning = (): boolean => {
      const marks = readMarks(resumed.marks);
      const finishedPids = new Set(marks.filter((m) => m.kind === "done").map((m) => m.pid));
      return marks.some((m) => m.kind === "start" && !finishedPids.has(m.pid) && !abandoned.has(m.pid));
    };
    const abandonUnfinished = (): void => {
      const marks = readMarks(resumed.marks);
      const finishedPids = new Set(marks.filter((m) => m.kind === "done").map((m) => m.pid));
      for (const m of marks) if (m.kind === "start" && !finishedPids.has(m.pid)) abandoned.add(m.pid);
    };
    const killed = spawnCli(cluster, "tune-killed", args);
    await waitFor("4 finished trials and one running", () => done() >= 4 && oneRunning(), 60_000);
    killed.child.kill("SIGKILL");
    await killed.exited;
    // Its running trial's process group outlives a SIGKILL of tune; the rerun starts that trial again.
    killTrialGroups(resumed.marks);
    abandonUnfinished();
    const interrupted = spawnCli(cluster, "tune-interrupted", args);
    await waitFor("10 finished trials and one running", () => done() >= 10 && oneRunning(), 60_000);
    interrupted.child.kill("SIGINT");
    expect((await interrupted.exited).code).toBe(130);
    expect(interrupted.output()).toMatch(/resuming study "resumed" from .*studies\.sqlite: \d+ trials finished, 1 interrupted \(run again\)/);

    const last = await bayestune(args);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stderr).toMatch(/resuming study "resumed"/);
    expect(last.stdout).toMatch(new RegExp(`resumed: ${TRIALS} trials finished, 0 failed`));
    expect(Object.fromEntries(trialArguments(resumed.marks))).toEqual(Object.fromEntries(trialArguments(whole.marks)));
    // Finished trials were kept, not run again: only a trial running at an interruption ran twice.
    const counts = doneCounts(resumed.marks);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([...Array(TRIALS).keys()]);
    expect(done()).toBeLessThanOrEqual(TRIALS + 2);

    const status = await bayestune(["status", "resumed", "--store", join(cluster.dir, "resumed-run", "studies.sqlite"), "--json"]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ complete: TRIALS, running: 0, failed: 0, total: TRIALS });
  }, 300_000);
});
