/**
 * Bad input and misbehaving training commands: a script that reports every step,
 * fatal start-up mistakes (a config changed between restarts, a wrong --redis), a
 * grandchild that leaves the trial's process group with setsid, and commands that
 * crash, hang, print garbage, flood stdout or do not exist.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { resultsQueueName } from "@bayestune/protocol";
import { RedisStore, type StoredTrial } from "@bayestune/store";
import {
  finished,
  fixtureStudy,
  misbehavingStudy,
  MISBEHAVIOUR_MODES,
  readMarks,
  sleep,
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
} from "../../test/support/cluster.js";
import { freePort } from "../../test/support/redis-server.js";
import { repositoryRoot } from "../../test/support/run-cli.js";
import {
  countExecutions,
  formatExecutions,
  formatTrials,
  isRunning,
  seconds,
  withCluster,
  type Checks,
  type FaultScenario,
} from "./scenario.js";
import { cliErrorLines, isDead } from "../../test/support/processes.js";

const PROGRESS_TRIAL = join(repositoryRoot, "bench/faults/progress-trial.mjs");
const SETSID_GRANDCHILD = join(repositoryRoot, "apps/worker/test/fixtures/setsid-grandchild.sh");

const FLOOD_LINES = 200_000;
const FLOOD_TRIALS = 10;
/** The worker's default --progress-interval. */
const PROGRESS_INTERVAL_MS = 1000;

interface FloodRun {
  readonly trials: StoredTrial[];
  readonly finished: number;
  readonly failed: number;
  /** Trial 0, from its own start to its final line. */
  readonly floodMs: number;
  /** Progress messages the workers added to the study's results queue (its event stream's "added"). */
  readonly progressPosted: number;
  /** From another trial's final line to the coordinator recording its result, ms: those that ended while trial 0 ran (all of them when none did). */
  readonly otherDelaysMs: number[];
}

/** The times each execution's markers hold, by trial number (one execution per trial here). */
function markTimes(marks: string): Map<number, { start?: number; done?: number }> {
  const times = new Map<number, { start?: number; done?: number }>();
  for (const m of readMarks(marks)) {
    const at = Number(readFileSync(join(marks, `t${m.trial}-w${m.worker}-p${m.pid}.${m.kind}`), "utf8"));
    times.set(m.trial, { ...times.get(m.trial), [m.kind]: at });
  }
  return times;
}

/** The flood trial run by the bench itself, its stdout read and dropped: what printing costs without a worker, ms by the script's own timestamps. */
async function floodAloneMs(lines: number): Promise<number> {
  const marks = mkdtempSync(join(tmpdir(), "bayestune-flood-"));
  try {
    const child = spawn(process.execPath, [PROGRESS_TRIAL, "--x=0.5"], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, MARK_DIR: marks, BAYESTUNE_TRIAL: "0", ...floodEnv(lines) },
    });
    child.stdout.resume();
    await new Promise((resolve) => child.once("exit", resolve));
    const zero = markTimes(marks).get(0);
    return (zero?.done ?? Number.NaN) - (zero?.start ?? Number.NaN);
  } finally {
    rmSync(marks, { recursive: true, force: true });
  }
}

/** Trial 0 prints `lines` in 10 bursts 0.2 s apart; the others train 0.15 s. */
function floodEnv(lines: number): Record<string, string> {
  return { FLOOD_TRIAL: "0", FLOOD_LINES: String(lines), BURSTS: "10", PAUSE_MS: "200", SLEEP_MS: "150" };
}

