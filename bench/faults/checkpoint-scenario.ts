/**
 * A promotion that lands on another machine: rung 0 of every trial runs on machine A,
 * which then leaves the cluster with its disk; the promoted rungs can only run on
 * machine B. Both "machines" are worker processes here with work dirs of their own,
 * and A's is deleted when it leaves, since on one host B could otherwise read it.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { StoredTrial } from "@bayestune/store";
import {
  fixtureStudy,
  readMarks,
  spawnCli,
  startCoordinator,
  storedTrials,
  summaryOf,
  tail,
  waitFor,
  withTimeout,
  writeConfig,
  type Cluster,
} from "../../test/support/cluster.js";
import { repositoryRoot } from "../../test/support/run-cli.js";
import { formatTrials, seconds, withCluster, type Checks, type FaultScenario } from "./scenario.js";

const CHECKPOINT_TRIAL = join(repositoryRoot, "bench/faults/checkpoint-trial.mjs");
/** The classic screen: 4 configurations at budget 1, the best 2 of them at 3. */
const STAGES = [
  { trials: 4, fidelity: 1 },
  { trials: 2, fidelity: 3 },
];

interface PromotionRun {
  readonly trials: StoredTrial[];
  readonly summary: { finished: number; failed: number };
  readonly exitCode: number | null;
  /** Executions of a promoted rung that started on machine B, and those that resumed from the previous rung's checkpoint. */
  readonly startedOnB: number;
  readonly resumedOnB: number;
  /** From machine B and the new coordinator starting to the last promoted rung ending. */
  readonly promotedMs: number | undefined;
}

function workerArgs(c: Cluster, machine: string, slots: number, checkpointDir: string | undefined): string[] {
  const args = ["worker", "--redis", c.redisUrl, "--prefix", c.prefix, "--id", machine, "--work-dir", join(c.dir, machine), "--slots", String(slots)];
  return checkpointDir === undefined ? args : [...args, "--checkpoint-dir", checkpointDir];
}

function promotionRun(shared: boolean): Promise<PromotionRun> {
  return withCluster(async (c) => {
    const study = shared ? "shared-checkpoints" : "local-checkpoints";
    const checkpointDir = shared ? join(c.dir, "shared-checkpoints") : undefined;
    if (checkpointDir !== undefined) mkdirSync(checkpointDir);
    const config = fixtureStudy(c, study, {
      maxTrials: STAGES[0]?.trials ?? 4,
      scheduler: { type: "staged", stages: STAGES },
      command: { argv: [process.execPath, CHECKPOINT_TRIAL, "--x={x}"], env: { MARK_DIR: c.marks, SLEEP_MS: "1000" } },
    });
    const file = writeConfig(c, config);
    const machineA = spawnCli(c, "machine-a", workerArgs(c, "machine-a", 4, checkpointDir));
    const first = startCoordinator(c, file, "coordinator-1");
    await waitFor("rung 0 of the 4 trials running on machine A", () => readMarks(c.marks).filter((m) => m.kind === "start").length >= 4);
    // Stopped before rung 0 ends, so that no promotion is queued while machine A can take it.
    first.child.kill("SIGTERM");
    await withTimeout(first.exited, 30_000, () => `coordinator-1 did not stop:\n${tail(first)}`);
    await waitFor("machine A's 4 results posted", () => machineA.output().split('"msg":"trial ended"').length - 1 >= 4, 30_000);
    machineA.child.kill("SIGTERM");
    await withTimeout(machineA.exited, 30_000, () => `machine A did not stop:\n${tail(machineA)}`);
    rmSync(join(c.dir, "machine-a"), { recursive: true, force: true });

    const restartedAt = Date.now();
    const machineB = spawnCli(c, "machine-b", workerArgs(c, "machine-b", 1, checkpointDir));
    const second = startCoordinator(c, file, "coordinator-2");
    // Without a complete trial at the top stage the CLI ends 1 ("no feasible trial completed"): the summary still counts.
    const exit = await withTimeout(second.exited, 60_000, () => `coordinator-2 did not exit in 60 s:\n${tail(second)}`);
    const summary = summaryOf(second);
    const trials = await storedTrials(c, study);
    const bPid = machineB.child.pid;
    const promoted = trials.filter((t) => t.rungs.length > 1 || (t.state === "failed" && t.rung > 0));
    const ends = promoted.map((t) => t.finishedAt).filter((at): at is number => at !== undefined);
    return {
      trials,
      summary,
      exitCode: exit.code,
      startedOnB: readMarks(c.marks).filter((m) => m.kind === "start" && m.worker === bPid).length,
      resumedOnB: readdirSync(c.marks).filter((f) => f.endsWith(`-w${bPid}.resumed`)).length,
      promotedMs: ends.length === 0 ? undefined : Math.max(...ends) - restartedAt,
    };
  });
}

