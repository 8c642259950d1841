/**
 * Processes that die and a Redis that goes away mid-study: kill -9 of a worker and
 * of the coordinator, Redis SHUTDOWN and kill -9 (AOF, appendfsync always), an
 * outage longer than the job locks (trials that end during it, and trials that run
 * on through it), and a restart that must wait out the dead coordinator's lease.
 */
import { Redis } from "ioredis";
import {
  doneCounts,
  fixtureStudy,
  readMarks,
  sleep,
  startCoordinator,
  startWorker,
  storedTrials,
  waitFor,
  writeConfig,
  type Cluster,
} from "../../test/support/cluster.js";
import { startRedisServer, stopRedisServer } from "../../test/support/redis-server.js";
import {
  AOF_ALWAYS,
  elapsed,
  finishedStudy,
  firstFinishAfter,
  isRunning,
  seconds,
  withCluster,
  type FaultScenario,
  type ScenarioContext,
} from "./scenario.js";

const completeCount = async (c: Cluster, study: string): Promise<number> => (await storedTrials(c, study)).filter((t) => t.state === "complete").length;

export const workerKill: FaultScenario = {
  slug: "worker-kill",
  title: "kill -9 of a worker mid-trial",
  action: "3 workers (`--lock-duration 1000`), 10 trials of 0.6 s; the worker running the first trial is killed with SIGKILL, and so is that trial (a lost machine)",
  expected: "the killed trial is retried on another worker (2 starts, 1 run to the end); the study finishes with 10 complete trials, each run to the end once",
  run: (context) =>
    withCluster(async (c) => {
      const { measured, checks } = context;
      const study = "worker-kill";
      const workers = ["w0", "w1", "w2"].map((id) => startWorker(c, id, ["--lock-duration", "1000"]));
      const coordinator = startCoordinator(c, writeConfig(c, fixtureStudy(c, study, { maxTrials: 10, sleepMs: 600 })));
      await waitFor("a trial running", () => readMarks(c.marks).some((m) => m.kind === "start"));
      const victim = readMarks(c.marks).find((m) => m.kind === "start");
      const victimWorker = workers.find((w) => w.child.pid === victim?.worker);
      if (victim === undefined || victimWorker === undefined) throw new Error("the first trial's worker is not one of the bench's workers");
      victimWorker.child.kill("SIGKILL");
      try {
        process.kill(-victim.pid, "SIGKILL");
      } catch {
        // ESRCH: the worker's orphan guard killed it first.
      }
      const killedAt = Date.now();

      const trials = await finishedStudy(c, coordinator, study, 10, context);
      const retried = trials[victim.trial];
      const ofVictim = readMarks(c.marks).filter((m) => m.trial === victim.trial);
      const starts = ofVictim.filter((m) => m.kind === "start").length;
      const done = ofVictim.filter((m) => m.kind === "done").length;
      measured.recovery = elapsed(killedAt, retried?.finishedAt, "kill → the killed trial complete");
      measured.notes.push(`killed trial ${victim.trial}: ${starts} starts, ${done} run to the end, completed by ${retried?.worker ?? "nobody"}`);
      checks.expect(starts === 2 && done === 1, `the killed trial must start twice and end once, got ${starts} and ${done}`);
      checks.expect(retried?.state === "complete" && retried.worker !== victimWorker.name, `the killed trial must complete on another worker, got ${retried?.state} on ${retried?.worker}`);
      checks.expect(workers.filter((w) => w !== victimWorker).every(isRunning), "the other workers must keep running");
    }),
};

export const coordinatorKill: FaultScenario = {
  slug: "coordinator-kill",
  title: "kill -9 of the coordinator mid-study, restarted",
  action: "3 workers, 20 trials of 0.15 s, `--lease 2000`; after 6 trials the coordinator is killed with SIGKILL; workers go on posting results; 2.5 s later (its lease lapsed) it is started again",
  expected: "the restarted coordinator finishes the study with exactly 20 trials, each run to the end once",
  run: (context) =>
    withCluster(async (c) => {
      const { measured, checks } = context;
      const study = "coordinator-kill";
      const file = writeConfig(c, fixtureStudy(c, study, { maxTrials: 20, sleepMs: 150 }));
      const workers = ["w0", "w1", "w2"].map((id) => startWorker(c, id));
      const first = startCoordinator(c, file, "coordinator-1", ["--lease", "2000"]);
      await waitFor("6 trials run", () => doneCounts(c.marks).size >= 6);
      first.child.kill("SIGKILL");
      await first.exited;
      const before = await completeCount(c, study);
      await sleep(2500);
      const restartedAt = Date.now();
      const second = startCoordinator(c, file, "coordinator-2", ["--lease", "2000"]);

      const trials = await finishedStudy(c, second, study, 20, context);
      measured.recovery = elapsed(restartedAt, firstFinishAfter(trials, restartedAt), "restart → next trial completion");
      measured.notes.push(`${before} trials complete at the kill`);
      checks.expect(before < 20, `the kill must come mid-study, got ${before} of 20 complete before it`);
      checks.expect(workers.every(isRunning), "every worker must keep running");
    }),
};