/** 10 trials on 2 workers; trial 0 prints `lines` progress lines in 10 bursts 0.2 s apart, the others train 0.15 s. */
function floodRun(lines: number): Promise<FloodRun> {
  return withCluster(async (c) => {
    const study = lines > 0 ? "flood" : "quiet";
    const config = fixtureStudy(c, study, {
      maxTrials: FLOOD_TRIALS,
      trialTimeoutSeconds: 60,
      command: {
        argv: [process.execPath, PROGRESS_TRIAL, "--x={x}"],
        env: { MARK_DIR: c.marks, ...floodEnv(lines) },
      },
    });
    startWorker(c, "w0");
    startWorker(c, "w1");
    const summary = await finished(c, startCoordinator(c, writeConfig(c, config)), 90_000);
    const trials = await storedTrials(c, study);
    const times = markTimes(c.marks);
    const zero = times.get(0);
    const floodMs = (zero?.done ?? Number.NaN) - (zero?.start ?? Number.NaN);
    const delays = trials
      .filter((t) => t.number !== 0 && t.finishedAt !== undefined && times.get(t.number)?.done !== undefined)
      .map((t) => ({ done: times.get(t.number)?.done ?? 0, delay: (t.finishedAt ?? 0) - (times.get(t.number)?.done ?? 0) }));
    const during = delays.filter((d) => zero?.start !== undefined && zero.done !== undefined && d.done >= zero.start && d.done <= zero.done);
    return {
      trials,
      ...summary,
      floodMs,
      progressPosted: await progressAdded(c, study),
      otherDelaysMs: (during.length > 0 ? during : delays).map((d) => d.delay),
    };
  });
}

async function progressAdded(c: Cluster, study: string): Promise<number> {
  const redis = new Redis(c.redisUrl, { maxRetriesPerRequest: null });
  try {
    const entries = await redis.xrange(`${c.prefix}:${resultsQueueName(study)}:events`, "-", "+");
    return entries.filter(([, fields]) => {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
      return f.get("event") === "added" && f.get("name") === "progress";
    }).length;
  } finally {
    redis.disconnect();
  }
}

export const progressFlood: FaultScenario = {
  slug: "progress-flood",
  title: "a trial that prints 200 000 progress lines",
  action: `2 workers (default \`--progress-interval\`, ${PROGRESS_INTERVAL_MS} ms), ${FLOOD_TRIALS} trials; trial 0 prints ${FLOOD_LINES.toLocaleString("en")} progress lines in 10 bursts 0.2 s apart, the others train 0.15 s; run again with trial 0 printing nothing (the same pauses); and the flood script once alone, its stdout drained by the bench`,
  expected:
    "both studies finish with every trial complete; progress posts stay at about one per interval; trial 0 takes at most twice as long under a worker as the same script printing into a pipe the bench drains; other trials' results are recorded no more than 1 s later than in the quiet run",
  run: async ({ measured, checks }) => {
    const aloneMs = await floodAloneMs(FLOOD_LINES);
    const quiet = await floodRun(0);
    const flood = await floodRun(FLOOD_LINES);
    const stored = flood.trials[0]?.intermediate.length ?? 0;
    const floodMax = Math.max(0, ...flood.otherDelaysMs);
    const quietMax = Math.max(0, ...quiet.otherDelaysMs);
    const allowedPosts = Math.ceil(flood.floodMs / PROGRESS_INTERVAL_MS) + 2;
    measured.trials = `flood: ${formatTrials(flood.trials)}; quiet: ${formatTrials(quiet.trials)}`;
    measured.executions = `${FLOOD_TRIALS} per study, one each (the script's own timestamps)`;
    measured.recovery = `— (trial 0: ${seconds(flood.floodMs)} printing under a worker, ${seconds(aloneMs)} printing alone, ${seconds(quiet.floodMs)} printing nothing)`;
    measured.notes.push(
      `${flood.progressPosted} progress messages posted, ${stored} points stored, for ${FLOOD_LINES.toLocaleString("en")} lines`,
      `other trials' results recorded ${Math.round(floodMax)} ms at most after their final line while trial 0 printed (${Math.round(quietMax)} ms in the quiet run)`,
    );
    for (const [name, run] of [["flood", flood], ["quiet", quiet]] as const) {
      checks.expect(run.finished === FLOOD_TRIALS && run.failed === 0, `the ${name} study must finish ${FLOOD_TRIALS} trials, 0 failed, got ${run.finished} and ${run.failed}`);
      checks.expect(run.trials.every((t) => t.state === "complete"), `every trial of the ${name} study must be complete, got ${formatTrials(run.trials)}`);
    }
    checks.expect(flood.progressPosted <= allowedPosts, `at most ${allowedPosts} progress messages (one per interval, plus the last) may be posted, got ${flood.progressPosted}`);
    checks.expect(flood.progressPosted > 0 && stored > 0, "the learning curve must still reach the store");
    checks.expect(flood.floodMs <= 2 * aloneMs, `trial 0 must take at most twice as long under a worker as alone (${seconds(aloneMs)}), got ${seconds(flood.floodMs)}`);
    checks.expect(floodMax <= quietMax + 1000, `other trials' results may be at most 1 s later than in the quiet run (${Math.round(quietMax)} ms), got ${Math.round(floodMax)} ms`);
  },
};

