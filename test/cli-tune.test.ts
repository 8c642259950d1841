import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bayestune, cliPath, repositoryRoot as root } from "./support/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "bayestune-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Writes a training script over one param, lr, whose loss after s steps is the JS
 * expression `loss` (in lr and s): it resumes from its checkpoint (the step
 * reached), reports every 10 steps, and logs each job {trial, rung, steps, from} to `log`.
 */
function writeCurveScript(name: string, log: string, loss: string): string {
  const script = join(dir, name);
  writeFileSync(
    script,
    `import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
     import { join } from "node:path";
     const lr = Number(process.argv[2]);
     const steps = Number(process.env.BAYESTUNE_FIDELITY);
     const from = process.env.BAYESTUNE_CHECKPOINT ? Number(readFileSync(process.env.BAYESTUNE_CHECKPOINT, "utf8")) : 0;
     appendFileSync(${JSON.stringify(log)}, JSON.stringify({ trial: Number(process.env.BAYESTUNE_TRIAL), rung: Number(process.env.BAYESTUNE_RUNG), steps, from }) + "\\n");
     const loss = (s) => ${loss};
     for (let s = from + 10; s <= steps; s += 10) console.log(JSON.stringify({ step: s, loss: loss(s) }));
     const checkpoint = join(process.env.BAYESTUNE_TRIAL_DIR, "step.txt");
     writeFileSync(checkpoint, String(steps));
     console.log(JSON.stringify({ final: true, loss: loss(steps), checkpoint }));`,
  );
  return script;
}

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

  it("keeps the study in its store file: run again it resumes (nothing rerun), status, export and dashboard read it, a changed config is refused", async () => {
    const script = join(dir, "bowl.mjs");
    writeFileSync(script, `console.log(JSON.stringify({ final: true, loss: (Number(process.argv[2]) - 0.3) ** 2 }));`);
    const study = { name: "kept", maxTrials: 6, seed: 2, space: { x: { type: "float", low: 0, high: 1 } }, command: { argv: [process.execPath, script, "{x}"] } };
    const file = join(dir, "kept.json");
    writeFileSync(file, JSON.stringify(study));
    const workDir = join(dir, "kept-runs");
    const storeFile = join(workDir, "studies.sqlite");
    const first = await bayestune(["tune", file, "--no-progress", "--work-dir", workDir]);
    expect(first.code, first.stderr).toBe(0);
    const best = /best trial (\d+): loss = ([\d.e+-]+)/.exec(first.stdout)?.slice(1);

    const again = await bayestune(["tune", file, "--no-progress", "--work-dir", workDir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`resuming study "kept" from ${storeFile}: 6 trials finished`);
    expect(again.stdout).not.toMatch(/^trial \d+/m);
    expect(/best trial (\d+): loss = ([\d.e+-]+)/.exec(again.stdout)?.slice(1)).toEqual(best);

    const status = await bayestune(["status", "--store", storeFile]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/kept/);
    expect(status.stdout).not.toMatch(/workers:/);
    const exported = await bayestune(["export", "kept", "--store", storeFile, "--format", "json"]);
    expect(exported.code, exported.stderr).toBe(0);
    const trials = JSON.parse(exported.stdout) as { number: number; state: string; value: number }[];
    expect(trials.map((t) => t.state)).toEqual(Array(6).fill("complete"));
    expect(Math.min(...trials.map((t) => t.value))).toBe(Number(best?.[1]));

    writeFileSync(file, JSON.stringify({ ...study, seed: 3 }));
    const changed = await bayestune(["tune", file, "--no-progress", "--work-dir", workDir]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/differs in: seed.*another --store than .*kept-runs\/studies\.sqlite/);
    const missing = await bayestune(["status", "--store", join(dir, "nowhere.sqlite")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no study store at ${join(dir, "nowhere.sqlite")}`);

    const dashboard = spawn(process.execPath, [cliPath, "dashboard", "--store", storeFile, "--port", "0"], { cwd: root });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let out = "";
        dashboard.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = /dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (match !== null) resolve(match[1]!);
        });
        dashboard.once("exit", (code) => reject(new Error(`dashboard exited with ${code}: ${out}`)));
      });
      const studies = (await (await fetch(`${address}/api/studies`)).json()) as unknown;
      expect(JSON.stringify(studies)).toContain('"kept"');
    } finally {
      dashboard.kill("SIGTERM");
    }
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

  it("keeps to a black-box constraint: the best trial is the best feasible one, and a study with none says so", async () => {
    // Loss falls with x, memory grows with it: the unconstrained optimum x = 1 needs 100 GB, the limit is 60.
    const script = join(dir, "memory.mjs");
    writeFileSync(script, `const x = Number(process.argv[2]); console.log(JSON.stringify({ final: true, loss: 1 - x, memory_gb: 20 + 80 * x }));`);
    const config = (name: string, max: number): string => {
      const file = join(dir, `${name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          name,
          maxTrials: 12,
          seed: 1,
          space: { x: { type: "float", low: 0, high: 1 } },
          constraints: [{ metric: "memory_gb", max }],
          command: { argv: [process.execPath, script, "{x}"] },
        }),
      );
      return file;
    };
    const { code, stdout } = await bayestune(["tune", config("memory", 60), "--no-progress", "--work-dir", join(dir, "runs")]);
    expect(code).toBe(0);
    const feasible = /(\d+) of 12 complete trials within the constraints/.exec(stdout);
    expect(Number(feasible?.[1])).toBeGreaterThan(0);
    // Feasible means x ≤ 0.5, so loss ≥ 0.5; the GP closes in on the bound.
    const best = Number(/best trial \d+: loss = ([\d.e+-]+)/.exec(stdout)?.[1]);
    expect(best).toBeGreaterThanOrEqual(0.5);
    expect(best).toBeLessThan(0.55);

    const none = await bayestune(["tune", config("no-memory", 10), "--no-progress", "--work-dir", join(dir, "runs")]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain("0 of 12 complete trials within the constraints");
    expect(none.stdout).toContain("no feasible trial: all 12 complete trials break a constraint");
  });

  it("tunes two objectives and prints the Pareto front of the trials it ran", async () => {
    // Loss falls with x while GPU-hours grow with it: every x is a trade-off, y only makes both worse.
    const script = join(dir, "tradeoff.mjs");
    writeFileSync(
      script,
      `const [x, y] = process.argv.slice(2).map(Number); console.log(JSON.stringify({ final: true, loss: 1 - x + y, gpu_hours: x + y }));`,
    );
    const file = join(dir, "two-objectives.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "two-objectives",
        maxTrials: 14,
        seed: 3,
        space: { x: { type: "float", low: 0, high: 1 }, y: { type: "float", low: 0, high: 1 } },
        objectives: [
          { metric: "loss", direction: "minimize" },
          { metric: "gpu_hours", direction: "minimize" },
        ],
        command: { argv: [process.execPath, script, "{x}", "{y}"] },
      }),
    );
    const { code, stdout } = await bayestune(["tune", file, "--no-progress", "--work-dir", join(dir, "runs")]);
    expect(code).toBe(0);
    const parse = (line: string) => {
      const m = /trial (\d+): loss=([\d.e+-]+), gpu_hours=([\d.e+-]+)/.exec(line)!;
      return { number: Number(m[1]), values: [Number(m[2]), Number(m[3])] };
    };
    const all = stdout.split("\n").filter((l) => /^trial \d+: loss=/.test(l)).map(parse);
    expect(all).toHaveLength(14);
    const front = stdout.split("Pareto front")[1]!.split("\n").filter((l) => /^  trial/.test(l)).map(parse);
    // Brute force: the trials no other trial beats in both objectives; of equal ones, the first.
    const dominated = (a: number[]) => all.some((b) => b.values[0]! <= a[0]! && b.values[1]! <= a[1]! && (b.values[0]! < a[0]! || b.values[1]! < a[1]!));
    const repeated = (t: { number: number; values: number[] }) => all.some((b) => b.number < t.number && b.values[0] === t.values[0] && b.values[1] === t.values[1]);
    const expected = all.filter((t) => !dominated(t.values) && !repeated(t)).map((t) => t.number);
    expect(front.map((t) => t.number).sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    expect(stdout).toMatch(/Pareto front \(\d+ trials?\):/);
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

  it("runs ASHA: promoted trials resume from their checkpoints, and only new steps count", async () => {
    const log = join(dir, "jobs.log");
    // Loss falls with the steps trained towards a floor set by lr.
    const script = writeCurveScript("curve.mjs", log, "Math.abs(Math.log10(lr) + 2) + 1 / Math.sqrt(s)");
    const file = join(dir, "asha.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "asha",
        maxTrials: 9,
        sampler: "sobol",
        space: { lr: { type: "float", low: 1e-4, high: 1, log: true } },
        fidelity: { min: 10, max: 90, reductionFactor: 3 },
        scheduler: { type: "asha" },
        command: { argv: [process.execPath, script, "{lr}"] },
      }),
    );
    const { code, stdout } = await bayestune(["tune", file, "--slots", "2", "--no-progress", "--work-dir", join(dir, "runs")]);
    expect(code).toBe(0);
    const jobs = readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { trial: number; rung: number; steps: number; from: number });
    // Nine configurations start at 10 steps; promotions climb to 30 and then 90.
    expect(jobs.filter((j) => j.rung === 0).map((j) => j.steps)).toEqual(Array(9).fill(10));
    const promoted = jobs.filter((j) => j.rung > 0);
    expect(promoted.length).toBeGreaterThan(0);
    for (const job of promoted) {
      expect(job.steps).toBe(job.rung === 1 ? 30 : 90);
      // It resumed from the step its previous rung reached.
      expect(job.from).toBe(job.rung === 1 ? 10 : 30);
    }
    const spent = jobs.reduce((sum, j) => sum + j.steps - j.from, 0);
    expect(stdout).toContain(`budget spent: ${spent} steps (every configuration at the full budget: 810)`);
    // ASHA never takes back an early promotion, so how many go up depends on the order results
    // arrive in (230 to 310 steps in runs here); every order stays far below the full budget.
    expect(spent).toBeLessThan(810 / 2);
    const complete = new Set(jobs.filter((j) => j.steps === 90).map((j) => j.trial));
    expect(stdout).toMatch(new RegExp(`asha: 9 configurations: ${complete.size} at the full budget, ${9 - complete.size} stopped early, 0 failed`));
    const best = /best trial (\d+): loss = /.exec(stdout);
    expect(complete.has(Number(best?.[1]))).toBe(true);
  });

  it("runs freeze-thaw: trials pause at every increment, resume from their checkpoints, and the study stops at its budget", async () => {
    const log = join(dir, "ft-jobs.log");
    // Curves that cross: the floor is set by lr (best at 0.01), but a high lr falls faster at first.
    const script = writeCurveScript("curve-ft.mjs", log, "Math.abs(Math.log10(lr) + 2) + 3 / Math.sqrt(s * (1 + 4 * Math.min(1, lr * 10)))");
    const file = join(dir, "ft.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "ft",
        maxTrials: 30,
        seed: 1,
        sampler: "gp",
        space: { lr: { type: "float", low: 1e-4, high: 1, log: true } },
        fidelity: { min: 10, max: 160 },
        scheduler: { type: "freeze-thaw", budget: 1200 },
        command: { argv: [process.execPath, script, "{lr}"] },
      }),
    );
    const { code, stdout } = await bayestune(["tune", file, "--slots", "2", "--no-progress", "--work-dir", join(dir, "runs")]);
    expect(code).toBe(0);
    const jobs = readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { trial: number; rung: number; steps: number; from: number });
    const ladder = [10, 20, 40, 80, 160];
    const reached = new Map<number, number>();
    for (const job of jobs) {
      // Each job climbs one increment of the ladder, from where the trial's last one ended.
      expect(job.from).toBe(reached.get(job.trial) ?? 0);
      expect(ladder).toContain(job.steps);
      if (job.from > 0) expect(job.steps).toBe(ladder[ladder.indexOf(job.from) + 1]);
      reached.set(job.trial, job.steps);
    }
    const spent = jobs.reduce((sum, j) => sum + j.steps - j.from, 0);
    expect(stdout).toContain(`budget spent: ${spent} steps`);
    // It stopped at its budget: no job started once 1200 steps were spent (two slots: at most two ran on past it).
    expect(spent).toBeGreaterThanOrEqual(1200);
    expect(spent).toBeLessThan(1200 + 2 * 160);
    // Trials were left paused at several increments, and some ran to the end.
    const ends = new Set([...reached.values()]);
    expect(ends.has(160)).toBe(true);
    expect(ends.size).toBeGreaterThanOrEqual(3);
    // The full-budget optimum is 3/√(160·1.4) = 0.200 at lr = 0.01.
    const best = Number(/best trial \d+: loss = ([\d.e+-]+)/.exec(stdout)?.[1]);
    expect(best).toBeLessThan(0.3);
  });

  it("proposes new configurations from the multi-fidelity GP under ASHA and finds the optimum at the full budget", async () => {
    const script = join(dir, "curve-gp.mjs");
    writeFileSync(
      script,
      `import { readFileSync, writeFileSync } from "node:fs";
       import { join } from "node:path";
       const lr = Number(process.argv[2]);
       const steps = Number(process.env.BAYESTUNE_FIDELITY);
       const checkpoint = join(process.env.BAYESTUNE_TRIAL_DIR, "step.txt");
       writeFileSync(checkpoint, String(steps));
       console.log(JSON.stringify({ final: true, loss: Math.abs(Math.log10(lr) + 2) + 1 / Math.sqrt(steps), checkpoint }));`,
    );
    const file = join(dir, "asha-gp.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "asha-gp",
        maxTrials: 15,
        seed: 1,
        sampler: "gp",
        space: { lr: { type: "float", low: 1e-4, high: 1, log: true } },
        fidelity: { min: 10, max: 90 },
        scheduler: { type: "asha" },
        command: { argv: [process.execPath, script, "{lr}"] },
      }),
    );
    const { code, stdout } = await bayestune(["tune", file, "--no-progress", "--work-dir", join(dir, "runs")]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/asha-gp: 15 configurations: \d+ at the full budget/);
    // The full-budget optimum is 1/sqrt(90) = 0.1054 at lr = 0.01.
    const best = Number(/best trial \d+: loss = ([\d.e+-]+)/.exec(stdout)?.[1]);
    expect(best).toBeLessThan(0.12);
  });

  it("refuses a scheduler without a fidelity, naming the path", async () => {
    const file = join(dir, "bad-scheduler.json");
    writeFileSync(file, JSON.stringify({ name: "bad", maxTrials: 3, space: { x: { type: "float", low: 0, high: 1 } }, scheduler: { type: "asha" }, command: { argv: ["x"] } }));
    const { code, stderr } = await bayestune(["tune", file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/scheduler: scheduler "asha" needs a fidelity/);
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

  it("serves the live dashboard of the running study with --port: its trials, learning curves, model and slots", async () => {
    // Each trial reports three steps 150 ms apart, then its final loss.
    const script = join(dir, "curve.mjs");
    writeFileSync(
      script,
      `const x = Number(process.argv[2]);
       for (let step = 1; step <= 3; step++) {
         console.log(JSON.stringify({ step, loss: (x - 0.4) ** 2 + 1 / step }));
         await new Promise((r) => setTimeout(r, 150));
       }
       console.log(JSON.stringify({ final: true, loss: (x - 0.4) ** 2 }));`,
    );
    const file = join(dir, "live.json");
    writeFileSync(
      file,
      JSON.stringify({ name: "live", maxTrials: 8, seed: 3, space: { x: { type: "float", low: 0, high: 1 } }, command: { argv: [process.execPath, script, "{x}"] } }),
    );
    const child = spawn(process.execPath, [cliPath, "tune", file, "--slots", "2", "--no-progress", "--port", "0", "--refresh", "200", "--work-dir", join(dir, "runs")], { cwd: root });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const address = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /dashboard on (http:\/\/127\.0\.0\.1:\d+)\/studies\/live/.exec(stderr);
        if (match !== null) resolve(match[1]!);
      });
      child.once("exit", (code) => reject(new Error(`tune exited with ${code} before serving: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));

    type PageData = { views: { trials: { state: string }[]; curves: { points: unknown[] }[] }; model: { available: boolean } };
    const seen = { running: 0, curvePoints: 0, model: false, busy: 0 };
    // Poll while it runs: running trials, curve points and the model must all show up before the end.
    while (child.exitCode === null) {
      try {
        const data = (await (await fetch(`${address}/api/dashboard/studies/live`)).json()) as PageData;
        seen.running = Math.max(seen.running, data.views.trials.filter((t) => t.state === "running").length);
        seen.curvePoints = Math.max(seen.curvePoints, data.views.curves.reduce((n, c) => n + c.points.length, 0));
        seen.model ||= data.model.available;
        const pool = (await (await fetch(`${address}/api/dashboard/workers`)).json()) as { slots: number; busy: number };
        expect(pool.slots).toBe(2);
        seen.busy = Math.max(seen.busy, pool.busy);
        expect((await fetch(`${address}/queues`)).status).toBe(404);
      } catch (error) {
        // The server closes when the run ends; a poll racing the close fails.
        if (child.exitCode === null && !(error instanceof TypeError)) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/live: 8 trials finished, 0 failed/);
    expect(seen.running).toBeGreaterThan(0);
    expect(seen.busy).toBeGreaterThan(0);
    expect(seen.curvePoints).toBeGreaterThan(3);
    expect(seen.model).toBe(true);
  });
});

describe("bayestune tune, interrupted", () => {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`stops its running trials on ${signal}, prints what it has and exits ${code}`, async () => {
      // Each trial leaves a file when it starts, then trains for a minute: only the signal ends the study early.
      const started = mkdtempSync(join(dir, "started-"));
      const script = join(dir, "slow.mjs");
      writeFileSync(
        script,
        `import { writeFileSync } from "node:fs";
         writeFileSync(process.env.STARTED + "/" + process.pid, "");
         setTimeout(() => console.log(JSON.stringify({ final: true, loss: Number(process.argv[2]) })), 60000);`,
      );
      const file = join(dir, `slow-${signal}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          name: `slow-${signal}`,
          maxTrials: 4,
          sampler: "sobol",
          space: { x: { type: "float", low: 0, high: 1 } },
          command: { argv: [process.execPath, script, "{x}"], env: { STARTED: started } },
        }),
      );
      const child = spawn(process.execPath, [cliPath, "tune", file, "--slots", "2", "--no-progress", "--work-dir", join(dir, "runs")], { cwd: root });
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
      for (let i = 0; i < 400 && readdirSync(started).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(started)).toHaveLength(2);
      child.kill(signal);
      expect(await exited).toBe(code);
      expect(stdout).toMatch(new RegExp(`slow-${signal}: \\d+ trials finished, \\d+ failed \\(interrupted\\)`));
      expect(stdout).toContain("no trial completed");
    }, 30_000);
  }
});
