/**
 * A cluster shared by a team: several studies on one Redis and one pool of
 * workers, a second coordinator on a live study, and messages that someone with
 * write access to Redis made by hand.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { resultsQueueName, TRIALS_QUEUE } from "@bayestune/protocol";
import {
  finished,
  fixtureStudy,
  killTrialGroups,
  readMarks,
  startCoordinator,
  startWorker,
  storedTrials,
  waitFor,
  withTimeout,
  writeConfig,
  tail,
  type Cluster,
} from "../../test/support/cluster.js";
import {
  countExecutions,
  elapsed,
  finishedStudy,
  firstFinishAfter,
  formatExecutions,
  formatTrials,
  isRunning,
  seconds,
  withCluster,
  type FaultScenario,
} from "./scenario.js";
import { cliErrorLines } from "../../test/support/processes.js";

/** Runs `write` against the cluster's trials queue and one study's results queue. */
async function withQueues<T>(c: Cluster, study: string, write: (trials: Queue, results: Queue) => Promise<T>): Promise<T> {
  const redis = new Redis(c.redisUrl, { maxRetriesPerRequest: null });
  const trials = new Queue(TRIALS_QUEUE, { connection: redis, prefix: c.prefix });
  const results = new Queue(resultsQueueName(study), { connection: redis, prefix: c.prefix });
  try {
    return await write(trials, results);
  } finally {
    await trials.close();
    await results.close();
    redis.disconnect();
  }
}

const completeCount = async (c: Cluster, study: string): Promise<number> => (await storedTrials(c, study)).filter((t) => t.state === "complete").length;

export const threeStudies: FaultScenario = {
  slug: "three-studies",
  title: "three studies on one Redis, one prefix, one pool of workers",
  action: 'one pool of 3 workers; coordinators of "team-a" (12 trials), "team-b" (13) and "team-a-1" (14, a name that extends another\'s) started together, trials of 0.06 s',
  expected: "each study finishes with all its trials complete, each run to the end once (counted per study)",
  run: ({ measured, checks }) =>
    withCluster(async (c) => {
      const names = ["team-a", "team-b", "team-a-1"];
      const workers = ["w0", "w1", "w2"].map((id) => startWorker(c, id));
      // A marker directory per study: trial numbers repeat across studies.
      const marks = names.map((name) => join(c.dir, `marks-${name}`));
      const startedAt = Date.now();
      const coordinators = names.map((name, i) => {
        mkdirSync(marks[i] as string);
        const config = fixtureStudy(c, name, { maxTrials: 12 + i, sleepMs: 60 });
        config.command = { ...config.command, env: { ...config.command.env, MARK_DIR: marks[i] as string } };
        return startCoordinator(c, writeConfig(c, config), `coordinator-${name}`);
      });
      try {
        const summaries = await Promise.all(coordinators.map((proc) => finished(c, proc, 90_000)));
        const wallMs = Date.now() - startedAt;
        const perStudy = await Promise.all(names.map((name) => storedTrials(c, name)));
        const executions = marks.map((dir) => countExecutions(dir));
        measured.trials = names.map((name, i) => `${name}: ${formatTrials(perStudy[i] ?? [])}`).join("; ");
        measured.executions = names.map((name, i) => `${name}: ${formatExecutions(executions[i] ?? countExecutions(c.marks))}`).join("; ");
        measured.recovery = "— (no fault)";
        measured.notes.push(`all three done in ${seconds(wallMs)}`);
        names.forEach((name, i) => {
          const n = 12 + i;
          const trials = perStudy[i] ?? [];
          const e = executions[i];
          checks.expect(summaries[i]?.finished === n && summaries[i]?.failed === 0, `${name} must report ${n} finished, 0 failed, got ${JSON.stringify(summaries[i])}`);
          checks.expect(trials.length === n && trials.every((t, k) => t.number === k && t.state === "complete"), `${name} must have trials 0..${n - 1} complete, got ${formatTrials(trials)}`);
          checks.expect(e !== undefined && e.done === n && e.maxDone === 1, `${name}: each trial must run to the end once, got ${e === undefined ? "no count" : formatExecutions(e)}`);
        });
        checks.expect(workers.every(isRunning), "every worker must keep running");
        checks.expect(coordinators.every((p) => !/another study/.test(p.output())), "no coordinator may see another study's messages");
      } finally {
        for (const dir of marks) if (existsSync(dir)) killTrialGroups(dir);
      }
    }),
};