interface OutageOptions {
  readonly study: string;
  readonly how: "shutdown" | "kill";
  readonly lockMs: number;
  readonly downMs: number;
  readonly maxTrials: number;
  readonly sleepMs: number;
  /** Complete trials before the outage. */
  readonly threshold: number;
}

/** A study on a Redis of its own (AOF, appendfsync always) that goes away once, mid-study, for `downMs`. */
async function redisOutage(o: OutageOptions, context: ScenarioContext): Promise<void> {
  const { measured, checks } = context;
  await withCluster(
    async (c) => {
      let server = c.redisServer;
      if (server === undefined) throw new Error("the scenario needs a Redis of its own");
      const workers = ["w0", "w1"].map((id) => startWorker(c, id, ["--lock-duration", String(o.lockMs)]));
      const coordinator = startCoordinator(c, writeConfig(c, fixtureStudy(c, o.study, { maxTrials: o.maxTrials, sleepMs: o.sleepMs })));
      await waitFor(`${o.threshold} complete trials`, async () => (await completeCount(c, o.study)) >= o.threshold);

      const faultAt = Date.now();
      if (o.how === "shutdown") {
        const exited = new Promise((resolve) => server?.child.once("exit", resolve));
        const admin = new Redis(server.port, "127.0.0.1", { maxRetriesPerRequest: 0, retryStrategy: () => null });
        admin.on("error", () => undefined);
        await admin.call("SHUTDOWN").catch(() => undefined);
        admin.disconnect();
        await exited;
      }
      await stopRedisServer(server, "SIGKILL", true);
      await sleep(o.downMs);
      server = await startRedisServer(AOF_ALWAYS, { port: server.port, dir: server.dir });
      c.redisServer = server;
      const backAt = Date.now();
      const survived = await completeCount(c, o.study);

      const trials = await finishedStudy(c, coordinator, o.study, o.maxTrials, context, 90_000);
      measured.recovery = elapsed(faultAt, firstFinishAfter(trials, faultAt), "fault → next trial completion");
      measured.notes.push(`Redis away ${seconds(backAt - faultAt)}`, `${survived} trials complete right after the restart`);
      checks.expect(survived >= o.threshold && survived < o.maxTrials, `the outage must come mid-study and lose no acknowledged write, got ${survived} complete after it (${o.threshold} before)`);
      checks.expect(workers.every(isRunning), "every worker must keep running");
    },
    { ownRedis: true },
  );
}

export const redisShutdown: FaultScenario = {
  slug: "redis-shutdown",
  title: "Redis SHUTDOWN mid-study (AOF), restarted",
  action: "Redis of its own (`--appendonly yes --appendfsync always`), 2 workers (`--lock-duration 10000`), 16 trials of 0.1 s; after 5 trials Redis gets SHUTDOWN and is started again on its AOF 1.5 s later",
  expected: "the study finishes with 16 complete trials, each run to the end once; no process exits",
  run: (context) => redisOutage({ study: "redis-shutdown", how: "shutdown", lockMs: 10_000, downMs: 1500, maxTrials: 16, sleepMs: 100, threshold: 5 }, context),
};

export const redisKill: FaultScenario = {
  slug: "redis-kill",
  title: "Redis kill -9 mid-study (AOF always), restarted",
  action: "as above, but Redis is killed with SIGKILL",
  expected: "the study finishes with 16 complete trials, each run to the end once; no process exits",
  run: (context) => redisOutage({ study: "redis-kill", how: "kill", lockMs: 10_000, downMs: 1500, maxTrials: 16, sleepMs: 100, threshold: 5 }, context),
};

export const longOutage: FaultScenario = {
  slug: "long-outage",
  title: "Redis outage longer than the job locks",
  action: "Redis of its own (AOF always), 2 workers with `--lock-duration 1000`, 16 trials of 0.4 s; after 4 trials Redis is killed with SIGKILL and kept away 4 s, so every running job's lock lapses",
  expected: "no completed trial runs again: the study finishes with 16 complete trials, each run to the end once",
  run: (context) => redisOutage({ study: "long-outage", how: "kill", lockMs: 1000, downMs: 4000, maxTrials: 16, sleepMs: 400, threshold: 4 }, context),
};

