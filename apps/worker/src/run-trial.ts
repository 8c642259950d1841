import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { stat, writeFile } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { performance } from "node:perf_hooks";
import {
  formatZodIssues,
  ProgressEvent,
  TrialJob,
  TrialResult,
  type TrialResultInput,
} from "@bayestune/protocol";
import { classifyOutcome, type ProcessOutcome, type Verdict } from "./classify-outcome.js";
import { renderArgv } from "./command-template.js";
import { InvalidJobError, InvalidOptionsError } from "./errors.js";
import { LineSplitter } from "./line-splitter.js";
import { parseMetricLine, type ParsedMetricLine } from "./parse-metric-line.js";
import type { ProcessGroupTracker } from "./orphan-guard.js";
import { TailBuffer } from "./tail-buffer.js";
import { prepareTrialDir, type TrialPaths } from "./trial-dir.js";
import { buildTrialEnv } from "./trial-env.js";
import { newProcessTag, signalTaggedProcesses } from "./trial-processes.js";

export interface RunTrialOptions {
  /** Worker id, written into the result. */
  worker: string;
  /** GPU(s) assigned to the trial; becomes CUDA_VISIBLE_DEVICES. @defaultValue unset, the parent's value is kept */
  gpu?: string;
  /** A per-job directory is created under it, holding params.json and the script's own files. */
  workDir: string;
  /**
   * Each trial gets a checkpoint directory of its own under it (BAYESTUNE_CHECKPOINT_DIR).
   * A promotion may run on another machine, so on a cluster it is a directory every
   * worker shares (a network file system). @defaultValue `${workDir}/checkpoints`: this machine's alone
   */
  checkpointDir?: string;
  /** Called for every stdout metric line with a `step`; what it throws is swallowed, never failing the run. */
  onProgress?: (event: ProgressEvent) => void;
  /** Told each process group the trial leads, when it starts and once it is reaped (the worker's orphan guard). */
  groups?: ProcessGroupTracker;
  /** Aborting kills the whole process group; the result is failed "cancelled". */
  signal?: AbortSignal;
  /**
   * Aborting asks the trial to stop early (the engine pruned or cancelled it): the stop
   * file (BAYESTUNE_STOP_FILE, holding the abort reason when it is a string) is created
   * at once, and a process still running `stopGraceMs` later has its group stopped as at a
   * timeout. The result is complete with `stopped: true` when the script reported a value
   * (its final line, else its last finite report of the objective), failed "stopped" when
   * it reported none. Already aborted: the process starts with the stop file in place. An
   * abort once the run is ending for another reason (timeout, cancel, divergence) changes nothing.
   */
  stop?: AbortSignal;
  /** Time between a `stop` request and SIGTERM, for the script to save its state and print its final line. @defaultValue 30 s */
  stopGraceMs?: number;
  /** Time between SIGTERM and SIGKILL when the worker stops the process group. @defaultValue 10 s */
  killGraceMs?: number;
  /** Longest stdout line read, in bytes; longer ones are dropped unread. @defaultValue 64 KiB */
  maxLineBytes?: number;
  /** Bytes of stderr kept for the result and for out-of-memory detection. @defaultValue 4 KiB */
  stderrTailBytes?: number;
}

const DEFAULTS = { killGraceMs: 10_000, stopGraceMs: 30_000, maxLineBytes: 64 * 1024, stderrTailBytes: 4 * 1024 };
/** setTimeout fires at once beyond 2^31 - 1 ms (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * After the process exits, how long its pipes may stay open: a grandchild that left
 * the process group (setsid) can hold them for ever, and the result must not wait.
 */
const PIPE_DRAIN_MS = 2_000;

type ResolvedOptions = Required<
  Pick<RunTrialOptions, "worker" | "workDir" | "checkpointDir" | "killGraceMs" | "stopGraceMs" | "maxLineBytes" | "stderrTailBytes">
> &
  Pick<RunTrialOptions, "gpu" | "onProgress" | "signal" | "stop" | "groups">;

