// A promoted rung resumes from its previous rung's checkpoint on whichever worker it lands
// (issue 15, item 8): two workers with work dirs of their own, as on two machines. Real
// `bayestune coordinator` and `bayestune worker` processes on a real Redis; run `npx tsc -b` first.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StudyConfigInput } from "@bayestune/protocol";
import {
  createCluster,
  destroyCluster,
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
import { bayestune, repositoryRoot } from "./support/run-cli.js";

const SCRIPT = join(repositoryRoot, "test/fixtures/checkpoint-trial.mjs");

interface Run {
  trial: number;
  rung: number;
  steps: number;
  from: number;
  checkpoint: string | null;
  worker: number;
}

let cluster: Cluster;
beforeEach(() => {
  cluster = createCluster();
});
afterEach(async () => {
  await destroyCluster(cluster);
});

/**
 * ASHA over budgets 10 and 30 and three configurations; trial 0 has the lowest loss, so
 * the third rung-0 result promotes it. Worker A alone runs rung 0 of trials 0 and 1 and
 * starts trial 2, held by a file; A is then stopped (trial 2 goes back to the queue) and
 * its work dir moved away, as if it were another machine's disk. Worker B, with a work
 * dir of its own, runs trial 2 and then the promotion of trial 0, whose rung 0 ran on A.
 */
async function promoteOnAnotherWorker(workerFlags: readonly string[]): Promise<{ runs: Run[]; a: number; b: number; coordinator: Proc; summary: string }> {
  const log = join(cluster.dir, "runs.log");
  const hold = join(cluster.dir, "hold");
  writeFileSync(hold, "");
  const config: StudyConfigInput = {
    name: "ckpt",
    space: { x: { type: "float", low: 0, high: 1 } },
    sampler: "sobol",
    maxTrials: 3,
    fidelity: { min: 10, max: 30, reductionFactor: 3 },
    scheduler: { type: "asha" },
    command: { argv: [process.execPath, SCRIPT], env: { LOG: log, HOLD_FILE: hold, HOLD_TRIAL: "2" } },
    trialTimeoutSeconds: 60,
  };
  const coordinator = startCoordinator(cluster, writeConfig(cluster, config));
  const workA = join(cluster.dir, "work-A");
  const a = startWorker(cluster, "A", ["--work-dir", workA, ...workerFlags]);
  const runs = (): Run[] => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Run) : []);
  await waitFor("worker A to start trial 2", () => runs().some((run) => run.trial === 2 && run.worker === a.child.pid), 30_000);
  a.child.kill("SIGTERM");
  expect(await a.exited, tail(a)).toEqual({ code: 0, signal: null });
  renameSync(workA, `${workA}-on-another-machine`);
  rmSync(hold);
  const b = startWorker(cluster, "B", ["--work-dir", join(cluster.dir, "work-B"), ...workerFlags]);
  await withTimeout(coordinator.exited, 30_000, () => `the coordinator did not finish the study:\n${tail(coordinator)}`);
  const summary = /^ckpt: .*$/m.exec(coordinator.output())?.[0] ?? tail(coordinator);
  return { runs: runs(), a: a.child.pid ?? -1, b: b.child.pid ?? -1, coordinator, summary };
}