/** Waits for `proc` to end on its own (killing it after `timeoutMs`), checks its one error line, and says how long it took. */
async function fatalExit(proc: Proc, checks: Checks, what: string, expectCode: (code: number | null) => boolean, mustContain: string): Promise<string> {
  const startedAt = Date.now();
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await withTimeout(proc.exited, 30_000, () => `${what}: did not exit in 30 s`);
  } catch (error) {
    proc.child.kill("SIGKILL");
    checks.expect(false, `${what}: must exit by itself, got no exit in 30 s:\n${tail(proc, 300)}`);
    throw error;
  }
  const ms = Date.now() - startedAt;
  const { own, stackTrace } = cliErrorLines(proc.output());
  checks.expect(expectCode(exit.code), `${what}: wrong exit, got ${exit.code ?? exit.signal}`);
  checks.expect(ms <= 10_000, `${what}: must exit within 10 s, got ${seconds(ms)}`);
  checks.expect(own.length === 1 && own[0]?.includes(mustContain) === true, `${what}: one line containing ${JSON.stringify(mustContain)}, got ${JSON.stringify(own)}`);
  checks.expect(!stackTrace, `${what}: no stack trace`);
  return `${what}: exit ${exit.code ?? exit.signal} in ${seconds(ms)}`;
}

async function studyExists(c: Cluster, study: string): Promise<boolean> {
  const store = new RedisStore({ redis: c.redisUrl, prefix: `${c.prefix}:bayestune` });
  try {
    return (await store.getStudy(study)) !== undefined;
  } finally {
    await store.close();
  }
}

export const fatalStartup: FaultScenario = {
  slug: "fatal-startup",
  title: "fatal start-up errors",
  action: "a study's config changed (maxTrials 4 → 5) between two starts of its coordinator; `bayestune coordinator` and `bayestune worker` given a `--redis` port where nothing listens",
  expected: "each exits non-zero (2) within seconds with one `bayestune:` line (the config's difference; the URL and ECONNREFUSED), no stack trace",
  run: ({ measured, checks }) =>
    withCluster(async (c) => {
      const file = writeConfig(c, fixtureStudy(c, "changed", { maxTrials: 4 }));
      const first = startCoordinator(c, file, "first");
      await waitFor("the study created", () => studyExists(c, "changed"));
      first.child.kill("SIGTERM");
      await withTimeout(first.exited, 30_000, () => `the first coordinator did not stop on SIGTERM:\n${tail(first)}`);
      writeConfig(c, fixtureStudy(c, "changed", { maxTrials: 5 }));
      const times = [await fatalExit(startCoordinator(c, file, "again"), checks, "config changed", (code) => code === 2, "differs in: maxTrials")];

      const url = `redis://127.0.0.1:${await freePort()}`;
      const nonZero = (code: number | null): boolean => code !== null && code !== 0;
      const coordinator = spawnCli(c, "coordinator-nowhere", ["coordinator", writeConfig(c, fixtureStudy(c, "nowhere")), "--redis", url, "--prefix", c.prefix]);
      times.push(await fatalExit(coordinator, checks, "coordinator, wrong --redis", nonZero, "ECONNREFUSED"));
      const worker = spawnCli(c, "worker-nowhere", ["worker", "--redis", url, "--prefix", c.prefix, "--work-dir", c.dir]);
      times.push(await fatalExit(worker, checks, "worker, wrong --redis", nonZero, "ECONNREFUSED"));
      measured.trials = "— (nothing runs)";
      const executions = countExecutions(c.marks);
      measured.executions = executions.starts === 0 ? "none (no trial runs)" : formatExecutions(executions);
      measured.recovery = times.join("; ");
    }),
};

