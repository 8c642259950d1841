import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { getEventListeners } from "node:events";
import { tmpdir } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isDead } from "../../../test/support/processes.js";
import { CHILD_ENV, TrialResult, type ProgressEvent, type TrialJob, type TrialJobInput } from "@bayestune/protocol";
import { InvalidJobError, InvalidOptionsError } from "../src/errors.js";
import { runTrial, type RunTrialOptions } from "../src/run-trial.js";
import { PROCESS_TAG_ENV } from "../src/trial-processes.js";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const node = (script: string, ...args: string[]): string[] => [process.execPath, fixture(script), ...args];

let workDir: string;
beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), "bayestune-run-trial-"));
});
afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function job(argv: string[], overrides: Partial<TrialJobInput> = {}): TrialJob {
  return {
    study: "s1",
    trial: 7,
    rung: 0,
    params: { lr: 0.0005, layers: 2 },
    command: { argv },
    metric: "loss",
    timeoutSeconds: 30,
    ...overrides,
  } as TrialJob;
}

/** A failure's message without the pointer to the trial's output files that every run failure ends with. */
function messageOf(result: TrialResult): string | undefined {
  return result.message?.replace(/ \(full output: [^)]*\)$/, "");
}

async function run(trialJob: TrialJob, options: Partial<RunTrialOptions> = {}): Promise<TrialResult> {
  const result = await runTrial(trialJob, { worker: "w-test", workDir, ...options });
  expect(TrialResult.parse(result)).toEqual(result);
  return result;
}


async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 200 && !existsSync(path); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  return readFile(path, "utf8");
}

/** Polls for a process's end: a SIGKILL is delivered asynchronously. */
async function diesSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && !isDead(pid); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
  return isDead(pid);
}

const activeTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

