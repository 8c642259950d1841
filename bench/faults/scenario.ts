/**
 * What one fault scenario of the bench is, what it measured, and the checks that
 * decide "met": a scenario writes its measurements into {@link Measured} as it
 * goes and states each expectation through {@link Checks}, so that one that
 * throws half-way (a hang, a flag that does not exist yet) still reports what it
 * saw, as "not met" with the error.
 */
import { AssertionError } from "node:assert";
import type { StoredTrial } from "@bayestune/store";
import {
  createCluster,
  destroyCluster,
  expectDenseFinished,
  expectExactlyOnce,
  finished,
  readMarks,
  storedTrials,
  type Cluster,
  type Proc,
} from "../../test/support/cluster.js";
import { startRedisServer } from "../../test/support/redis-server.js";

/** What the table shows of a run; "—" where a scenario has nothing to say. */
export interface Measured {
  /** Trials as the store has them at the end, e.g. "20 complete, 0 failed". */
  trials: string;
  /** Executions counted by the training script's own marker files. */
  executions: string;
  /** From the fault to the first trial completing after it, or to the process exiting. */
  recovery: string;
  /** Anything else measured, one short phrase each. */
  notes: string[];
}

/** The expectations of a scenario, each kept with what was seen when it did not hold. */
export class Checks {
  readonly failures: string[] = [];

  /** Records `what` (phrased as what must hold, with what was got) unless `ok`. */
  expect(ok: boolean, what: string): void {
    if (!ok) this.failures.push(what);
  }

  /** Runs one of test/support/cluster.ts's assertions; records `what` and the values it got when it throws. */
  assert(what: string, assertion: () => void): void {
    try {
      assertion();
    } catch (error) {
      if (!(error instanceof AssertionError)) throw error;
      this.failures.push(`${what}, got ${JSON.stringify(error.actual).slice(0, 200)}`);
    }
  }
}

export interface ScenarioContext {
  readonly measured: Measured;
  readonly checks: Checks;
}

export interface FaultScenario {
  /** Its name for `--only`. */
  readonly slug: string;
  readonly title: string;
  /** What the bench does to the cluster. */
  readonly action: string;
  /** What the system must do about it, in words; the checks are the code of it. */
  readonly expected: string;
  run(context: ScenarioContext): Promise<void>;
}

export interface ScenarioOutcome {
  readonly scenario: Omit<FaultScenario, "run">;
  readonly measured: Measured;
  readonly failures: readonly string[];
  readonly met: boolean;
  readonly wallMs: number;
}

/** Runs `body` on a fresh cluster (its own prefix; its own AOF Redis when `ownRedis`), then removes every process, key and file. */
export async function withCluster<T>(body: (cluster: Cluster) => Promise<T>, options: { ownRedis?: boolean } = {}): Promise<T> {
  const server = options.ownRedis === true ? await startRedisServer(AOF_ALWAYS) : undefined;
  const cluster = createCluster(server?.url);
  if (server !== undefined) cluster.redisServer = server;
  try {
    return await body(cluster);
  } finally {
    await destroyCluster(cluster);
  }
}

/** Redis as the reproductions ran it: every write on disk before it is acknowledged. */
export const AOF_ALWAYS = ["--appendonly", "yes", "--appendfsync", "always"];

/**
 * Waits for the coordinator's exit and summary, fills the trials and executions, and
 * checks what every study must end with: `maxTrials` trials, all complete, each run to
 * its final line exactly once. The measurements are taken even when the wait fails.
 */
export async function finishedStudy(
  cluster: Cluster,
  coordinator: Proc,
  study: string,
  maxTrials: number,
  { measured, checks }: ScenarioContext,
  timeoutMs = 60_000,
): Promise<StoredTrial[]> {
  const summary = await finished(cluster, coordinator, timeoutMs).finally(async () => {
    measured.trials = formatTrials(await storedTrials(cluster, study));
    measured.executions = formatExecutions(countExecutions(cluster.marks));
  });
  const trials = await storedTrials(cluster, study);
  checks.expect(
    summary.finished === maxTrials && summary.failed === 0,
    `the coordinator must report ${maxTrials} finished and 0 failed, got ${summary.finished} and ${summary.failed}`,
  );
  checks.assert(`trials 0..${maxTrials - 1} must exist, none running`, () => expectDenseFinished(trials, maxTrials));
  checks.expect(trials.every((t) => t.state === "complete"), `every trial must be complete, got ${formatTrials(trials)}`);
  checks.assert("every complete trial must run to its final line exactly once", () => expectExactlyOnce(cluster, trials));
  return trials;
}

export interface Executions {
  /** Executions that started (one marker each), and those that reached their final line. */
  readonly starts: number;
  readonly done: number;
  /** The most of any one trial number. */
  readonly maxStarts: number;
  readonly maxDone: number;
}

export function countExecutions(marks: string): Executions {
  const starts = new Map<number, number>();
  const done = new Map<number, number>();
  for (const mark of readMarks(marks)) {
    const counts = mark.kind === "start" ? starts : done;
    counts.set(mark.trial, (counts.get(mark.trial) ?? 0) + 1);
  }
  const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  const max = (m: Map<number, number>): number => Math.max(0, ...m.values());
  return { starts: sum(starts), done: sum(done), maxStarts: max(starts), maxDone: max(done) };
}

export function formatExecutions(e: Executions): string {
  return `${e.starts} started, ${e.done} ran to the end; at most ${e.maxStarts} started and ${e.maxDone} ended of one trial`;
}

/** "18 complete, 2 failed" (and the other states when there are any). */
export function formatTrials(trials: readonly StoredTrial[]): string {
  const counts = new Map<string, number>();
  for (const t of trials) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  const complete = counts.get("complete") ?? 0;
  const failed = counts.get("failed") ?? 0;
  const others = [...counts].filter(([state]) => state !== "complete" && state !== "failed").map(([state, n]) => `, ${n} ${state}`);
  return `${complete} complete, ${failed} failed${others.join("")}`;
}

/** When the first trial finished (as the store recorded it) after `since`, both epoch ms. */
export function firstFinishAfter(trials: readonly StoredTrial[], since: number): number | undefined {
  const after = trials.map((t) => t.finishedAt).filter((at): at is number => at !== undefined && at > since);
  return after.length === 0 ? undefined : Math.min(...after);
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** "2.3 s (what)" or "never (what)". */
export function elapsed(from: number, to: number | undefined, what: string): string {
  return to === undefined ? `never (${what})` : `${seconds(to - from)} (${what})`;
}

export function isRunning(proc: Proc): boolean {
  return proc.child.exitCode === null && proc.child.signalCode === null;
}



/** The first line of an error, for the table (the full one goes to the bench's log). */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]?.slice(0, 300) ?? "";
}
