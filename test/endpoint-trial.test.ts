/*
 * Sampling parameters against an OpenAI-compatible endpoint, end to end: the
 * tiny GPT (examples/tiny-lm, trained a few steps here) served over real HTTP on
 * 127.0.0.1 by examples/tiny-lm/serve.py, `bayestune endpoint-trial` as the
 * trial's command, and `bayestune tune` over the example study at a reduced
 * budget. Needs examples/.venv (`npm test` sets it up).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHILD_ENV } from "@bayestune/protocol";
import { bayestune, cliPath, repositoryRoot as root } from "./support/run-cli.js";

const python = join(root, "examples/.venv/bin/python");
let dir: string;
let server: ChildProcess;
let baseURL: string;

beforeAll(async () => {
  expect(existsSync(python), "examples/.venv is missing: run bash examples/setup-python.sh --hf").toBe(true);
  dir = await mkdtemp(join(tmpdir(), "bayestune-endpoint-"));
  // A briefly trained checkpoint: a real model, if not a good one.
  await promisify(execFile)(python, [join(root, "examples/tiny-lm/train.py"), "--steps", "40", "--eval-every", "40"], {
    env: { ...process.env, PYTHONPATH: join(root, "clients/python"), [CHILD_ENV.trialDir]: dir },
  });
  server = spawn(python, [join(root, "examples/tiny-lm/serve.py"), "--checkpoint", join(dir, "step-40.pt"), "--port", "0", "--log", join(dir, "requests.jsonl")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [first] = await new Promise<string[]>((resolve) => createInterface({ input: server.stdout! }).once("line", (line) => resolve([line])));
  baseURL = (JSON.parse(first!) as { listening: string }).listening;
}, 60_000);

afterAll(async () => {
  server?.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
});

function requests(): Array<Record<string, number>> {
  return readFileSync(join(dir, "requests.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, number>);
}

describe("bayestune endpoint-trial against the tiny GPT served over OpenAI's protocol", () => {
  it("scores every prompt once per repeat with the trial's sampling parameters, and reports the mean and its spread", async () => {
    const prompts = join(root, "examples/endpoint-sampling/prompts.jsonl");
    const count = readFileSync(prompts, "utf8").trim().split("\n").length;
    const sampling = { temperature: 0.6, top_p: 0.9, max_tokens: 6, frequency_penalty: 0.3, presence_penalty: 0.1 };
    const before = existsSync(join(dir, "requests.jsonl")) ? requests().length : 0;
    const { stdout } = await promisify(execFile)(process.execPath, [cliPath, "endpoint-trial", "--prompts", prompts, "--scoring", "regex", "--repeats", "2"], {
      env: { ...process.env, OPENAI_BASE_URL: baseURL, [CHILD_ENV.params]: JSON.stringify({ ...sampling, unrelated: 3 }) },
    });
    const lines = stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, number | boolean>);
    expect(lines.map((l) => l["step"])).toEqual([1, 2, undefined]);
    const final = lines.at(-1)!;
    expect(final).toMatchObject({ final: true, repeats: 2, prompts: count });
    const repeats = [lines[0]!["score"] as number, lines[1]!["score"] as number];
    const mean = (repeats[0]! + repeats[1]!) / 2;
    expect(final["score"]).toBeCloseTo(mean, 12);
    expect(final["score_std"]).toBeCloseTo(Math.abs(repeats[0]! - repeats[1]!) / Math.SQRT2, 12);
    for (const r of repeats) expect(r * count).toBeCloseTo(Math.round(r * count), 9);
    // The server saw every request, each with exactly the trial's sampling parameters.
    const seen = requests().slice(before);
    expect(seen).toHaveLength(2 * count);
    for (const request of seen) expect(request).toEqual(sampling);
  });

  it("fails with a clear message when OPENAI_BASE_URL is not set", async () => {
    const { OPENAI_BASE_URL: _, ...env } = process.env;
    const failed = await promisify(execFile)(process.execPath, [cliPath, "endpoint-trial", "--prompts", join(root, "examples/endpoint-sampling/prompts.jsonl")], { env }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain("OPENAI_BASE_URL must name the endpoint");
  });

  it("tunes the example study's sampling parameters against the endpoint at a reduced budget", async () => {
    const config = readFileSync(join(root, "examples/endpoint-sampling/study.yaml"), "utf8").replace("maxTrials: 20", "maxTrials: 4").replace('--repeats, "3"', '--repeats, "1"');
    const file = join(dir, "study.yaml");
    await writeFile(file, config);
    process.env["OPENAI_BASE_URL"] = baseURL;
    try {
      const { code, stdout } = await bayestune(["tune", file, "--slots", "2", "--no-progress", "--work-dir", join(dir, "runs")], 120_000);
      expect(code, stdout).toBe(0);
      expect(stdout).toMatch(/endpoint-sampling: 4 trials finished, 0 failed/);
      const best = /best trial \d+: score = ([\d.]+)\n  params: (\{.*\})/.exec(stdout);
      expect(Number(best?.[1])).toBeGreaterThanOrEqual(0);
      expect(Object.keys(JSON.parse(best![2]!) as object).sort()).toEqual(["frequency_penalty", "max_tokens", "presence_penalty", "temperature", "top_p"]);
    } finally {
      delete process.env["OPENAI_BASE_URL"];
    }
  });
});