/**
 * Runs one trial job's command as a child process and reports how it ended.
 *
 * Contract:
 * - Resolves with a result that passes `TrialResult.parse` for anything the child does
 *   (crash, hang, flood, garbage, missing program) and for a job that fails its schema
 *   or its command template ("invalid-job", nothing spawned).
 * - The child leads its own process group; on timeout, abort or an unheeded stop request
 *   the whole group gets SIGTERM, then SIGKILL after `killGraceMs`; when the child exits, members it left
 *   behind are killed too, so no GPU memory outlives the trial. On Linux the same
 *   holds for descendants that left the group (setsid): every process of the job
 *   carries its process tag (trial-processes.ts).
 * - A job that names a checkpoint this machine does not have fails "checkpoint-missing"
 *   before anything is spawned: starting over from scratch would silently waste the
 *   rungs already trained.
 * - No timer or listener survives the returned promise.
 *
 * @throws InvalidOptionsError when an option is out of range.
 * @throws InvalidJobError when the job is so malformed that no valid result can name it
 *   (its study, trial or rung is invalid).
 * @throws the underlying error when the trial directory cannot be written or the
 *   operating system refuses to spawn for a reason other than the program (EMFILE, ENOMEM):
 *   failures of the worker, to be retried elsewhere.
 */
export async function runTrial(job: TrialJob, options: RunTrialOptions): Promise<TrialResult> {
  const opts = resolveOptions(options);
  const startedAt = performance.now();
  const finish = (partial: Omit<TrialResultInput, "kind" | "worker" | "durationSeconds">): TrialResult =>
    TrialResult.parse({
      kind: "result",
      ...partial,
      durationSeconds: (performance.now() - startedAt) / 1000,
      worker: opts.worker,
    });

  const parsed = TrialJob.safeParse(job);
  if (!parsed.success) {
    const message = formatZodIssues(parsed.error, "trial job");
    // Typed as a TrialJob, but it may be anything a queue delivered.
    const raw: Partial<Record<keyof TrialJob, unknown>> = typeof job === "object" && job !== null ? job : {};
    const result = TrialResult.safeParse({
      kind: "result",
      study: raw.study,
      trial: raw.trial,
      rung: raw.rung ?? 0,
      state: "failed",
      reason: "invalid-job",
      message,
      durationSeconds: 0,
      worker: opts.worker,
    });
    if (!result.success) throw new InvalidJobError(message);
    return result.data;
  }
  const valid = parsed.data;
  const identity = { study: valid.study, trial: valid.trial, rung: valid.rung };
  const failed = (verdict: Extract<Verdict, { state: "failed" }>): TrialResult => finish({ ...identity, ...verdict });

  let argv: string[];
  try {
    argv = renderArgv(valid.command.argv, valid.params, valid.fidelity);
    if (valid.command.cwd !== undefined) await assertDirectory(valid.command.cwd);
  } catch (error) {
    if (error instanceof InvalidJobError) return failed({ state: "failed", reason: "invalid-job", message: error.message });
    throw error;
  }
  const cwd = valid.command.cwd ?? process.cwd();
  if (valid.checkpoint !== undefined && !(await exists(resolvePath(cwd, valid.checkpoint)))) {
    return failed({
      state: "failed",
      reason: "checkpoint-missing",
      message:
        `checkpoint ${JSON.stringify(valid.checkpoint)} to resume rung ${valid.rung} from does not exist on worker ${opts.worker}: ` +
        "the previous rung most likely ran on another machine. Give every worker the same shared --checkpoint-dir " +
        "(a network file system) and save checkpoints under BAYESTUNE_CHECKPOINT_DIR",
    });
  }
  if (opts.signal?.aborted === true) {
    return failed({ state: "failed", reason: "cancelled", message: "cancelled before the process was started" });
  }

  const paths = await prepareTrialDir(opts.workDir, opts.checkpointDir, valid);
  // Before the spawn, so that the script's first should_stop() sees it.
  if (opts.stop?.aborted === true) await createStopFile(paths.stopFile, opts.stop.reason);
  const processTag = newProcessTag();
  const env = buildTrialEnv(valid, paths, opts.gpu, processTag, process.env);
  const nul = findNul(argv, env);
  // spawn() would throw on it; it comes from the job (a param value, command.env), not from the worker.
  if (nul !== undefined) return failed({ state: "failed", reason: "invalid-job", message: `${nul} must not contain a NUL character` });
  const supervised = await supervise(argv, { cwd, env }, processTag, valid, opts, paths);

  if (supervised.kind === "spawn-failed") {
    const program = argv[0] ?? "";
    const why =
      supervised.error.code === "ENOENT"
        ? "was not found; check the program name and PATH"
        : "is not executable; check its permissions (chmod +x)";
    return failed({
      state: "failed",
      reason: "command-not-found",
      message: `command '${program}' ${why} (spawn ${supervised.error.code})`,
    });
  }
  const { outcome, checkpoint } = supervised;
  const verdict = classifyOutcome(outcome, valid, opts);
  return finish({
    ...identity,
    ...verdict,
    // The result carries a tail of stderr; the whole output stays on the worker's disk.
    ...(verdict.state === "failed" ? { message: `${verdict.message} (full output: ${paths.stderrLog}, ${paths.stdoutLog})` } : {}),
    metrics: verdict.state === "complete" ? verdict.metrics : (outcome.final?.metrics ?? {}),
    ...(checkpoint === undefined ? {} : { checkpoint }),
    stderrTail: outcome.stderrTail,
  });
}