export const secondCoordinator: FaultScenario = {
  slug: "second-coordinator",
  title: "a second coordinator on a live study",
  action: "a coordinator (`--lease 3000`) and 2 workers run 10 trials of 0.8 s; once a trial is complete, a second `bayestune coordinator` with the same config is started",
  expected: "the second exits 2 with one line naming the study and the holder, no stack trace; the first finishes with exactly 10 trials, each run to the end once",
  run: (context) =>
    withCluster(async (c) => {
      const { measured, checks } = context;
      const study = "contested";
      const file = writeConfig(c, fixtureStudy(c, study, { maxTrials: 10, sleepMs: 800 }));
      const first = startCoordinator(c, file, "first", ["--lease", "3000"]);
      const workers = ["w0", "w1"].map((id) => startWorker(c, id));
      await waitFor("a complete trial", async () => (await completeCount(c, study)) >= 1);
      const startedAt = Date.now();
      const second = startCoordinator(c, file, "second", ["--lease", "3000"]);
      const exit = await withTimeout(second.exited, 30_000, () => `the second coordinator did not exit in 30 s:\n${tail(second)}`);
      const exitedAt = Date.now();
      const { own, stackTrace } = cliErrorLines(second.output());
      measured.recovery = `${seconds(exitedAt - startedAt)} (second coordinator's start → its exit ${exit.code ?? exit.signal})`;
      measured.notes.push(own[0] === undefined ? "it printed no line of its own" : `its line: ${own[0]}`);
      checks.expect(exit.code === 2, `the second coordinator must exit 2, got ${exit.code ?? exit.signal}`);
      checks.expect(own.length === 1 && own[0]?.includes(`study "${study}"`) === true && own[0].includes(`pid ${first.child.pid}`), `it must print one line naming the study and the first's pid, got ${JSON.stringify(own)}`);
      checks.expect(!stackTrace, "it must print no stack trace");

      await finishedStudy(c, first, study, 10, context);
      checks.expect(workers.every(isRunning), "every worker must keep running");
    }),
};

export const forgedMessages: FaultScenario = {
  slug: "forged-messages",
  title: "a job and a result pushed by hand",
  action:
    'while a study of 8 trials runs on 2 workers, an unsigned job `["/bin/sh","-c","id > FILE"]` (with `LD_PRELOAD` in its env) is added to the trials queue, and an unsigned result of value -12345 for trial 0 to the study\'s results queue',
  expected: "the job is never executed (FILE absent) and fails \"refused\"; the result is refused; the best trial is a real one; the study finishes with 8 trials, each run to the end once",
  run: (context) =>
    withCluster(async (c) => {
      const { measured, checks } = context;
      const study = "guarded";
      const touched = join(c.dir, "touched-by-intruder");
      const workers = ["w0", "w1"].map((id) => startWorker(c, id));
      const coordinator = startCoordinator(c, writeConfig(c, fixtureStudy(c, study, { maxTrials: 8, sleepMs: 150 })));
      await waitFor("2 complete trials", async () => (await completeCount(c, study)) >= 2);
      const forgedAt = Date.now();
      const [jobRefusedAt, resultRefusedAt] = await withQueues(c, study, async (trialsQueue, results) => {
        await trialsQueue.add(
          "trial",
          {
            study,
            trial: 0,
            rung: 0,
            params: { x: 0.5 },
            command: { argv: ["/bin/sh", "-c", `id > ${touched}`], env: { LD_PRELOAD: "/tmp/evil.so" } },
            metric: "loss",
            timeoutSeconds: 10,
          },
          { jobId: `${study}-0-0` },
        );
        await results.add("result", { kind: "result", study, trial: 0, rung: 0, state: "complete", value: -12345, durationSeconds: 1, worker: "w0" }, { jobId: "forged-result" });
        const failedAt = async (queue: Queue, id: string): Promise<number | undefined> => {
          const ok = await waitFor(`${id} failed`, async () => (await queue.getJobState(id)) === "failed", 20_000).then(
            () => true,
            () => false,
          );
          return ok ? Date.now() : undefined;
        };
        return Promise.all([failedAt(trialsQueue, `${study}-0-0`), failedAt(results, "forged-result")]);
      });
      const jobReason = await withQueues(c, study, async (trialsQueue) => (await trialsQueue.getJob(`${study}-0-0`))?.failedReason);

      const trials = await finishedStudy(c, coordinator, study, 8, context);
      const forbidden = existsSync(touched) ? 1 : 0;
      measured.executions = `forbidden executions: ${forbidden}; study: ${measured.executions}`;
      measured.recovery = `${elapsed(forgedAt, jobRefusedAt, "push → job refused")}; ${elapsed(forgedAt, resultRefusedAt, "push → result refused")}`;
      const values = trials.map((t) => t.value).filter((v): v is number => v !== undefined);
      const best = Math.min(...values);
      measured.notes.push(`job failed with "${jobReason?.split(" (")[0] ?? "no reason"}"`, `best value ${best.toFixed(4)}`);
      checks.expect(forbidden === 0, "the forged command must never run (FILE absent)");
      checks.expect(jobRefusedAt !== undefined && jobReason?.startsWith("refused:") === true, `the forged job must fail "refused: …", got ${JSON.stringify(jobReason)}`);
      checks.expect(resultRefusedAt !== undefined, "the forged result must be refused (its job failed)");
      checks.expect(/"jobId":"forged-result".*worker message refused: not signed/.test(coordinator.output()), "the coordinator must log the forged result as refused");
      checks.expect(
        trials.every((t) => t.value !== undefined && Math.abs(t.value - ((t.params["x"] as number) - 0.3) ** 2) < 1e-12),
        "every trial's value must be its own (x - 0.3)^2, the best trial unaffected",
      );
      checks.expect(workers.every(isRunning), "every worker must keep running");
    }),
};