function describeRun(name: string, run: PromotionRun): string {
  const reasons = run.trials.filter((t) => t.state === "failed").map((t) => t.reason);
  return `${name}: ${formatTrials(run.trials)}${reasons.length > 0 ? ` (${[...new Set(reasons)].join(", ")})` : ""}`;
}

function checkRuns(checks: Checks, shared: PromotionRun, local: PromotionRun): void {
  const promotions = STAGES[1]?.trials ?? 2;
  checks.expect(
    shared.summary.failed === 0 && shared.trials.filter((t) => t.rungs.length === 2).length === promotions,
    `with a shared --checkpoint-dir, ${promotions} trials must finish rung 1 and none fail, got ${describeRun("shared", shared)}`,
  );
  checks.expect(
    shared.startedOnB === promotions && shared.resumedOnB === promotions,
    `with a shared --checkpoint-dir, the ${promotions} promoted rungs must run on machine B and resume from their checkpoints, got ${shared.startedOnB} started, ${shared.resumedOnB} resumed`,
  );
  checks.expect(shared.exitCode === 0, `with a shared --checkpoint-dir the coordinator must exit 0, got ${shared.exitCode}`);
  const missing = local.trials.filter((t) => t.state === "failed" && t.reason === "checkpoint-missing");
  checks.expect(
    local.summary.failed === promotions && missing.length === promotions,
    `without one, the ${promotions} promoted rungs must fail "checkpoint-missing", got ${describeRun("local", local)}`,
  );
  checks.expect(local.startedOnB === 0, `without one, nothing may start on machine B, got ${local.startedOnB} executions`);
}

export const crossMachineCheckpoint: FaultScenario = {
  slug: "cross-machine-checkpoint",
  title: "a promotion landing on another machine",
  action:
    "a staged screen (4 trials at budget 1, the best 2 at 3); rung 0 runs on machine A (4 slots), which then leaves and its work dir is deleted; the promotions run on machine B (own work dir); once with both given one shared `--checkpoint-dir`, once without",
  expected: "with the shared dir, both promoted rungs run on B and resume from rung 0's checkpoint; without, each fails \"checkpoint-missing\" and nothing is spawned on B",
  run: async ({ measured, checks }) => {
    const shared = await promotionRun(true);
    const local = await promotionRun(false);
    measured.trials = `${describeRun("shared", shared)}; ${describeRun("local", local)}`;
    measured.executions = `promoted rungs on machine B: shared ${shared.startedOnB} started, ${shared.resumedOnB} resumed; local ${local.startedOnB} started`;
    const ms = (run: PromotionRun): string => (run.promotedMs === undefined ? "never" : seconds(run.promotedMs));
    measured.recovery = `machine B's start → promoted rungs ended: shared ${ms(shared)}, local ${ms(local)}`;
    measured.notes.push(`coordinator exit: shared ${shared.exitCode}, local ${local.exitCode} (no trial complete at the top stage)`);
    checkRuns(checks, shared, local);
  },
};