describe("runTrial", () => {
  it("completes with the final metric, progress events in order and the last checkpoint", async () => {
    const events: ProgressEvent[] = [];
    const timersBefore = activeTimers();
    const result = await run(job(node("report-metrics.mjs"), { rung: 1 }), { onProgress: (event) => events.push(event) });

    // loss = 1000 * lr + layers = 0.5 + 2
    expect(result).toMatchObject({ kind: "result", study: "s1", trial: 7, rung: 1, state: "complete", value: 2.5, worker: "w-test" });
    expect(result.metrics).toEqual({ loss: 2.5, accuracy: 0.75 });
    expect(result.reason).toBeUndefined();
    expect(result.checkpoint).toBe(join(workDir, "s1-7-1", "ckpt-3"));
    expect(result.durationSeconds).toBeGreaterThan(0);
    expect(result.durationSeconds).toBeLessThan(10);
    expect(events.map((event) => [event.step, event.metrics["loss"]])).toEqual([
      [0, 5.5],
      [1, 4.5],
      [2, 3.5],
      [3, 3],
    ]);
    expect(events[0]).toEqual({ kind: "progress", study: "s1", trial: 7, rung: 1, step: 0, metrics: { loss: 5.5, lr: 0.0005 } });
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it("survives an onProgress that throws", async () => {
    let calls = 0;
    const result = await run(job(node("report-metrics.mjs")), {
      onProgress: () => {
        calls += 1;
        throw new Error("listener bug");
      },
    });
    expect(calls).toBe(4);
    expect(result.state).toBe("complete");
  });

  it("gives the same params through env, the JSON file and the argv template; sets the trial env and the GPU", async () => {
    const params = { lr: 0.30000000000000004, batch_size: 64, "opt.name": "adamw", tie: false, warmup: null };
    const cwd = await mkdtemp(join(tmpdir(), "bayestune-cwd-"));
    try {
      const argv = ["python3", fixture("echo-params.py"), "--lr={lr}", "--bs={batch_size}", "--opt={opt.name}", "--tie={tie}", "--warmup={warmup}", "--steps={fidelity}", "{{literal}}"];
      const checkpoint = join(cwd, "rung0.pt");
      await writeFile(checkpoint, "");
      const trialJob = job(argv, {
        params,
        fidelity: 1500,
        checkpoint,
        rung: 2,
        command: { argv, cwd, env: { EXTRA: "yes", CUDA_VISIBLE_DEVICES: "7" } },
      });
      const result = await run(trialJob, { gpu: "1,3" });
      expect(result).toMatchObject({ state: "complete", value: 0.25 });

      const trialDir = join(workDir, "s1-7-2");
      const seen = JSON.parse(await readFile(join(trialDir, "seen.json"), "utf8")) as {
        argv: string[];
        env: Record<string, string>;
        file: unknown;
        cwd: string;
      };
      expect(seen.argv).toEqual(["--lr=0.30000000000000004", "--bs=64", "--opt=adamw", "--tie=false", "--warmup=null", "--steps=1500", "{literal}"]);
      expect(seen.file).toEqual(params);
      expect(JSON.parse(seen.env[CHILD_ENV.params] ?? "")).toEqual(params);
      expect(seen.env).toMatchObject({
        BAYESTUNE_PARAM_LR: "0.30000000000000004",
        BAYESTUNE_PARAM_BATCH_SIZE: "64",
        BAYESTUNE_PARAM_OPT_NAME: "adamw",
        BAYESTUNE_PARAM_TIE: "false",
        BAYESTUNE_PARAM_WARMUP: "null",
        [CHILD_ENV.study]: "s1",
        [CHILD_ENV.trial]: "7",
        [CHILD_ENV.rung]: "2",
        [CHILD_ENV.fidelity]: "1500",
        [CHILD_ENV.checkpoint]: checkpoint,
        [CHILD_ENV.trialDir]: trialDir,
        [CHILD_ENV.checkpointDir]: join(workDir, "checkpoints", "s1", "7"),
        [CHILD_ENV.paramsFile]: join(trialDir, "params.json"),
        [CHILD_ENV.stopFile]: join(trialDir, "STOP"),
        CUDA_VISIBLE_DEVICES: "1,3",
        EXTRA: "yes",
        PYTHONUNBUFFERED: "1",
      });
      expect(seen.env[PROCESS_TAG_ENV]).toMatch(/^[0-9a-f]{32}$/);
      expect(seen.cwd).toBe(cwd);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("fails nonzero-exit with the exit code and the stderr tail", async () => {
    const result = await run(job(node("exit-code.mjs")));
    expect(result).toMatchObject({ state: "failed", reason: "nonzero-exit" });
    expect(result.value).toBeUndefined();
    expect(result.message).toMatch(/exited with code 3; last stderr line: ValueError: shapes do not match/);
    expect(result.stderrTail).toBe("Traceback (most recent call last):\nValueError: shapes do not match\n");
  });

  it("keeps the whole of stdout and stderr in the trial's folder and names those files in a failure's message", async () => {
    const result = await run(job(node("exit-code.mjs")), { stderrTailBytes: 16 });
    const trialDir = join(workDir, "s1-7-0");
    expect(await readFile(join(trialDir, "stderr.log"), "utf8")).toBe("Traceback (most recent call last):\nValueError: shapes do not match\n");
    expect(await readFile(join(trialDir, "stdout.log"), "utf8")).toBe('{"step": 0, "loss": 2}\n');
    expect(result.message).toContain(`(full output: ${join(trialDir, "stderr.log")}, ${join(trialDir, "stdout.log")})`);
  });

  it("keeps only the last stderrTailBytes of stderr", async () => {
    const result = await run(job(node("exit-code.mjs")), { stderrTailBytes: 16 });
    expect(result.stderrTail).toBe("es do not match\n");
  });

  it("fails out-of-memory on a CUDA OOM traceback and on Python's MemoryError", async () => {
    const cuda = await run(job(node("cuda-oom.mjs")));
    expect(cuda).toMatchObject({ state: "failed", reason: "out-of-memory" });
    expect(cuda.message).toMatch(/exited with code 1\): torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate 2\.00 GiB/);

    const python = await run(job(["python3", fixture("memory-error.py")]));
    expect(python).toMatchObject({ state: "failed", reason: "out-of-memory" });
    expect(python.message).toMatch(/MemoryError: Unable to allocate 64\.0 GiB/);
  });

  it("fails out-of-memory when the process dies of a SIGKILL the worker did not send", async () => {
    const result = await run(job(node("self-sigkill.mjs")));
    expect(result).toMatchObject({ state: "failed", reason: "out-of-memory" });
    expect(result.message).toMatch(/SIGKILL, which the worker did not send/);
  });

  it("fails out-of-memory when a wrapping shell reports its child Killed", async () => {
    for (const shell of ["sh", "bash"]) {
      // "; exit $?" keeps the shell from exec'ing the command, so it waits and reports the kill.
      const result = await run(job([shell, "-c", `"${process.execPath}" "${fixture("self-sigkill.mjs")}"; exit $?`]));
      expect(result, shell).toMatchObject({ state: "failed", reason: "out-of-memory" });
      expect(result.message, shell).toMatch(/^out of memory \(exited with code 137\): .*Killed/);
    }
  });

  it("does not wait for a grandchild that left the process group and holds stdout open, and kills it", async () => {
    const pidFile = join(workDir, "escaped.pid");
    try {
      const startedAt = Date.now();
      const result = await run(job(node("escape-group.mjs", pidFile)));
      expect(result).toMatchObject({ state: "complete", value: 0.5 });
      expect(Date.now() - startedAt).toBeLessThan(5000);
      expect(await diesSoon(Number(await waitForFile(pidFile)))).toBe(true);
    } finally {
      const escaped = Number(await waitForFile(pidFile));
      if (escaped > 0 && !isDead(escaped)) process.kill(escaped, "SIGKILL");
    }
  });

  it.runIf(process.platform === "linux").each(["exit", "timeout"] as const)(
    "kills a grandchild that called setsid when the trial ends by its %s",
    async (end) => {
      const infoFile = join(workDir, "setsid.info");
      const argv = ["/bin/sh", fixture("setsid-grandchild.sh"), infoFile, end === "exit" ? "exit" : "hang"];
      let pid = 0;
      try {
        const result = await run(job(argv, end === "exit" ? {} : { timeoutSeconds: 1 }));
        expect(result).toMatchObject(end === "exit" ? { state: "complete" } : { state: "failed", reason: "timeout" });
        // "pid pgrp": leading a group of its own proves it left the trial's.
        const [escaped, group] = (await waitForFile(infoFile)).trim().split(" ").map(Number);
        pid = escaped ?? 0;
        expect(pid).toBeGreaterThan(0);
        expect(group).toBe(pid);
        expect(await diesSoon(pid), "the setsid grandchild outlived the trial").toBe(true);
      } finally {
        if (pid > 0 && !isDead(pid)) process.kill(pid, "SIGKILL");
      }
    },
  );

  it("kills the whole process group at the timeout, grandchild included, and leaks no timer", async () => {
    const pidFile = join(workDir, "grandchild.pid");
    const timersBefore = activeTimers();
    const startedAt = Date.now();
    const result = await run(job(node("hang-with-grandchild.mjs", pidFile), { timeoutSeconds: 0.5 }));
    expect(result).toMatchObject({ state: "failed", reason: "timeout" });
    expect(messageOf(result)).toBe("killed after the 0.5 s timeout");
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(result.durationSeconds).toBeGreaterThanOrEqual(0.5);
    const grandchild = Number(await readFile(pidFile, "utf8"));
    expect(grandchild).toBeGreaterThan(0);
    expect(await diesSoon(grandchild)).toBe(true);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it("escalates to SIGKILL after the grace period when the child ignores SIGTERM", async () => {
    const pidFile = join(workDir, "grandchild.pid");
    // A timeout long enough for node to start and install its handler on a loaded machine.
    const result = await run(job(node("hang-with-grandchild.mjs", pidFile, "ignore-sigterm"), { timeoutSeconds: 1.5 }), {
      killGraceMs: 200,
    });
    expect(result).toMatchObject({ state: "failed", reason: "timeout" });
    expect(messageOf(result)).toBe("killed after the 1.5 s timeout, with SIGKILL after it ignored SIGTERM for 200 ms");
    expect(result.durationSeconds).toBeGreaterThanOrEqual(1.7);
    expect(await diesSoon(Number(await readFile(pidFile, "utf8")))).toBe(true);
  });

  it("cancels through an AbortSignal, killing the group and removing its listener", async () => {
    const pidFile = join(workDir, "grandchild.pid");
    const controller = new AbortController();
    const result = await run(job(node("hang-with-grandchild.mjs", pidFile)), {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(result).toMatchObject({ state: "failed", reason: "cancelled" });
    expect(result.durationSeconds).toBeLessThan(5);
    expect(isDead(Number(await waitForFile(pidFile)))).toBe(true);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("cancels when the signal aborts while the trial directory is being prepared", async () => {
    const controller = new AbortController();
    const pending = run(job(node("report-metrics.mjs")), { signal: controller.signal });
    controller.abort(); // runTrial is now awaiting its file writes, before the spawn
    expect(await pending).toMatchObject({ state: "failed", reason: "cancelled" });
  });

  it("does not start a job whose signal is already aborted", async () => {
    const marker = join(workDir, "ran");
    const result = await run(job(node("touch-file.mjs", marker)), { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ state: "failed", reason: "cancelled" });
    expect(existsSync(marker)).toBe(false);
  });

  it("fails command-not-found for a missing or non-executable program, naming it", async () => {
    const missing = await run(job(["bayestune-no-such-program", "--x"]));
    expect(missing).toMatchObject({ state: "failed", reason: "command-not-found" });
    expect(missing.message).toMatch(/'bayestune-no-such-program' was not found.*ENOENT/);

    const script = join(workDir, "train.sh");
    await writeFile(script, "#!/bin/sh\necho hi\n");
    await chmod(script, 0o644);
    const notExecutable = await run(job([script]));
    expect(notExecutable).toMatchObject({ state: "failed", reason: "command-not-found" });
    expect(notExecutable.message).toContain(`'${script}' is not executable`);
  });

  it("reads metric lines split across chunks, with CRLF endings and no final newline", async () => {
    const events: ProgressEvent[] = [];
    const result = await run(job(node("split-chunks.mjs")), { onProgress: (event) => events.push(event) });
    expect(events.map((event) => event.metrics)).toEqual([{ loss: 1.5 }, { loss: 1.25 }]);
    expect(result).toMatchObject({ state: "complete", value: 1 });
  });

  it("survives a flood of tens of MB without a newline and of long lines, with bounded memory", async () => {
    // Live memory, not garbage awaiting collection: collect before each sample.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    let peakLive = 0;
    const sampler = setInterval(() => {
      gc();
      peakLive = Math.max(peakLive, process.memoryUsage().arrayBuffers - baseline);
    }, 20);
    let samples = 0;
    const countSamples = setInterval(() => (samples += 1), 20);
    try {
      const result = await run(job(node("flood.mjs", "64")));
      expect(result).toMatchObject({ state: "complete", value: 0.125 });
    } finally {
      clearInterval(sampler);
      clearInterval(countSamples);
    }
    expect(samples).toBeGreaterThan(3);
    // Holding the 64 MiB line whole would keep up to 64 MiB alive; streaming keeps a few 64 KiB chunks, plus
    // backing stores that V8 frees concurrently after a collection (measured: 2-11 MiB).
    expect(peakLive).toBeLessThan(24 * 1024 * 1024);
  });

  it("fails no-metric when only intermediate lines came, saying so", async () => {
    const result = await run(job(node("only-progress.mjs")));
    expect(result).toMatchObject({ state: "failed", reason: "no-metric", metrics: {} });
    expect(result.message).toMatch(/without a final metrics line.*only 4 intermediate metric line\(s\) \(last step 3\)/);
  });

  it("fails no-metric when the final line lacks the objective, naming what it held", async () => {
    const result = await run(job(node("final-without-metric.mjs")));
    expect(result).toMatchObject({ state: "failed", reason: "no-metric", metrics: { accuracy: 0.9 } });
    expect(messageOf(result)).toBe("the final metrics line must hold 'loss', got only 'accuracy'");
  });

  it("fails no-metric when a constraint metric is missing from the final line, and non-finite-metric when it is null", async () => {
    const missing = `console.log('{{"final":true,"loss":2.0}}');`;
    const result = await run(job([process.execPath, "-e", missing], { constraintMetrics: ["memory_gb"] }));
    expect(result).toMatchObject({ state: "failed", reason: "no-metric" });
    expect(messageOf(result)).toBe("the final metrics line must hold the constraint metric 'memory_gb'");
    const nan = `console.log('{{"final":true,"loss":2.0,"memory_gb":null}}');`;
    expect(await run(job([process.execPath, "-e", nan], { constraintMetrics: ["memory_gb"] }))).toMatchObject({ state: "failed", reason: "non-finite-metric" });
    const present = `console.log('{{"final":true,"loss":2.0,"memory_gb":81}}');`;
    const complete = await run(job([process.execPath, "-e", present], { constraintMetrics: ["memory_gb"] }));
    expect(complete).toMatchObject({ state: "complete", value: 2.0, metrics: { loss: 2.0, memory_gb: 81 } });
  });

  it("fails no-metric when another objective's metric is missing from the final line", async () => {
    const script = `console.log('{{"final":true,"loss":2.0}}');`;
    const result = await run(job([process.execPath, "-e", script], { objectiveMetrics: ["gpu_hours"] }));
    expect(result).toMatchObject({ state: "failed", reason: "no-metric" });
    expect(messageOf(result)).toBe("the final metrics line must hold the objective metric 'gpu_hours'");
  });

  it("stops a run whose loss turns NaN mid-training and fails it as diverged, without waiting for its end", async () => {
    const events: ProgressEvent[] = [];
    const startedAt = Date.now();
    // Two progress lines, the second with a null (NaN) loss, then 30 s of "training".
    // Braces doubled: the argv template reads {name} as a placeholder.
    const script = `console.log('{{"step":1,"loss":2.5}}'); console.log('{{"step":2,"loss":null}}'); setTimeout(() => {{}}, 30000);`;
    const result = await run(job([process.execPath, "-e", script]), { onProgress: (e) => events.push(e) });
    expect(result).toMatchObject({ state: "failed", reason: "non-finite-metric" });
    expect(messageOf(result)).toBe("diverged: 'loss' was not finite at step 2; the run was stopped there");
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(events.map((e) => e.metrics["loss"])).toEqual([2.5, null]);
  });

  it("keeps the first final line as the result and ignores every metric line after it", async () => {
    const events: ProgressEvent[] = [];
    const lines = ['{{"step":1,"loss":2.5}}', '{{"final":true,"loss":2.0,"checkpoint":"a"}}', '{{"step":2,"loss":null}}', '{{"final":true,"loss":1.0,"checkpoint":"b"}}'];
    const script = lines.map((line) => `console.log('${line}');`).join(" ");
    const result = await run(job([process.execPath, "-e", script]), { onProgress: (e) => events.push(e) });
    expect(result).toMatchObject({ state: "complete", value: 2.0, checkpoint: "a" });
    expect(events.map((e) => e.step)).toEqual([1]);
  });

  it("lets a null in another metric pass: only the objective diverging stops the run", async () => {
    const script = `console.log('{{"step":1,"loss":2.5,"grad_norm":null}}'); console.log('{{"final":true,"loss":2.0}}');`;
    expect(await run(job([process.execPath, "-e", script]))).toMatchObject({ state: "complete", value: 2.0 });
  });

  it("fails non-finite-metric on Python's NaN loss", async () => {
    const result = await run(job(["python3", fixture("nan-loss.py")]));
    expect(result).toMatchObject({ state: "failed", reason: "non-finite-metric", metrics: { loss: null, grad_norm: null } });
    expect(messageOf(result)).toBe("metric 'loss' must be a finite number, got NaN");
  });

  it("fails invalid-job on an unknown placeholder without spawning or creating the trial dir", async () => {
    const marker = join(workDir, "ran");
    const result = await run(job([...node("touch-file.mjs", marker), "--dropout={dropout}"]));
    expect(result).toMatchObject({ state: "failed", reason: "invalid-job", study: "s1", trial: 7 });
    expect(result.message).toMatch(/\{dropout\}/);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(workDir, "s1-7-0"))).toBe(false);
  });

  it("fails invalid-job on a job that breaks its schema or names a missing cwd", async () => {
    const negative = await run(job(node("touch-file.mjs", join(workDir, "ran")), { timeoutSeconds: -1 }));
    expect(negative).toMatchObject({ state: "failed", reason: "invalid-job" });
    expect(negative.message).toMatch(/trial job is invalid.*\n {2}- timeoutSeconds:/);

    const badCwd = job(node("touch-file.mjs", join(workDir, "ran")));
    badCwd.command.cwd = join(workDir, "no-such-dir");
    const missingCwd = await run(badCwd);
    expect(missingCwd).toMatchObject({ state: "failed", reason: "invalid-job" });
    expect(missingCwd.message).toMatch(/command\.cwd must be an existing directory/);
    expect(existsSync(join(workDir, "ran"))).toBe(false);
  });

  it("fails invalid-job on a NUL character that spawn would refuse", async () => {
    const result = await run(job(node("report-metrics.mjs", "{name}"), { params: { name: "a\u0000b" } }));
    expect(result).toMatchObject({ state: "failed", reason: "invalid-job" });
    expect(result.message).toBe("argv[2] must not contain a NUL character");
  });

  it("rejects a job it cannot even name, and out-of-range options", async () => {
    await expect(runTrial(job(["true"], { study: "bad:name" }), { worker: "w", workDir })).rejects.toThrow(InvalidJobError);
    await expect(runTrial(job(["true"]), { worker: "", workDir })).rejects.toThrow(InvalidOptionsError);
    await expect(runTrial(job(["true"]), { worker: "w", workDir, killGraceMs: -1 })).rejects.toThrow(
      "killGraceMs must be a finite number >= 0, got -1",
    );
    await expect(runTrial(job(["true"]), { worker: "w", workDir, maxLineBytes: 0 })).rejects.toThrow(/maxLineBytes/);
  });

  it("fails checkpoint-missing, spawning nothing, when the checkpoint to resume from is not on this machine", async () => {
    const marker = join(workDir, "ran");
    const result = await run(job(node("touch-file.mjs", marker), { rung: 1, checkpoint: join(workDir, "elsewhere", "step.txt") }), {
      worker: "gpu-7",
    });
    expect(result).toMatchObject({ state: "failed", reason: "checkpoint-missing", rung: 1, worker: "gpu-7" });
    expect(result.message).toContain(`checkpoint ${JSON.stringify(join(workDir, "elsewhere", "step.txt"))}`);
    expect(result.message).toContain("does not exist on worker gpu-7");
    expect(result.message).toContain("Give every worker the same shared --checkpoint-dir");
    expect(existsSync(marker)).toBe(false);

    // A relative checkpoint is the script's: it is looked up from the command's cwd.
    await writeFile(join(workDir, "step.txt"), "10");
    const resumed = await run(job(node("touch-file.mjs", marker), { rung: 1, checkpoint: "step.txt", command: { argv: node("touch-file.mjs", marker), cwd: workDir } }));
    expect(resumed.reason).not.toBe("checkpoint-missing");
    expect(existsSync(marker)).toBe(true);
  });

  it("gives each trial one checkpoint directory under checkpointDir, the same for all its rungs", async () => {
    const shared = await mkdtemp(join(tmpdir(), "bayestune-checkpoints-"));
    try {
      const argv = ["python3", fixture("echo-params.py")];
      const seen = async (rung: number): Promise<string | undefined> => {
        await run(job(argv, { rung, ...(rung > 0 ? { checkpoint: shared } : {}) }), { checkpointDir: shared });
        const written = JSON.parse(await readFile(join(workDir, `s1-7-${rung}`, "seen.json"), "utf8")) as { env: Record<string, string> };
        return written.env[CHILD_ENV.checkpointDir];
      };
      expect(await seen(0)).toBe(join(shared, "s1", "7"));
      expect(await seen(1)).toBe(join(shared, "s1", "7"));
      expect(existsSync(join(shared, "s1", "7"))).toBe(true);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it("removes a stop file left by an earlier attempt of the same job", async () => {
    const trialDir = join(workDir, "s1-7-0");
    await run(job(node("report-metrics.mjs")));
    await writeFile(join(trialDir, "STOP"), "");
    const again = await run(job(node("report-metrics.mjs")));
    expect(again.state).toBe("complete");
    expect(existsSync(join(trialDir, "STOP"))).toBe(false);
    expect(JSON.parse(await readFile(join(trialDir, "params.json"), "utf8"))).toEqual({ lr: 0.0005, layers: 2 });
  });
});

describe("runTrial's stop request", () => {
  const trialDir = (): string => join(workDir, "s1-7-0");

  /** The metric lines of the trial's stdout.log, as the script printed them. */
  async function printedLines(): Promise<Record<string, unknown>[]> {
    const text = await readFile(join(trialDir(), "stdout.log"), "utf8");
    return text.split("\n").flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return []; // a line cut by the SIGKILL
      }
    });
  }

  it("creates the stop file; a script that polls should_stop prints its final line and exits: complete, stopped, its final value", async () => {
    const stop = new AbortController();
    const timersBefore = activeTimers();
    const events: ProgressEvent[] = [];
    const result = await run(job(node("stop-aware.mjs", "heed")), {
      stop: stop.signal,
      // Far beyond the script's reaction: only its own exit can end the run.
      stopGraceMs: 60_000,
      onProgress: (event) => {
        events.push(event);
        if (event.step === 3) stop.abort("pruned");
      },
    });
    // stopped_at is in the final line alone: the script saw should_stop() before its 20 s give-up.
    expect(result).toMatchObject({ state: "complete", stopped: true, metrics: { stopped_at: expect.any(Number) } });
    const stoppedAt = result.metrics["stopped_at"] ?? -1;
    expect(stoppedAt).toBeGreaterThanOrEqual(4);
    expect(result.value).toBe(10 / (stoppedAt + 1));
    expect(result.metrics).toEqual({ loss: result.value, stopped_at: stoppedAt });
    expect(result.checkpoint).toBe(join(trialDir(), "final"));
    expect(await readFile(join(trialDir(), "STOP"), "utf8")).toBe("pruned\n");
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it("terminates a script that ignores the stop file after stopGraceMs (SIGKILL after killGraceMs): complete, stopped, its last reported value and checkpoint", async () => {
    const stop = new AbortController();
    const timersBefore = activeTimers();
    const result = await run(job(node("stop-aware.mjs", "ignore")), {
      stop: stop.signal,
      stopGraceMs: 300,
      killGraceMs: 200,
      onProgress: (event) => {
        if (event.step === 6) stop.abort();
      },
    });
    const printed = await printedLines();
    const lastReport = printed.filter((line) => typeof line["loss"] === "number").at(-1);
    const lastCheckpoint = printed.filter((line) => line["checkpoint"] !== undefined).at(-1);
    // It went on reporting through the grace periods, and its last report is the value.
    expect(lastReport?.["step"]).toBeGreaterThan(6);
    expect(result).toMatchObject({ state: "complete", stopped: true, value: lastReport?.["loss"], checkpoint: lastCheckpoint?.["checkpoint"] });
    expect(result.metrics).toEqual({ loss: lastReport?.["loss"], accuracy: lastReport?.["accuracy"] });
    expect(await readFile(join(trialDir(), "STOP"), "utf8")).toBe("");
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it("fails \"stopped\" when the script reported no value before it was terminated", async () => {
    const stop = new AbortController();
    const pending = run(job(node("stop-aware.mjs", "silent")), { stop: stop.signal, stopGraceMs: 0 });
    await waitForFile(join(trialDir(), "stdout.log"));
    stop.abort();
    const result = await pending;
    expect(result).toMatchObject({ state: "failed", reason: "stopped", metrics: {} });
    expect(result.stopped).toBeUndefined();
    expect(messageOf(result)).toBe("stopped by the engine before it reported a value of 'loss' (terminated 0 ms after the stop request)");
  });

  it("starts a job whose stop is already requested with the stop file in place", async () => {
    const result = await run(job(node("stop-aware.mjs", "heed")), { stop: AbortSignal.abort("cancelled"), stopGraceMs: 60_000 });
    expect(result).toMatchObject({ state: "complete", stopped: true, value: 10, metrics: { loss: 10, stopped_at: 0 } });
    expect(await readFile(join(trialDir(), "STOP"), "utf8")).toBe("cancelled\n");
  });

  it("fails a run that diverges while it is being stopped as non-finite-metric, not with its earlier value", async () => {
    const stop = new AbortController();
    // Reports once, then a NaN loss once the stop file appears, and hangs. Braces doubled for the argv template.
    const script =
      `const fs = require("node:fs"); console.log('{{"step":1,"loss":2.5}}');` +
      `setInterval(() => {{ if (fs.existsSync(process.env.BAYESTUNE_STOP_FILE)) {{ console.log('{{"step":2,"loss":null}}'); process.exitCode = 0; }} }}, 20);`;
    const result = await run(job([process.execPath, "-e", script]), {
      stop: stop.signal,
      stopGraceMs: 60_000,
      onProgress: (event) => {
        if (event.step === 1) stop.abort();
      },
    });
    expect(result).toMatchObject({ state: "failed", reason: "non-finite-metric" });
    expect(messageOf(result)).toBe("diverged: 'loss' was not finite at step 2; the run was stopped there");
  });

  it("leaves a cancel (signal) as it was: killed at once, failed \"cancelled\", though a stop was requested first", async () => {
    const stop = new AbortController();
    const cancel = new AbortController();
    const result = await run(job(node("stop-aware.mjs", "ignore")), {
      stop: stop.signal,
      signal: cancel.signal,
      stopGraceMs: 60_000,
      killGraceMs: 100,
      onProgress: (event) => {
        if (event.step === 1) stop.abort();
        if (event.step === 3) cancel.abort();
      },
    });
    // Not the 60 s stop grace: the cancel killed it at once.
    expect(result).toMatchObject({ state: "failed", reason: "cancelled" });
  });

  it("refuses a negative or infinite stopGraceMs", async () => {
    await expect(runTrial(job(["true"]), { worker: "w", workDir, stopGraceMs: -1 })).rejects.toThrow("stopGraceMs must be a finite number >= 0, got -1");
    await expect(runTrial(job(["true"]), { worker: "w", workDir, stopGraceMs: Number.POSITIVE_INFINITY })).rejects.toThrow(InvalidOptionsError);
  });
});