export const malformedJobs: FaultScenario = {
  slug: "malformed-jobs",
  title: "a null job and a malformed job naming a running trial, then a restart",
  action:
    "2 workers, 6 trials of 1.5 s, `--lease 2000`; while trial 0 runs, a job whose data is null, a malformed job naming trial 0, a null result and an unsigned \"failed\" result for trial 0 are queued; the coordinator is then killed with SIGKILL and started again at once; then a third time on the finished study",
  expected: "the restarted coordinator starts past them and finishes 6 trials, each run to the end once; trial 0 keeps its real result; the third start ends at once with the same summary",
  run: (context) =>
    withCluster(async (c) => {
      const { measured, checks } = context;
      const study = "malformed";
      const file = writeConfig(c, fixtureStudy(c, study, { maxTrials: 6, sleepMs: 1500 }));
      const lease = ["--lease", "2000"];
      const workers = ["w0", "w1"].map((id) => startWorker(c, id));
      const first = startCoordinator(c, file, "coordinator-1", lease);
      await waitFor("trial 0 running", () => readMarks(c.marks).some((m) => m.kind === "start" && m.trial === 0));
      await withQueues(c, study, async (trials, results) => {
        await trials.add("trial", null, { jobId: "null-job" });
        await trials.add("trial", { study, trial: 0, rung: 0, params: "oops" }, { jobId: "malformed-0-0" });
        await results.add("result", null, { jobId: "null-result" });
        await results.add("result", { kind: "result", study, trial: 0, rung: 0, state: "failed", reason: "invalid-job", durationSeconds: 0, worker: "w0" }, { jobId: "fail-trial-0" });
      });
      first.child.kill("SIGKILL");
      await first.exited;
      const restartedAt = Date.now();
      const second = startCoordinator(c, file, "coordinator-2", lease);

      const trials = await finishedStudy(c, second, study, 6, context);
      measured.recovery = elapsed(restartedAt, firstFinishAfter(trials, restartedAt), "restart → next trial completion");
      const zero = trials[0];
      checks.expect(
        zero?.state === "complete" && zero.value !== undefined && Math.abs(zero.value - ((zero.params["x"] as number) - 0.3) ** 2) < 1e-12,
        `trial 0 must keep its real result, got ${zero?.state} ${zero?.value}`,
      );
      const third = startCoordinator(c, file, "coordinator-3", lease);
      const thirdAt = Date.now();
      const again = await finished(c, third, 30_000);
      measured.notes.push(`third start on the finished study ended in ${seconds(Date.now() - thirdAt)}: ${again.finished} finished, ${again.failed} failed`);
      checks.expect(again.finished === 6 && again.failed === 0, `a third start must end with 6 finished, 0 failed, got ${JSON.stringify(again)}`);
      checks.expect(workers.every(isRunning), "every worker must keep running");
    }),
};
