/*
 * The Hugging Face Trainer callback (clients/python/bayestune_client/hf.py) on a
 * tiny GPT-2 built from a config (random initialisation, nothing downloaded), on
 * CPU: it reports each evaluation, the best checkpoint, and stops when the trial
 * is pruned: run directly, and through `bayestune tune` with a median pruner.
 * Needs examples/.venv (`npm test` sets it up, transformers included) and the CLI's build.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { medianStoppingDecision } from "@bayestune/core";
import { CHILD_ENV, trialJobId, type StudyConfigInput } from "@bayestune/protocol";
import { SqliteStore, type StoredTrial } from "@bayestune/store";
import { bayestune, repositoryRoot as root } from "./support/run-cli.js";

const python = join(root, "examples/.venv/bin/python");
const script = join(root, "examples/hf-trainer/train.py");

interface Line {
  step?: number;
  final?: boolean;
  checkpoint?: string;
  eval_loss?: number | null;
}

let dir: string;
beforeEach(async () => {
  expect(existsSync(python), "examples/.venv is missing: run bash examples/setup-python.sh --hf").toBe(true);
  dir = await mkdtemp(join(tmpdir(), "bayestune-hf-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the example; `onLine` sees each metric line as it arrives. Resolves with every metric line. */
function train(env: Record<string, string>, args: string[], onLine: (line: Line) => void = () => undefined): Promise<{ code: number | null; lines: Line[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, ...args], { env: { ...process.env, [CHILD_ENV.trialDir]: dir, ...env }, stdio: ["ignore", "pipe", "ignore"] });
    const lines: Line[] = [];
    let buffer = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const text of parts) {
        // The Trainer prints its own log dicts (Python reprs, not JSON): the worker ignores them too.
        if (!text.startsWith('{"')) continue;
        const line = JSON.parse(text) as Line;
        lines.push(line);
        onLine(line);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, lines }));
  });
}

