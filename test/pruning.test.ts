/*
 * The stop channel end to end, through the `bayestune` CLI as users run it, with
 * real processes: a study's median pruner decides at a reported step, the slot
 * asks the trial to stop (embedded: the local runner; distributed: the Redis stop
 * key the worker polls), the script's should_stop() turns true, it saves a
 * checkpoint and reports its final line, and the trial is stored "pruned" with
 * its last value and that checkpoint. Needs `npx tsc -b` (the CLI's build), a
 * python3 for the client fixtures, Redis for the distributed case and
 * examples/.venv (transformers) for the Trainer case.
 *
 * No timing assertions: test/fixtures/python/pruned_curve.py polls should_stop()
 * for up to 2 s after each report before it reports the next step, and leaves a
 * mark with the step it saw the stop at. That the decision reached the script in
 * time shows as that step being the trial's last stored step, and the one the
 * median rule, replayed here over the stored curves, decides at.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { medianStoppingDecision, type LearningCurve } from "@bayestune/core";
import { trialJobId, type StudyConfigInput } from "@bayestune/protocol";
import { SqliteStore, type StoredTrial } from "@bayestune/store";
import { createCluster, destroyCluster, finished, startCoordinator, startWorker, storedTrials, tail, writeConfig, type Cluster } from "./support/cluster.js";
import { bayestune, repositoryRoot as root } from "./support/run-cli.js";

const curveScript = join(root, "test/fixtures/python/pruned_curve.py");
const pythonEnv = { PYTHONPATH: join(root, "clients/python"), PYTHONDONTWRITEBYTECODE: "1" };

const dir = mkdtempSync(join(tmpdir(), "bayestune-pruning-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pruner of the curve studies: no decision before step 2, and only once 3 other trials reached the step. */
const PRUNER = { type: "median", minTrials: 3, graceSteps: 2 } as const;
const STEPS = 4;

/**
 * A study of pruned_curve.py: loss (x - 0.2)^2 + 0.05 / step over 4 steps. With seed 2
 * the random sampler's first 10 points give the rule decisions at steps 2 and 3 and
 * several complete trials (the test asserts that much; another sampler or seed may
 * need another seed here).
 */
function curveStudy(name: string, marks: string, extraEnv: Record<string, string> = {}): StudyConfigInput {
  return {
    name,
    seed: 2,
    sampler: "random",
    maxTrials: 10,
    space: { x: { type: "float", low: 0, high: 1 } },
    pruner: PRUNER,
    command: {
      argv: ["python3", curveScript],
      env: {
        ...pythonEnv,
        MARK_DIR: marks,
        STEPS: String(STEPS),
        POLL_SECONDS: "2",
        // The first minTrials trials (one slot: no other trial runs beside them) cannot be stopped: they skip the wait.
        NO_DECISION_BEFORE: String(PRUNER.minTrials),
        ...extraEnv,
      },
    },
    trialTimeoutSeconds: 60,
  };
}

function curveOf(trial: StoredTrial): [step: number, value: number][] {
  return trial.intermediate.map((r) => [r.step, r.metrics["loss"] as number]);
}

/**
 * The step at which the median rule stops each trial of a one-slot study, replayed
 * over the stored curves: trial k is judged against trials 0..k-1 (all finished
 * before it started), as the engine judged it; undefined when it runs to its end.
 */
function replayDecisions(trials: readonly StoredTrial[], options: { minTrials: number; graceSteps: number }): (number | undefined)[] {
  return trials.map((trial, k) => {
    const others: LearningCurve[] = trials.slice(0, k).map(curveOf);
    const curve = curveOf(trial);
    for (let i = 0; i < curve.length; i++) {
      if (medianStoppingDecision(curve.slice(0, i + 1), others, options)) return curve[i]![0];
    }
    return undefined;
  });
}

function readMark(marks: string, trial: number, kind: "stopped" | "done"): number | undefined {
  const file = join(marks, `t${trial}.${kind}`);
  return existsSync(file) ? Number(readFileSync(file, "utf8")) : undefined;
}

/**
 * The assertions shared by the embedded and the distributed study: each trial is
 * pruned exactly where the replayed rule stops it, saw the stop before it reported
 * another step, and is stored with its last value and the checkpoint it reported;
 * the others ran every step and are complete. Returns the decisions.
 */
