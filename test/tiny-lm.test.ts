/*
 * The tiny GPT example (examples/tiny-lm) at a few steps: it reports its learning
 * curve and a checkpoint, and training resumed from a checkpoint follows the same
 * curve as a run that never stopped, which is what makes a promoted trial's
 * resume honest. Needs examples/.venv (examples/setup-python.sh; `npm test` runs it).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHILD_ENV } from "@bayestune/protocol";
import { bayestune } from "./support/run-cli.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const python = join(root, "examples/.venv/bin/python");
const train = join(root, "examples/tiny-lm/train.py");

interface Line {
  step?: number;
  final?: boolean;
  val_loss: number;
  train_loss?: number;
  checkpoint?: string;
}

let dir: string;
beforeEach(async () => {
  expect(existsSync(python), "examples/.venv is missing: run bash examples/setup-python.sh --hf").toBe(true);
  dir = await mkdtemp(join(tmpdir(), "bayestune-tiny-lm-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(env: Record<string, string>, args: string[] = []): Promise<Line[]> {
  const { stdout } = await promisify(execFile)(python, [train, "--horizon", "6", "--eval-every", "2", ...args], {
    env: { ...process.env, PYTHONPATH: join(root, "clients/python"), [CHILD_ENV.trialDir]: dir, ...env },
  });
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Line);
}

describe("examples/tiny-lm/train.py", () => {
  const params = JSON.stringify({ lr: 3e-3, batch_size: 4, warmup_steps: 2, dropout: 0.1, beta2: 0.99, weight_decay: 0.01 });

  it("trains to the trial's fidelity, reporting validation loss and ending with a checkpoint", async () => {
    const lines = await run({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "6" });
    expect(lines.map((l) => l.step)).toEqual([2, 4, 6, 6]);
    const final = lines.at(-1)!;
    expect(final.final).toBe(true);
    expect(final.checkpoint).toBe(join(dir, "step-6.pt"));
    expect(existsSync(final.checkpoint!)).toBe(true);
    // Byte-level: an untrained model scores about ln 256 = 5.55; a few steps already lower it.
    expect(lines[0]!.val_loss).toBeLessThan(5.6);
    expect(final.val_loss).toBeLessThan(lines[0]!.val_loss);
    expect(final.val_loss).toBe(lines.at(-2)!.val_loss);
  });

  it("resumed from step 2's checkpoint, follows the same curve as an uninterrupted run", async () => {
    const whole = await run({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "6" });
    const first = await run({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "2" });
    const rest = await run({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "6", [CHILD_ENV.checkpoint]: first.at(-1)!.checkpoint! });
    const resumed = [...first.slice(0, -1), ...rest];
    expect(resumed.map((l) => l.step)).toEqual(whole.map((l) => l.step));
    for (const [i, line] of resumed.entries()) {
      expect(line.val_loss).toBeCloseTo(whole[i]!.val_loss, 9);
      if (line.train_loss !== undefined) expect(line.train_loss).toBeCloseTo(whole[i]!.train_loss!, 9);
    }
  });

  it("refuses a checkpoint of another model size with a clear error", async () => {
    const first = await run({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "2" });
    const failed = run({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "4", [CHILD_ENV.checkpoint]: first.at(-1)!.checkpoint! }, ["--size", "small"]);
    await expect(failed).rejects.toThrow(/checkpoint .*step-2\.pt is for model size .*'width': 64.*this run uses .*'width': 128/);
  });
});

describe("the main job (examples/tiny-lm/study.yaml) at a reduced budget", () => {
  it("tunes the tiny GPT with its constraints through `bayestune tune` and prints the best configuration", async () => {
    // 4 trials of 20 steps instead of 16 of 300: the same config otherwise, as the README's main command runs it.
    const config = readFileSync(join(root, "examples/tiny-lm/study.yaml"), "utf8")
      .replace("maxTrials: 16", "maxTrials: 4")
      .replaceAll('"300"', '"20"')
      .replace('--eval-every, "50"', '--eval-every, "10"');
    expect(config).toContain("maxTrials: 4");
    const file = join(dir, "study.yaml");
    await writeFile(file, config);
    const { code, stdout } = await bayestune(["tune", file, "--slots", "2", "--no-progress", "--work-dir", join(dir, "runs")], 120_000);
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/tiny-lm: 4 trials finished, 0 failed/);
    expect(stdout).toMatch(/\d of 4 complete trials within the constraints/);
    const best = /best trial \d+: val_loss = ([\d.]+)\n  params: (\{.*\})/.exec(stdout);
    expect(best).not.toBeNull();
    // 20 steps from ln 256 = 5.55: some learning, far from converged.
    expect(Number(best![1])).toBeLessThan(5.5);
    expect(Object.keys(JSON.parse(best![2]!) as object).sort()).toEqual(["batch_size", "beta2", "dropout", "lr", "warmup_steps", "weight_decay"]);
  });
});