describe("BayestuneCallback on a Trainer run", () => {
  const params = JSON.stringify({ learning_rate: 3e-3, warmup_steps: 2, weight_decay: 0.01, adam_beta2: 0.99, batch_size: 8 });

  it("reports every evaluation and ends with the best one's metrics and checkpoint", async () => {
    const { code, lines } = await train({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "30" }, ["--eval-every", "10"]);
    expect(code).toBe(0);
    const evaluations = lines.filter((l) => l.step !== undefined && !l.final && l.eval_loss !== undefined);
    expect(evaluations.map((l) => l.step)).toEqual([10, 20, 30]);
    const final = lines.at(-1)!;
    expect(final.final).toBe(true);
    const best = evaluations.reduce((a, b) => (b.eval_loss! < a.eval_loss! ? b : a));
    expect(final.eval_loss).toBe(best.eval_loss);
    expect(final.step).toBe(best.step);
    expect(final.checkpoint).toBe(join(dir, "hf", `checkpoint-${best.step}`));
    expect(existsSync(final.checkpoint!)).toBe(true);
    // Byte-level: an untrained model scores about ln 256 = 5.55.
    expect(best.eval_loss!).toBeLessThan(5.5);
  });

  it("stops training when the trial is pruned (its stop file appears), and still reports what it has", async () => {
    const stopFile = join(dir, "stop");
    const { code, lines } = await train({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "500", [CHILD_ENV.stopFile]: stopFile }, ["--eval-every", "5"], (line) => {
      if (line.step === 5 && !line.final) void writeFile(stopFile, "pruned");
    });
    expect(code).toBe(0);
    const final = lines.at(-1)!;
    expect(final.final).toBe(true);
    const steps = lines.filter((l) => l.step !== undefined && !l.final).map((l) => l.step!);
    expect(Math.max(...steps)).toBeLessThan(50);
    expect(typeof final.eval_loss).toBe("number");
  });

  it("with final=last, reports the rung's last evaluation, and a promoted run resumes from its checkpoint", async () => {
    const first = await train({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "20" }, ["--eval-every", "10", "--final", "last"]);
    const rung0 = first.lines.at(-1)!;
    expect(rung0).toMatchObject({ final: true, step: 20, checkpoint: join(dir, "hf", "checkpoint-20") });
    const resumed = await train({ [CHILD_ENV.params]: params, [CHILD_ENV.fidelity]: "40", [CHILD_ENV.checkpoint]: rung0.checkpoint! }, ["--eval-every", "10", "--final", "last"]);
    expect(resumed.code).toBe(0);
    // Only the new steps were trained: evaluations at 30 and 40, none at 10 or 20.
    expect(resumed.lines.filter((l) => l.step !== undefined && !l.final).map((l) => l.step)).toEqual([30, 40]);
    expect(resumed.lines.at(-1)).toMatchObject({ final: true, step: 40, checkpoint: join(dir, "hf", "checkpoint-40") });
  });

  it("through `bayestune tune` with a median pruner: the worse trial is stopped at its first evaluation, ends early with its final line, and is stored pruned", async () => {
    // Seed 7's random learning rates: trial 0 about 2e-3, trial 1 about 2e-6 (untrained: eval_loss near ln 256 at step 10).
    const study: StudyConfigInput = {
      name: "hf-prune",
      seed: 7,
      sampler: "random",
      maxTrials: 2,
      metric: "eval_loss",
      space: { learning_rate: { type: "float", low: 1e-6, high: 1e-2, log: true } },
      pruner: { type: "median", minTrials: 1 },
      command: { argv: [python, script, "--steps", "60", "--eval-every", "10"] },
      trialTimeoutSeconds: 300,
    };
    const file = join(dir, "hf-prune.json");
    await writeFile(file, JSON.stringify(study));
    const workDir = join(dir, "runs");
    const storeFile = join(dir, "studies.sqlite");
    const { code, stdout, stderr } = await bayestune(["tune", file, "--no-progress", "--stop-grace", "30", "--work-dir", workDir, "--store", storeFile], 120_000);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^hf-prune: 2 trials finished, 1 pruned, 0 failed$/m);
    expect(stdout).toMatch(/^trial 1 pruned at step 10: eval_loss=/m);
    const store = new SqliteStore({ path: storeFile });
    let trials: StoredTrial[];
    try {
      trials = await store.getTrials("hf-prune");
    } finally {
      await store.close();
    }
    const [full, stopped] = trials as [StoredTrial, StoredTrial];
    const lr = (t: StoredTrial): number => t.params["learning_rate"] as number;
    expect(lr(stopped), "the seed no longer gives trial 1 a far smaller learning rate: pick another").toBeLessThan(lr(full) / 100);

    const evaluations = (t: StoredTrial): [number, number][] => t.intermediate.map((r) => [r.step, r.metrics["eval_loss"] as number] as [number, number]);
    expect(full.state).toBe("complete");
    expect(evaluations(full).map(([step]) => step)).toEqual([10, 20, 30, 40, 50, 60]);
    // The engine stopped trial 1 at its first evaluation, as the rule decides against trial 0's curve.
    expect(medianStoppingDecision(evaluations(stopped).slice(0, 1), [evaluations(full)], { minTrials: 1 })).toBe(true);
    expect(stopped.state).toBe("pruned");
    // Training stopped early: fewer evaluations than the full run's.
    expect(Math.max(...evaluations(stopped).map(([step]) => step))).toBeLessThan(60);
    // ... and its callback still reported the final line (the best evaluation and its checkpoint), which is the stored result.
    const trialDir = join(workDir, "hf-prune", trialJobId("hf-prune", 1, 0));
    const lines = (await readFile(join(trialDir, "stdout.log"), "utf8")).split("\n").filter((l) => l.startsWith('{"')).map((l) => JSON.parse(l) as Line);
    const final = lines.find((l) => l.final === true);
    expect(final, "no final line in the stopped trial's output").toBeDefined();
    expect(lines.at(-1)).toBe(final);
    expect(final!.step).toBeLessThan(60);
    expect(stopped.value).toBe(final!.eval_loss);
    expect(stopped.value).toBe(Math.min(...evaluations(stopped).map(([, loss]) => loss)));
    expect(stopped.checkpoint).toBe(final!.checkpoint);
    expect(stopped.checkpoint).toMatch(new RegExp(`/hf/checkpoint-${final!.step}$`));
    expect(existsSync(stopped.checkpoint!)).toBe(true);
    expect(await readFile(join(trialDir, "STOP"), "utf8")).toBe("pruned\n");
  }, 120_000);
});
