import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bayestune, repositoryRoot as root } from "./support/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "bayestune-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bayestune tune (embedded: no Redis)", () => {
  it("runs the SGD example's real training script to the trial count and prints the best configuration", async () => {
    const config = readFileSync(join(root, "examples/sgd-regression/study.yaml"), "utf8").replace("maxTrials: 24", "maxTrials: 8");
    const file = join(dir, "sgd.yaml");
    writeFileSync(file, config);
    const { code, stdout } = await bayestune(["tune", file, "--slots", "2", "--no-progress", "--work-dir", join(dir, "runs")]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/sgd-regression: 8 trials finished/);
    expect(stdout.match(/^trial \d+/gm)?.length).toBe(8);
    const best = /best trial (\d+): loss = ([\d.e+-]+)/.exec(stdout);
    expect(best).not.toBeNull();
    // The noise floor of the synthetic task is 0.01; an untrained model scores about 10.
    expect(Number(best?.[2])).toBeLessThan(1);
  });

  it("records crashing and hanging commands as failed trials with their reasons and finishes the study", async () => {
    const script = join(dir, "flaky.mjs");
    // Crashes for small x, hangs for large x, succeeds in between.
    writeFileSync(
      script,
      `const x = Number(process.argv[2]);
       if (x < 0.3) { console.error("boom"); process.exit(3); }
       if (x > 0.8) setInterval(() => {}, 1000);
       else console.log(JSON.stringify({ final: true, loss: (x - 0.5) ** 2 }));`,
    );
    const file = join(dir, "flaky.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "flaky",
        maxTrials: 10,
        sampler: "sobol",
        trialTimeoutSeconds: 1,
        space: { x: { type: "float", low: 0, high: 1 } },
        command: { argv: [process.execPath, script, "{x}"] },
      }),
    );
    const { code, stdout } = await bayestune(["tune", file, "--slots", "3", "--no-progress", "--work-dir", join(dir, "runs")]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/flaky: 10 trials finished, \d+ failed/);
    expect(stdout).toMatch(/failed: nonzero-exit: exited with code 3; last stderr line: boom/);
    expect(stdout).toMatch(/failed: timeout/);
    expect(stdout).toMatch(/best trial \d+: loss = /);
  });

  it("gives every trial the study's full fidelity, as {fidelity} and as BAYESTUNE_FIDELITY", async () => {
    const script = join(dir, "budget.mjs");
    // Loss is the budget the script saw through each channel; both must be the top rung, 1000.
    writeFileSync(
      script,
      `const fromArgv = Number(process.argv[2]);
       const fromEnv = Number(process.env.BAYESTUNE_FIDELITY);
       console.log(JSON.stringify({ final: true, loss: fromArgv === fromEnv ? fromArgv : -1 }));`,
    );
    const file = join(dir, "budget.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "budget",
        maxTrials: 2,
        sampler: "sobol",
        space: { x: { type: "float", low: 0, high: 1 } },
        fidelity: { min: 100, max: 1000 },
        command: { argv: [process.execPath, script, "{fidelity}"] },
      }),
    );
    const { code, stdout } = await bayestune(["tune", file, "--no-progress", "--work-dir", join(dir, "runs")]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/budget: 2 trials finished, 0 failed/);
    expect(stdout).toMatch(/best trial \d+: loss = 1000$/m);
  });

  it("rejects a bad config with one message naming the file and the path, exit code 2, no stack trace", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "name: bad\nmaxTrials: 0\nspace: { lr: { type: float, low: 1, high: 0 } }\ncommand: { argv: [x] }\n");
    const { code, stdout, stderr } = await bayestune(["tune", file]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(`config file ${file} is invalid (2 problems)`);
    expect(stderr).toMatch(/space\.lr: low < high must hold for 'lr'/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