/**
 * Copies everything `source` emits into the file at `path`, pausing the source
 * while the file catches up (a script that floods its output must not fill the
 * worker's memory). Writing never fails the trial: after a disk error (a full
 * disk) the rest is dropped.
 */
function keepOutput(source: Readable, path: string): { close(): Promise<void> } {
  const file = createWriteStream(path);
  let broken = false;
  file.on("error", () => {
    broken = true;
    source.resume();
  });
  source.on("data", (chunk: Buffer) => {
    if (broken || file.write(chunk)) return;
    source.pause();
    file.once("drain", () => source.resume());
  });
  return {
    close: () =>
      new Promise((resolve) => {
        if (broken) return resolve();
        file.once("error", () => resolve());
        file.end(() => resolve());
      }),
  };
}

type Supervised =
  | { kind: "ended"; outcome: ProcessOutcome; checkpoint: string | undefined }
  | { kind: "spawn-failed"; error: NodeJS.ErrnoException & { code: "ENOENT" | "EACCES" } };

/**
 * Creates the stop file the script polls (BAYESTUNE_STOP_FILE), holding the reason
 * when it is a string. Never rejects: a file that cannot be written (a full disk) only
 * leaves the script unwarned, and the stop grace period still ends the run.
 */
function createStopFile(path: string, reason: unknown): Promise<void> {
  return writeFile(path, typeof reason === "string" ? `${reason}\n` : "").catch(() => {});
}