function expectPrunedWhereTheRuleStops(trials: readonly StoredTrial[], marks: string): (number | undefined)[] {
  expect(trials.map((t) => t.number)).toEqual([...Array(10).keys()]);
  const decisions = replayDecisions(trials, PRUNER);
  for (const [k, trial] of trials.entries()) {
    const decision = decisions[k];
    const x = trial.params["x"] as number;
    const steps = trial.intermediate.map((r) => r.step);
    const context = `trial ${k} (x=${x}, curve ${JSON.stringify(curveOf(trial))}, replayed decision ${decision})`;
    if (decision === undefined) {
      expect(trial.state, context).toBe("complete");
      expect(steps, context).toEqual([1, 2, 3, 4]);
      expect(readMark(marks, k, "done"), context).toBe(STEPS);
      expect(readMark(marks, k, "stopped"), context).toBeUndefined();
      expect(trial.value, context).toBe((x - 0.2) ** 2 + 0.05 / STEPS);
      continue;
    }
    expect(trial.state, context).toBe("pruned");
    // It saw the stop after reporting the decision's step and before reporting another.
    expect(readMark(marks, k, "stopped"), context).toBe(decision);
    expect(steps, context).toEqual([...Array(decision).keys()].map((i) => i + 1));
    expect(readMark(marks, k, "done"), context).toBeUndefined();
    expect(trial.value, context).toBe(trial.intermediate.at(-1)!.metrics["loss"]);
    expect(trial.value, context).toBeCloseTo((x - 0.2) ** 2 + 0.05 / decision, 12);
    expect(trial.checkpoint, context).toMatch(new RegExp(`/${k}/step-${decision}\\.ckpt$`));
    expect(readFileSync(trial.checkpoint!, "utf8"), context).toBe(String(decision));
  }
  // The seed gives both kinds, and decisions at more than one step; trials 0-2 cannot be stopped.
  expect(decisions.slice(0, PRUNER.minTrials)).toEqual([undefined, undefined, undefined]);
  const pruned = decisions.filter((d) => d !== undefined);
  expect(pruned.length).toBeGreaterThanOrEqual(3);
  expect(decisions.length - pruned.length).toBeGreaterThanOrEqual(PRUNER.minTrials + 1);
  expect(new Set(pruned).size).toBeGreaterThan(1);
  return decisions;
}

