import { spawn } from "node:child_process";
import { copyFile, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHILD_ENV, MetricLine } from "@bayestune/protocol";
import { runTrial } from "@bayestune/worker";

// The Python client (clients/python) run by the machine's python3, with the
// environment a worker gives a training process; its stdout is checked against
// the protocol's MetricLine, the schema the worker parses it with.

const root = fileURLToPath(new URL("..", import.meta.url));
const clientDir = join(root, "clients", "python");
const fixtures = join(root, "test", "fixtures", "python");

interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  pythonPath?: string;
}

/** The test runner's environment without anything a worker or a Python setup would add, plus the worker's variables. */
function childEnv(vars: Record<string, string>, pythonPath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("BAYESTUNE_") && !name.startsWith("PYTHON")) env[name] = value;
  }
  // No bytecode: the tests must not write __pycache__ into the source tree.
  return { ...env, PYTHONPATH: pythonPath, PYTHONDONTWRITEBYTECODE: "1", PYTHONIOENCODING: "utf-8", ...vars };
}

function startPython(args: readonly string[], options: RunOptions = {}) {
  const child = spawn("python3", args, {
    cwd: options.cwd ?? root,
    env: childEnv(options.env ?? {}, options.pythonPath ?? clientDir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<PythonRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

function runPython(args: readonly string[], options: RunOptions = {}): Promise<PythonRun> {
  return startPython(args, options).done;
}

/** Every stdout line, each required to be a JSON object that MetricLine accepts. */
function metricLines(stdout: string): MetricLine[] {
  if (stdout === "") return [];
  expect(stdout.endsWith("\n"), `stdout must end with a newline: ${JSON.stringify(stdout)}`).toBe(true);
  return stdout
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const parsed = MetricLine.safeParse(JSON.parse(line));
      expect(parsed.success, `not a MetricLine: ${line}`).toBe(true);
      return parsed.data as MetricLine;
    });
}

/** What inspect_trial.py writes to stderr. */
interface Inspection {
  params: Record<string, unknown>;
  types: Record<string, string>;
  trial: { study: string | null; number: number | null; rung: number | null };
  fidelity: number | null;
  checkpoint: string | null;
  trial_dir: string;
  checkpoint_dir: string;
  should_stop: boolean;
}

async function inspect(options: RunOptions & { defaults?: Record<string, unknown> } = {}): Promise<Inspection> {
  const args = [join(fixtures, "inspect_trial.py")];
  if (options.defaults !== undefined) args.push(JSON.stringify(options.defaults));
  const run = await runPython(args, options);
  expect(run.code, run.stderr).toBe(0);
  expect(metricLines(run.stdout)).toEqual([]);
  return JSON.parse(run.stderr) as Inspection;
}

// Every JSON scalar kind a ChoiceValue can be; the floats need all 17 digits to
// round-trip, 2**53 - 1 is the largest integer a double holds exactly.
const trialParams = {
  lr: 0.00031622776601683794,
  third: 1 / 3,
  tiny: 1.2345678901234567e-300,
  negative: -2.5e-7,
  batch_size: 64,
  max_int: 9007199254740991,
  optimizer: "adamw",
  unicode: "héllo ✓ \"quoted\"\nnext line",
  flash_attention: true,
  compile: false,
  warmup: null,
};
const trialParamTypes = {
  lr: "float",
  third: "float",
  tiny: "float",
  negative: "float",
  batch_size: "int",
  max_int: "int",
  optimizer: "str",
  unicode: "str",
  flash_attention: "bool",
  compile: "bool",
  warmup: "NoneType",
};

let dir: string;

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), "bayestune-python-client-")));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("params()", () => {
  it("returns the params of BAYESTUNE_PARAMS exactly, with their JSON types", async () => {
    const seen = await inspect({ env: { [CHILD_ENV.params]: JSON.stringify(trialParams) } });
    expect(seen.params).toEqual(trialParams);
    expect(seen.types).toEqual(trialParamTypes);
  });

  it("reads BAYESTUNE_PARAMS_FILE when BAYESTUNE_PARAMS is unset", async () => {
    const file = join(dir, "params.json");
    await writeFile(file, JSON.stringify(trialParams, null, 2));
    const seen = await inspect({ env: { [CHILD_ENV.paramsFile]: file } });
    expect(seen.params).toEqual(trialParams);
    expect(seen.types).toEqual(trialParamTypes);
  });

  it("prefers BAYESTUNE_PARAMS to the file", async () => {
    const file = join(dir, "params.json");
    await writeFile(file, JSON.stringify({ lr: 0.5 }));
    const seen = await inspect({ env: { [CHILD_ENV.params]: '{"lr":0.25}', [CHILD_ENV.paramsFile]: file } });
    expect(seen.params).toEqual({ lr: 0.25 });
  });

  it("returns the defaults outside a trial, and fills in what a trial leaves out", async () => {
    const defaults = { lr: 0.001, epochs: 3, name: "by-hand" };
    expect((await inspect({ defaults })).params).toEqual(defaults);
    expect((await inspect()).params).toEqual({});
    const merged = await inspect({ defaults, env: { [CHILD_ENV.params]: '{"lr":0.125,"batch_size":8}' } });
    expect(merged.params).toEqual({ lr: 0.125, epochs: 3, name: "by-hand", batch_size: 8 });
  });

  it("raises BayestuneClientError naming the source for malformed JSON, a non-object, NaN, or a missing file", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ [CHILD_ENV.params]: '{"lr": 0.1' }, "BAYESTUNE_PARAMS must hold a JSON object, got malformed JSON"],
      [{ [CHILD_ENV.params]: "[0.1, 0.2]" }, "BAYESTUNE_PARAMS must hold a JSON object, got list"],
      [{ [CHILD_ENV.params]: '{"lr": NaN}' }, "NaN is not valid JSON"],
      [{ [CHILD_ENV.paramsFile]: join(dir, "missing.json") }, `BAYESTUNE_PARAMS_FILE names '${join(dir, "missing.json")}'`],
    ];
    for (const [env, message] of cases) {
      const run = await runPython(["-c", "from bayestune_client import params; params()"], { env });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`bayestune_client.BayestuneClientError: `);
      expect(run.stderr).toContain(message);
    }
  });
});