export const setsidGrandchild: FaultScenario = {
  slug: "setsid-grandchild",
  title: "a trial whose grandchild calls setsid",
  action:
    "2 workers, 4 trials of `setsid-grandchild.sh` (apps/worker/test/fixtures): each starts a grandchild that leaves the trial's process group and session with setsid; even trials then exit with their result, odd ones hang into the 1.5 s timeout",
  expected: "no process of any trial survives it: every escaped grandchild is dead by the time its trial's result is recorded (or within 2 s); even trials complete, odd ones fail \"timeout\"",
  run: ({ measured, checks }) =>
    withCluster(async (c) => {
      const info = join(c.dir, "setsid");
      mkdirSync(info);
      // The mode follows the trial number, so both occur whatever the sampler picks.
      const script = 'if [ $((BAYESTUNE_TRIAL % 2)) -eq 0 ]; then m=exit; else m=hang; fi; exec /bin/sh "$0" "$1/t$BAYESTUNE_TRIAL-$$" "$m"';
      const config = fixtureStudy(c, "setsid", { maxTrials: 4, trialTimeoutSeconds: 1.5, command: { argv: ["/bin/sh", "-c", script, SETSID_GRANDCHILD, info] } });
      const workers = ["w0", "w1"].map((id) => startWorker(c, id));
      const grandchildren = new Map<string, { trial: number; pid: number; group: number; deadAt?: number }>();
      const scan = (): void => {
        for (const file of readdirSync(info)) {
          const [pid, group] = readFileSync(join(info, file), "utf8").trim().split(" ").map(Number);
          if (!grandchildren.has(file) && pid !== undefined && group !== undefined && pid > 0) grandchildren.set(file, { trial: Number(/^t(\d+)-/.exec(file)?.[1]), pid, group });
        }
        for (const g of grandchildren.values()) if (g.deadAt === undefined && isDead(g.pid)) g.deadAt = Date.now();
      };
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          scan();
          await sleep(20);
        }
      })();
      try {
        const summary = await finished(c, startCoordinator(c, writeConfig(c, config)), 60_000);
        const trials = await storedTrials(c, "setsid");
        const endedAt = Date.now();
        await waitFor("every grandchild gone", () => [...grandchildren.values()].every((g) => g.deadAt !== undefined), 2000).catch(() => undefined);
        const survivors = [...grandchildren.values()].filter((g) => g.deadAt === undefined);
        const lags = [...grandchildren.values()].map((g) => (g.deadAt ?? endedAt + 2000) - (trials[g.trial]?.finishedAt ?? endedAt));
        measured.trials = formatTrials(trials);
        measured.executions = `${grandchildren.size} executions, ${[...grandchildren.values()].filter((g) => g.group === g.pid).length} grandchildren that led a group of their own (setsid); ${survivors.length} survived`;
        const latest = Math.max(...lags);
        measured.recovery = latest <= 0 ? "every grandchild gone before its trial's result was recorded" : `grandchild gone ${Math.round(latest)} ms at most after its trial's result was recorded`;
        checks.expect(summary.finished === 4, `4 trials must finish, got ${summary.finished}`);
        checks.expect(grandchildren.size === 4 && [...grandchildren.values()].every((g) => g.group === g.pid), "each of the 4 executions must leave a grandchild with a group of its own");
        checks.expect(survivors.length === 0, `no grandchild may survive its trial, got ${survivors.map((g) => g.pid).join(", ")}`);
        checks.expect(
          trials.every((t) => (t.number % 2 === 0 ? t.state === "complete" : t.state === "failed" && t.reason === "timeout")),
          `even trials must complete and odd ones fail "timeout", got ${trials.map((t) => `${t.number}: ${t.state} ${t.reason ?? ""}`).join(", ")}`,
        );
        checks.expect(workers.every(isRunning), "every worker must keep running");
      } finally {
        watching = false;
        await watcher;
        for (const g of grandchildren.values()) if (!isDead(g.pid)) process.kill(g.pid, "SIGKILL");
      }
    }),
};