/** The lease this scenario runs under: the default, given explicitly so that the bench knows it. */
const TAKEOVER_LEASE_MS = 10_000;

export const coordinatorTakeover: FaultScenario = {
  slug: "coordinator-takeover",
  title: "kill -9 of the coordinator, restarted at once",
  action: `2 workers, 10 trials of 0.3 s, \`--lease ${TAKEOVER_LEASE_MS}\` (the default); after 3 trials the coordinator is killed with SIGKILL and a new one started at once`,
  expected: "the new one waits for the dead one's lease to lapse (within about one lease period), takes the study over and finishes it with 10 complete trials, each run to the end once",
  run: (context) =>
    withCluster(async (c) => {
      const { measured, checks } = context;
      const study = "takeover";
      const file = writeConfig(c, fixtureStudy(c, study, { maxTrials: 10, sleepMs: 300 }));
      const lease = ["--lease", String(TAKEOVER_LEASE_MS)];
      const first = startCoordinator(c, file, "coordinator-1", lease);
      const workers = ["w0", "w1"].map((id) => startWorker(c, id));
      await waitFor("3 complete trials", async () => (await completeCount(c, study)) >= 3);
      first.child.kill("SIGKILL");
      await first.exited;
      const restartedAt = Date.now();
      const second = startCoordinator(c, file, "coordinator-2", lease);
      let takenOverAt: number | undefined;
      const watch = waitFor("the lease taken over", () => second.output().includes("study lease taken over"), 60_000).then(
        () => (takenOverAt = Date.now()),
        () => undefined,
      );

      const trials = await finishedStudy(c, second, study, 10, context, 90_000);
      await watch;
      const next = firstFinishAfter(trials, restartedAt);
      measured.recovery =
        takenOverAt === undefined
          ? "never (the new coordinator logged no take-over)"
          : `${seconds(takenOverAt - restartedAt)} (restart → lease taken over), ${next === undefined ? "no trial after it" : `${seconds(next - restartedAt)} to the next trial completion`}`;
      checks.expect(takenOverAt !== undefined, 'the new coordinator must log "study lease taken over"');
      if (takenOverAt !== undefined) {
        checks.expect(takenOverAt - restartedAt <= 1.5 * TAKEOVER_LEASE_MS, `the take-over must come within about one lease (${seconds(TAKEOVER_LEASE_MS)}), got ${seconds(takenOverAt - restartedAt)}`);
      }
      checks.expect(workers.every(isRunning), "every worker must keep running");
    }),
};

export const outageMidTrial: FaultScenario = {
  slug: "outage-mid-trial",
  title: "Redis outage longer than the job locks while trials run on through it",
  action:
    "Redis of its own (AOF always), 3 workers with `--lock-duration 1000`, 2 trials of 9 s; while both run, Redis is killed with SIGKILL and kept away 4 s, so both jobs' locks lapse and BullMQ hands them to the idle third worker",
  expected: "neither trial is started a second time: the idle worker waits on their claims; the study finishes with 2 complete trials, each started once and run to the end once",
  run: (context) =>
    withCluster(
      async (c) => {
        const { measured, checks } = context;
        const study = "outage-mid-trial";
        let server = c.redisServer;
        if (server === undefined) throw new Error("the scenario needs a Redis of its own");
        ["w0", "w1", "w2"].forEach((id) => startWorker(c, id, ["--lock-duration", "1000"]));
        const coordinator = startCoordinator(c, writeConfig(c, fixtureStudy(c, study, { maxTrials: 2, sleepMs: 9000 })));
        await waitFor("both trials running", () => readMarks(c.marks).filter((m) => m.kind === "start").length === 2);
        const faultAt = Date.now();
        await stopRedisServer(server, "SIGKILL", true);
        await sleep(4000);
        server = await startRedisServer(AOF_ALWAYS, { port: server.port, dir: server.dir });
        c.redisServer = server;
        const backAt = Date.now();

        const trials = await finishedStudy(c, coordinator, study, 2, context, 90_000);
        const starts = readMarks(c.marks).filter((m) => m.kind === "start").length;
        measured.recovery = elapsed(faultAt, firstFinishAfter(trials, faultAt), "fault → next trial completion");
        measured.notes.push(`Redis away ${seconds(backAt - faultAt)}`, `${starts} trial starts for 2 trials`);
        checks.expect(starts === 2, `each trial must start once, got ${starts} starts for 2 trials`);
      },
      { ownRedis: true },
    ),
};