describe("pruning through `bayestune tune` (embedded)", () => {
  it("stops the trials the median rule stops at the step it decides, within the script's 2 s poll, and stores them pruned with their last value and checkpoint", async () => {
    const marks = join(dir, "embedded-marks");
    mkdirSync(marks);
    const file = join(dir, "embedded.json");
    writeFileSync(file, JSON.stringify(curveStudy("prune-embedded", marks)));
    const workDir = join(dir, "embedded-runs");
    const storeFile = join(dir, "embedded.sqlite");
    const { code, stdout, stderr } = await bayestune(["tune", file, "--no-progress", "--stop-grace", "5", "--work-dir", workDir, "--store", storeFile]);
    expect(code, stderr).toBe(0);
    const summary = /^prune-embedded: 10 trials finished, (\d+) pruned, 0 failed$/m.exec(stdout);
    expect(summary, stdout).not.toBeNull();

    const store = new SqliteStore({ path: storeFile });
    let trials: StoredTrial[];
    try {
      trials = await store.getTrials("prune-embedded");
    } finally {
      await store.close();
    }
    const decisions = expectPrunedWhereTheRuleStops(trials, marks);
    // The stop reached the script through its stop file, which says why.
    for (const [k, decision] of decisions.entries()) {
      const stopFile = join(workDir, "prune-embedded", trialJobId("prune-embedded", k, 0), "STOP");
      if (decision === undefined) expect(existsSync(stopFile)).toBe(false);
      else expect(readFileSync(stopFile, "utf8")).toBe("pruned\n");
    }
    // The best trial is a complete one, and the printed line per trial gives every trial's stored value.
    const complete = trials.filter((t) => t.state === "complete");
    const best = complete.reduce((a, b) => (b.value! < a.value! ? b : a));
    expect(stdout).toContain(`best trial ${best.number}: loss = ${best.value}`);
    for (const [k, t] of trials.entries()) {
      const decision = decisions[k];
      expect(stdout).toContain(decision === undefined ? `trial ${t.number}: loss=${t.value}\n` : `trial ${t.number} pruned at step ${decision}: loss=${t.value}\n`);
    }
    expect(Number(summary![1])).toBe(decisions.filter((d) => d !== undefined).length);
  }, 90_000);

  it("terminates a script that ignores the stop once --stop-grace has passed, and still stores it pruned with its last reported value", async () => {
    const marks = join(dir, "ignored-marks");
    mkdirSync(marks);
    const file = join(dir, "ignored.json");
    // Every trial after the first is 10 worse at every step: the rule (minTrials 1) stops trial 1 at step 1.
    const study: StudyConfigInput = {
      name: "prune-ignored",
      sampler: "random",
      maxTrials: 2,
      space: { x: { type: "float", low: 0, high: 1 } },
      pruner: { type: "median", minTrials: 1 },
      command: {
        argv: ["python3", curveScript],
        env: { ...pythonEnv, MARK_DIR: marks, IGNORE_STOP: "1", STEPS: "10", STEP_SECONDS: "0.3", LATER_OFFSET: "10" },
      },
      trialTimeoutSeconds: 60,
    };
    writeFileSync(file, JSON.stringify(study));
    const workDir = join(dir, "ignored-runs");
    const storeFile = join(dir, "ignored.sqlite");
    const { code, stdout, stderr } = await bayestune(["tune", file, "--no-progress", "--stop-grace", "1", "--work-dir", workDir, "--store", storeFile]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^prune-ignored: 2 trials finished, 1 pruned, 0 failed$/m);

    const store = new SqliteStore({ path: storeFile });
    let trials: StoredTrial[];
    try {
      trials = await store.getTrials("prune-ignored");
    } finally {
      await store.close();
    }
    const [first, second] = trials as [StoredTrial, StoredTrial];
    expect(replayDecisions(trials, { minTrials: 1, graceSteps: 0 })).toEqual([undefined, 1]);
    expect(first.state).toBe("complete");
    expect(first.intermediate).toHaveLength(10);
    expect(readMark(marks, 0, "done")).toBe(10);

    expect(second.state).toBe("pruned");
    const steps = second.intermediate.map((r) => r.step);
    // It went on reporting after the stop (it never looked), and was terminated before its end: no final line.
    expect(steps.length).toBeGreaterThan(1);
    expect(steps.length).toBeLessThan(10);
    expect(readMark(marks, 1, "done")).toBeUndefined();
    const last = second.intermediate.at(-1)!;
    expect(second.value).toBe(last.metrics["loss"]);
    expect(stdout).toContain(`trial 1 pruned at step ${last.step}: loss=${last.metrics["loss"]}\n`);
    const trialDir = join(workDir, "prune-ignored", trialJobId("prune-ignored", 1, 0));
    expect(readFileSync(join(trialDir, "STOP"), "utf8")).toBe("pruned\n");
    expect(readFileSync(join(trialDir, "stdout.log"), "utf8")).not.toContain('"final"');
  }, 60_000);
});

describe("pruning through `bayestune coordinator` and `bayestune worker` (distributed, Redis)", () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    const c = cluster;
    cluster = undefined;
    if (c !== undefined) await destroyCluster(c);
  });

  it("the coordinator's stop request reaches the script on the worker within its 2 s poll; the trial is stored pruned in Redis", async () => {
    const c = createCluster();
    cluster = c;
    const marks = join(c.dir, "prune-marks");
    mkdirSync(marks);
    const config = writeConfig(c, curveStudy("prune-distributed", marks));
    // Every report posted (none coalesced away), so that the coordinator's curves are the script's.
    startWorker(c, "w0", ["--stop-grace", "5", "--progress-interval", "0"]);
    const coordinator = startCoordinator(c, config);
    expect(await finished(c, coordinator, 80_000)).toEqual({ finished: 10, failed: 0 });

    const trials = await storedTrials(c, "prune-distributed");
    const decisions = expectPrunedWhereTheRuleStops(trials, marks);
    // The coordinator logged each stop at the step the replayed rule decides at.
    const logged = new Map<number, number>();
    for (const line of coordinator.output().split("\n")) {
      if (!line.includes('"trial stopped by the pruner"')) continue;
      const entry = JSON.parse(line) as { trial: number; step: number };
      logged.set(entry.trial, entry.step);
    }
    const expected = new Map(decisions.flatMap((d, k) => (d === undefined ? [] : [[k, d] as const])));
    expect(logged, tail(coordinator)).toEqual(expected);
  }, 100_000);
});