/** Spawns the command, streams its output and stops it on timeout, abort or stop request; resolves once it has ended. */
function supervise(
  argv: readonly string[],
  spawnOptions: { cwd: string; env: NodeJS.ProcessEnv },
  processTag: string,
  job: TrialJob,
  opts: ResolvedOptions,
  paths: Pick<TrialPaths, "stdoutLog" | "stderrLog" | "stopFile">,
): Promise<Supervised> {
  return new Promise((resolve, reject) => {
    const [program = "", ...args] = argv;
    const child = spawn(program, args, { ...spawnOptions, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const stdoutLog = keepOutput(child.stdout, paths.stdoutLog);
    const stderrLog = keepOutput(child.stderr, paths.stderrLog);

    const stderr = new TailBuffer(opts.stderrTailBytes);
    let final: ParsedMetricLine | undefined;
    let lastReport: ProcessOutcome["lastReport"];
    let divergedAt: number | undefined;
    let intermediateLines = 0;
    let lastStep: number | undefined;
    let checkpoint: string | undefined;
    const stdout = new LineSplitter(opts.maxLineBytes, (line) => {
      const metricLine = parseMetricLine(line);
      // The first final line is the result; anything after it (a script that reports on) must not change it.
      if (metricLine === undefined || final !== undefined) return;
      if (metricLine.checkpoint !== undefined) checkpoint = metricLine.checkpoint;
      if (metricLine.final) {
        final = metricLine;
      } else {
        intermediateLines += 1;
        // A stopped run that printed no final line is worth its last value (null is NaN or ±Infinity).
        const value = metricLine.metrics[job.metric];
        if (typeof value === "number") lastReport = { value, line: metricLine };
      }
      if (metricLine.step !== undefined) {
        lastStep = metricLine.step;
        reportProgress(metricLine.step, metricLine.metrics);
        // A NaN or infinite loss mid-run (written as null) is a diverged run: the rest of its budget is wasted.
        if (!metricLine.final && metricLine.metrics[job.metric] === null) {
          divergedAt ??= metricLine.step;
          stop("diverged");
        }
      }
    });
    const reportProgress = (step: number, metrics: Record<string, number | null>): void => {
      if (opts.onProgress === undefined) return;
      const event: ProgressEvent = { kind: "progress", study: job.study, trial: job.trial, rung: job.rung, step, metrics };
      try {
        opts.onProgress(event);
      } catch {
        // The caller's bug must not fail, or stall, the user's training run.
      }
    };

    let stoppedBy: ProcessOutcome["stoppedBy"];
    let stopRequested = false;
    let sentSigkill = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let stopGraceTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    // The sweep of the job's tagged processes once the child has exited; the result waits for it.
    let swept: Promise<unknown> = Promise.resolve();
    // The result waits for it too, so that no stop file appears after the run has ended.
    let stopFileCreated: Promise<void> = Promise.resolve();

    /** The child's process group, and the processes of the job that left it. */
    const killJob = (signal: NodeJS.Signals): Promise<unknown> => {
      if (child.pid === undefined) return Promise.resolve();
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
      // The group's members got the signal already; a second SIGTERM could cut short their own shutdown.
      return signalTaggedProcesses(processTag, signal, child.pid);
    };
    const stop = (reason: NonNullable<ProcessOutcome["stoppedBy"]>): void => {
      if (stoppedBy !== undefined || exit !== undefined) return;
      stoppedBy = reason;
      void killJob("SIGTERM");
      graceTimer = setTimeout(() => {
        sentSigkill = true;
        void killJob("SIGKILL");
      }, opts.killGraceMs);
    };
    const onAbort = (): void => stop("cancelled");
    const onStopRequest = (): void => {
      if (stopRequested || stoppedBy !== undefined || exit !== undefined) return;
      stopRequested = true;
      stopFileCreated = createStopFile(paths.stopFile, opts.stop?.reason);
      stopGraceTimer = setTimeout(() => stop("stopped"), Math.min(opts.stopGraceMs, MAX_TIMER_MS));
    };

    const cleanUp = (): void => {
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
      clearTimeout(stopGraceTimer);
      clearTimeout(drainTimer);
      opts.signal?.removeEventListener("abort", onAbort);
      opts.stop?.removeEventListener("abort", onStopRequest);
      child.stdout.removeAllListeners("data");
      child.stderr.removeAllListeners("data");
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const settle = (): void => {
      if (settled || exit === undefined) return;
      cleanUp();
      if (child.pid !== undefined) opts.groups?.remove(child.pid);
      stdout.end();
      const ended: Supervised = {
        kind: "ended",
        outcome: {
          ...exit,
          ...(stoppedBy === undefined ? {} : { stoppedBy }),
          stopRequested,
          sentSigkill,
          ...(final === undefined ? {} : { final }),
          ...(lastReport === undefined ? {} : { lastReport }),
          ...(divergedAt === undefined ? {} : { divergedAt }),
          intermediateLines,
          ...(lastStep === undefined ? {} : { lastStep }),
          stderrTail: stderr.toString(),
        },
        checkpoint,
      };
      void Promise.all([swept, stopFileCreated, stdoutLog.close(), stderrLog.close()]).then(() => resolve(ended));
    };

    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    // A stream error (EPIPE and kin) must not crash the worker; the exit status tells how the trial ended.
    child.stdout.on("error", () => {});
    child.stderr.on("error", () => {});
    child.on("error", (error: NodeJS.ErrnoException) => {
      // After a successful spawn, 'error' only reports a failed child.kill(), which is never called.
      if (settled || child.pid !== undefined) return;
      cleanUp();
      if (error.code === "ENOENT" || error.code === "EACCES") {
        resolve({ kind: "spawn-failed", error: error as NodeJS.ErrnoException & { code: "ENOENT" | "EACCES" } });
      } else {
        reject(error);
      }
    });
    child.once("exit", (code, signal) => {
      if (settled) return;
      exit = { code, signal };
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
      clearTimeout(stopGraceTimer);
      // Members the leader left behind (a data loader, a torchrun worker) would hold the GPU and the pipes.
      swept = killJob("SIGKILL");
      drainTimer = setTimeout(settle, PIPE_DRAIN_MS);
    });
    child.once("close", settle);

    if (child.pid !== undefined) {
      opts.groups?.add(child.pid, processTag);
      timeoutTimer = setTimeout(() => stop("timeout"), Math.min(job.timeoutSeconds * 1000, MAX_TIMER_MS));
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      opts.stop?.addEventListener("abort", onStopRequest, { once: true });
      // An abort during the awaits before the spawn fired no listener (a cancel comes first).
      if (opts.signal?.aborted === true) stop("cancelled");
      if (opts.stop?.aborted === true) onStopRequest();
    }
  });
}

function resolveOptions(options: RunTrialOptions): ResolvedOptions {
  if (typeof options.workDir !== "string" || options.workDir.length === 0) {
    throw new InvalidOptionsError(`workDir must be a non-empty path, got ${JSON.stringify(options.workDir)}`);
  }
  const resolved: ResolvedOptions = {
    worker: options.worker,
    workDir: options.workDir,
    checkpointDir: options.checkpointDir ?? join(options.workDir, "checkpoints"),
    killGraceMs: options.killGraceMs ?? DEFAULTS.killGraceMs,
    stopGraceMs: options.stopGraceMs ?? DEFAULTS.stopGraceMs,
    maxLineBytes: options.maxLineBytes ?? DEFAULTS.maxLineBytes,
    stderrTailBytes: options.stderrTailBytes ?? DEFAULTS.stderrTailBytes,
    ...(options.gpu === undefined ? {} : { gpu: options.gpu }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.stop === undefined ? {} : { stop: options.stop }),
  };
  if (typeof resolved.worker !== "string" || resolved.worker.length === 0) {
    throw new InvalidOptionsError(`worker must be a non-empty string, got ${JSON.stringify(resolved.worker)}`);
  }
  if (typeof resolved.checkpointDir !== "string" || resolved.checkpointDir.length === 0) {
    throw new InvalidOptionsError(`checkpointDir must be a non-empty path when given, got ${JSON.stringify(resolved.checkpointDir)}`);
  }
  if (resolved.gpu !== undefined && resolved.gpu.length === 0) {
    throw new InvalidOptionsError(`gpu must be a non-empty string such as "0" or "0,1" when given, got ""`);
  }
  if (!Number.isFinite(resolved.killGraceMs) || resolved.killGraceMs < 0) {
    throw new InvalidOptionsError(`killGraceMs must be a finite number >= 0, got ${resolved.killGraceMs}`);
  }
  if (!Number.isFinite(resolved.stopGraceMs) || resolved.stopGraceMs < 0) {
    throw new InvalidOptionsError(`stopGraceMs must be a finite number >= 0, got ${resolved.stopGraceMs}`);
  }
  if (!Number.isInteger(resolved.maxLineBytes) || resolved.maxLineBytes < 1) {
    throw new InvalidOptionsError(`maxLineBytes must be an integer >= 1, got ${resolved.maxLineBytes}`);
  }
  if (!Number.isInteger(resolved.stderrTailBytes) || resolved.stderrTailBytes < 0) {
    throw new InvalidOptionsError(`stderrTailBytes must be an integer >= 0, got ${resolved.stderrTailBytes}`);
  }
  return resolved;
}

async function assertDirectory(path: string): Promise<void> {
  const isDirectory = await stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!isDirectory) throw new InvalidJobError(`command.cwd must be an existing directory, got ${JSON.stringify(path)}`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function findNul(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const argIndex = argv.findIndex((arg) => arg.includes("\0"));
  if (argIndex !== -1) return `argv[${argIndex}]`;
  const variable = Object.entries(env).find(([key, value]) => key.includes("\0") || value?.includes("\0") === true);
  return variable === undefined ? undefined : `environment variable ${JSON.stringify(variable[0])}`;
}