describe("checkpoints across workers", () => {
  it("with a shared --checkpoint-dir, a promotion on another worker resumes from the previous rung's checkpoint", async () => {
    const shared = join(cluster.dir, "shared-checkpoints");
    mkdirSync(shared);
    const { runs, a, b, coordinator, summary } = await promoteOnAnotherWorker(["--checkpoint-dir", shared]);
    expect(await coordinator.exited, tail(coordinator)).toEqual({ code: 0, signal: null });
    expect(summary).toBe("ckpt: 3 trials finished, 0 failed");
    expect(runs.filter((run) => run.trial === 0)).toEqual([
      { trial: 0, rung: 0, steps: 10, from: 0, checkpoint: null, worker: a },
      { trial: 0, rung: 1, steps: 30, from: 10, checkpoint: join(shared, "ckpt", "0", "step.txt"), worker: b },
    ]);
    const [promoted] = await storedTrials(cluster, "ckpt");
    expect(promoted).toMatchObject({ state: "complete", value: 1 / 30, worker: "B" });
  });

  it("without one, a promotion on another worker fails checkpoint-missing, saying where the checkpoint was and how to fix it", async () => {
    const { runs, b, summary } = await promoteOnAnotherWorker([]);
    // Exit code 1: no trial completed the full budget.
    expect(summary).toBe("ckpt: 3 trials finished, 1 failed");
    // Trial 0's rung 1 never started: it did not silently train from scratch.
    expect(runs.filter((run) => run.trial === 0).map((run) => run.rung)).toEqual([0]);
    expect(runs.some((run) => run.worker === b && run.trial === 2)).toBe(true);

    const [promoted] = await storedTrials(cluster, "ckpt");
    const lost = join(cluster.dir, "work-A", "checkpoints", "ckpt", "0", "step.txt");
    expect(promoted).toMatchObject({ state: "failed", reason: "checkpoint-missing", worker: "B" });
    expect(promoted?.message).toContain(`checkpoint ${JSON.stringify(lost)} to resume rung 1 from does not exist on worker B`);
    expect(promoted?.message).toContain("Give every worker the same shared --checkpoint-dir");
  });

  it("refuses to start a worker whose --checkpoint-dir is missing, in one line", async () => {
    const missing = join(cluster.dir, "no-such-dir");
    const { code, stderr } = await bayestune(["worker", "--redis", cluster.redisUrl, "--prefix", cluster.prefix, "--checkpoint-dir", missing], 30_000, {
      ...process.env,
      BAYESTUNE_SECRET: cluster.secret,
    });
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual([
      `bayestune: checkpointDir must be an existing, writable directory (the same shared one on every worker), got ${JSON.stringify(missing)}: it does not exist`,
    ]);
  });
});

describe("freeze-thaw under the coordinator", () => {
  it("continues paused trials on any worker from their checkpoints, one increment at a time, and ends the study at its budget", async () => {
    const log = join(cluster.dir, "runs.log");
    const shared = join(cluster.dir, "shared-checkpoints");
    mkdirSync(shared);
    const config: StudyConfigInput = {
      name: "ft",
      space: { x: { type: "float", low: 0, high: 1 } },
      maxTrials: 12,
      fidelity: { min: 10, max: 40 },
      scheduler: { type: "freeze-thaw", budget: 160 },
      command: { argv: [process.execPath, SCRIPT], env: { LOG: log, HOLD_FILE: join(cluster.dir, "no-hold"), HOLD_TRIAL: "-1" } },
      trialTimeoutSeconds: 60,
    };
    const coordinator = startCoordinator(cluster, writeConfig(cluster, config));
    startWorker(cluster, "A", ["--work-dir", join(cluster.dir, "work-A"), "--checkpoint-dir", shared]);
    startWorker(cluster, "B", ["--work-dir", join(cluster.dir, "work-B"), "--checkpoint-dir", shared]);
    await withTimeout(coordinator.exited, 60_000, () => `the coordinator did not finish the study:\n${tail(coordinator)}`);
    expect(await coordinator.exited, tail(coordinator)).toEqual({ code: 0, signal: null });
    const runs = readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Run);
    const reached = new Map<number, number>();
    for (const run of runs) {
      // The ladder is 10, 20, 40: a continued trial resumes from the step its last job reached, wherever that ran.
      expect([10, 20, 40]).toContain(run.steps);
      expect(run.from).toBe(reached.get(run.trial) ?? 0);
      if (run.from > 0) expect(run.checkpoint).toBe(join(shared, "ft", String(run.trial), "step.txt"));
      reached.set(run.trial, run.steps);
    }
    const spent = runs.reduce((sum, run) => sum + run.steps - run.from, 0);
    expect(spent).toBeGreaterThanOrEqual(160);
    // Nothing started once the budget was spent: at most the two jobs running then went past it.
    expect(spent).toBeLessThan(160 + 2 * 20);
    const stored = await storedTrials(cluster, "ft");
    expect(stored.filter((t) => t.state === "paused").length).toBeGreaterThan(0);
    expect(stored.some((t) => t.state === "complete" && t.fidelity === 40)).toBe(true);
  });
});