/** What each mode of test/fixtures/distributed-trial.mjs must end as. */
const MISBEHAVIOURS: Record<string, { state: string; reason?: string }> = {
  ok: { state: "complete" },
  flood: { state: "complete" },
  crash: { state: "failed", reason: "nonzero-exit" },
  hang: { state: "failed", reason: "timeout" },
  garbage: { state: "failed", reason: "no-metric" },
  missing: { state: "failed", reason: "command-not-found" },
};

export const misbehavingCommands: FaultScenario = {
  slug: "misbehaving-commands",
  title: "misbehaving training commands in one study",
  action:
    "2 workers, 18 trials whose `mode` picks a command: ok, crash (exit 3), hang (into the 1.5 s timeout), garbage output, an 8 MB stdout flood with a 1 MB line, a program that does not exist",
  expected: "each misbehaving trial fails with its reason (nonzero-exit, timeout, no-metric, command-not-found), ok and flood complete; no worker or coordinator crashes; no trial runs twice",
  run: ({ measured, checks }) =>
    withCluster(async (c) => {
      const config = misbehavingStudy(c, "bad-commands");
      const workers = ["w0", "w1"].map((id) => startWorker(c, id));
      const coordinator = startCoordinator(c, writeConfig(c, config));
      const startedAt = Date.now();
      const summary = await finished(c, coordinator, 90_000);
      const trials = await storedTrials(c, "bad-commands");
      const executions = countExecutions(c.marks);
      const byMode = new Map<string, string[]>();
      for (const t of trials) {
        const mode = t.params["mode"] as string;
        byMode.set(mode, [...(byMode.get(mode) ?? []), t.state === "failed" ? `failed ${t.reason ?? "?"}` : t.state]);
      }
      measured.trials = formatTrials(trials);
      measured.executions = formatExecutions(executions);
      measured.recovery = `— (study done in ${seconds(Date.now() - startedAt)})`;
      measured.notes.push([...byMode].map(([mode, ends]) => `${mode}: ${[...new Set(ends)].join("/")} ×${ends.length}`).join(", "));
      checks.expect(summary.finished === 18, `the coordinator must finish 18 trials, got ${summary.finished}`);
      const wrong = trials.filter((t) => {
        const want = MISBEHAVIOURS[t.params["mode"] as string];
        return want === undefined || t.state !== want.state || t.reason !== want.reason || (t.state === "failed" && !(t.message ?? "").trim());
      });
      checks.expect(wrong.length === 0, `each trial must end as its mode says, with a message when failed, got ${wrong.map((t) => `${t.number} (${String(t.params["mode"])}): ${t.state} ${t.reason ?? ""}`).join(", ")}`);
      checks.expect(MISBEHAVIOUR_MODES.every((m) => byMode.has(m)), `every mode must occur, got ${[...byMode.keys()].join(", ")}`);
      checks.expect(executions.maxStarts <= 1, `no trial may run twice, got ${executions.maxStarts} starts of one`);
      checks.expect(workers.every(isRunning), "no worker may crash");
    }),
};