describe("trial(), fidelity(), checkpoint(), trial_dir(), checkpoint_dir(), should_stop()", () => {
  it("read the worker's variables, with numbers as numbers", async () => {
    const stopFile = join(dir, "stop");
    const seen = await inspect({
      env: {
        [CHILD_ENV.study]: "gpt-tiny",
        [CHILD_ENV.trial]: "17",
        [CHILD_ENV.rung]: "2",
        [CHILD_ENV.fidelity]: "1500.5",
        [CHILD_ENV.checkpoint]: "/ckpt/gpt-tiny/17/rung-1.pt",
        [CHILD_ENV.trialDir]: dir,
        [CHILD_ENV.checkpointDir]: "/shared/ckpt/gpt-tiny/17",
        [CHILD_ENV.stopFile]: stopFile,
      },
    });
    expect(seen.checkpoint_dir).toBe("/shared/ckpt/gpt-tiny/17");
    expect(seen.trial).toEqual({ study: "gpt-tiny", number: 17, rung: 2 });
    expect(seen.fidelity).toBe(1500.5);
    expect(seen.checkpoint).toBe("/ckpt/gpt-tiny/17/rung-1.pt");
    expect(seen.trial_dir).toBe(dir);
    expect(seen.should_stop).toBe(false);
    await writeFile(stopFile, "");
    expect((await inspect({ env: { [CHILD_ENV.stopFile]: stopFile } })).should_stop).toBe(true);
  });

  it("fall back outside a trial: no trial, no fidelity or checkpoint, the working directory, never stop", async () => {
    const seen = await inspect({ cwd: dir });
    expect(seen.trial).toEqual({ study: null, number: null, rung: null });
    expect(seen.fidelity).toBeNull();
    expect(seen.checkpoint).toBeNull();
    expect(seen.trial_dir).toBe(dir);
    expect(seen.checkpoint_dir).toBe(dir);
    expect(seen.should_stop).toBe(false);
  });

  it("raise BayestuneClientError for a trial number, rung or fidelity that is not a number of the right kind", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ [CHILD_ENV.trial]: "7.5" }, "BAYESTUNE_TRIAL must be a non-negative integer, got '7.5'"],
      [{ [CHILD_ENV.rung]: "-1" }, "BAYESTUNE_RUNG must be a non-negative integer, got '-1'"],
      [{ [CHILD_ENV.fidelity]: "0" }, "BAYESTUNE_FIDELITY must be a positive number, got '0'"],
      [{ [CHILD_ENV.fidelity]: "many" }, "BAYESTUNE_FIDELITY must be a positive number, got 'many'"],
    ];
    for (const [env, message] of cases) {
      const run = await runPython(["-c", "from bayestune_client import trial, fidelity; trial(); fidelity()"], { env });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`bayestune_client.BayestuneClientError: ${message}`);
    }
  });

  it("should_stop flips while the script runs, when the worker creates the stop file", async () => {
    const stopFile = join(dir, "stop");
    const script = startPython([join(fixtures, "poll_stop.py")], { env: { [CHILD_ENV.stopFile]: stopFile } });
    await expect.poll(script.stdout, { timeout: 10_000, interval: 10 }).not.toBe("");
    // The script has reported and is polling; it must not stop on its own.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(script.child.exitCode).toBeNull();
    await writeFile(stopFile, "pruned");
    const run = await script.done;
    expect(run.code, run.stderr).toBe(0);
    const [first, last, ...rest] = metricLines(run.stdout);
    expect(first).toEqual({ step: 0, stopping: 0 });
    expect(last?.final).toBe(true);
    expect(last?.["polls"]).toBeGreaterThan(0);
    expect(rest).toEqual([]);
  });

  it("should_stop turns true when the worker is asked to stop the trial, and the script's final line is the stopped result", async () => {
    const stop = new AbortController();
    const result = await runTrial(
      {
        study: "s",
        trial: 0,
        rung: 0,
        params: {},
        command: { argv: ["python3", join(fixtures, "poll_stop.py")], env: { PYTHONPATH: clientDir, PYTHONDONTWRITEBYTECODE: "1" } },
        metric: "polls",
        timeoutSeconds: 60,
      },
      // The script reported step 0 and polls should_stop(): the stop is asked for then.
      { worker: "w", workDir: dir, stop: stop.signal, stopGraceMs: 60_000, onProgress: () => stop.abort("pruned") },
    );
    // Only the final line holds "polls": the script saw should_stop() before its own 20 s give-up (exit 3).
    expect(result).toMatchObject({ state: "complete", stopped: true, value: expect.any(Number) });
    expect(result.metrics).toEqual({ polls: result.value });
  });
});

describe("report(), report_final(), report_checkpoint()", () => {
  const expectedLines = [
    '{"step":0,"loss":2.5,"acc":null}',
    '{"step":10,"checkpoint":"/ckpt/10","loss":0.30000000000000004,"tokens":1024}',
    '{"step":20,"loss":1.25,"count":7,"half":0.5,"tenth":0.1}',
    '{"step":30,"loss":null,"up":null,"down":null,"huge":null}',
    '{"checkpoint":"/ckpt/30"}',
    '{"final":true,"checkpoint":"/ckpt/final","val_loss":1.5}',
    '{"step":40,"final":true,"val_loss":null}',
  ];

  it("print one compact MetricLine per call, NaN and infinities as null", async () => {
    const run = await runPython([join(fixtures, "reports.py")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(expectedLines.map((line) => `${line}\n`).join(""));
    expect(metricLines(run.stdout)).toEqual([
      { step: 0, loss: 2.5, acc: null },
      { step: 10, checkpoint: "/ckpt/10", loss: 0.1 + 0.2, tokens: 1024 },
      { step: 20, loss: 1.25, count: 7, half: 0.5, tenth: 0.1 },
      { step: 30, loss: null, up: null, down: null, huge: null },
      { checkpoint: "/ckpt/30" },
      { final: true, checkpoint: "/ckpt/final", val_loss: 1.5 },
      { step: 40, final: true, val_loss: null },
    ]);
  });

  it("work the same from the single file copied beside a script", async () => {
    await copyFile(join(clientDir, "bayestune_client", "__init__.py"), join(dir, "bayestune_client.py"));
    const run = await runPython([join(fixtures, "reports.py")], { pythonPath: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(expectedLines.map((line) => `${line}\n`).join(""));
  });

  it("exit the script with a TypeError naming the key for a string metric, printing nothing", async () => {
    const run = await runPython(["-c", "from bayestune_client import report; report(5, loss=2.0, lr='3e-4')"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("TypeError: metric 'lr' must be a number or None, got str '3e-4'");
  });

  it("raise TrialEndedError for any report after the final one, printing nothing more", async () => {
    const run = await runPython([join(fixtures, "report_after_final.py")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('{"step":1,"loss":2.0}\n{"final":true,"loss":1.5}\n');
    const errors = run.stderr.trimEnd().split("\n");
    expect(errors).toHaveLength(3);
    for (const [i, line] of ['{"step":2,"loss":1.0}', '{"final":true,"loss":1.0}', '{"checkpoint":"ckpt"}'].entries()) {
      expect(errors[i]).toBe(`TrialEndedError: the trial already reported its final result; this line comes after it and would be ignored: ${line}`);
    }
  });

  it("refuse bools, strings, non-numbers, bad steps, reserved names and empty checkpoints", async () => {
    const run = await runPython([join(fixtures, "report_errors.py")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      "TypeError: metric 'loss' must be a number or None, got str '2.3'",
      "TypeError: metric 'converged' must be a number or None, got bool True",
      "TypeError: metric 'loss' must be a number or None, got list [1.0]",
      "TypeError: metric 'loss' must be a number or None, got complex 1j",
      "ValueError: step must be a non-negative int, got -1",
      "TypeError: step must be a non-negative int, got float 1.5",
      "TypeError: step must be a non-negative int, got bool True",
      "TypeError: metric 'final' is reserved for the line's own field; choose another name",
      "ValueError: checkpoint must be a non-empty path, got ''",
      "TypeError: report_final needs at least one metric, the objective among them",
      "TypeError: metric 'val_loss' must be a number or None, got bool True",
      "ValueError: checkpoint must be a non-empty path, got ''",
    ]);
  });
});

describe("the module docstring's example", () => {
  // Runs the example exactly as the docstring shows it, so the documentation cannot drift from the API.
  const runExample = `
import itertools, textwrap, bayestune_client
after = bayestune_client.__doc__.split("Example::\\n", 1)[1].split("\\n")
block = itertools.takewhile(lambda line: line == "" or line.startswith("    "), after)
exec(compile(textwrap.dedent("\\n".join(block)), "example", "exec"), {})
`;

  it("trains for the rung's fidelity and reports the final loss", async () => {
    const run = await runPython(["-c", runExample], {
      env: { [CHILD_ENV.params]: '{"lr":0.01}', [CHILD_ENV.fidelity]: "300" },
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = metricLines(run.stdout);
    expect(lines.map((line) => line.step)).toEqual([0, 100, 200, undefined]);
    // The example's loss after 300 steps is 10 * (1 - lr)^300, up to rounding.
    expect(lines.at(-1)?.final).toBe(true);
    expect(lines.at(-1)?.["loss"]).toBeCloseTo(10 * 0.99 ** 300, 10);
  });

  it("stops after the first step when the stop file already exists", async () => {
    const stopFile = join(dir, "stop");
    await writeFile(stopFile, "");
    const run = await runPython(["-c", runExample], { env: { [CHILD_ENV.stopFile]: stopFile } });
    expect(run.code, run.stderr).toBe(0);
    // Outside a study's params the defaults hold: lr 3e-4, one step taken before stopping.
    expect(metricLines(run.stdout)).toEqual([
      { step: 0, loss: 10 * (1 - 3e-4) },
      { final: true, loss: 10 * (1 - 3e-4) },
    ]);
  });
});
