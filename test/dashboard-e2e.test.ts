/*
 * The live dashboard end to end: a real `bayestune dashboard` process on a free
 * port of 127.0.0.1, studies in the real Redis, and Debian's Chromium driven by
 * playwright-core. It checks that every plot draws the right number of points,
 * that the page follows new results, and that the offline report draws the same
 * plots with the network cut off. Screenshots go to test/.artifacts/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StudyConfig, workerRegistrationKey, type FailureReason } from "@bayestune/protocol";
import { RedisStore, createTrial } from "@bayestune/store";
import { bayestune, cliPath, repositoryRoot } from "./support/run-cli.js";
import { cleanUp, REDIS_URL, uniquePrefix } from "./support/simulated-workers.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(repositoryRoot, "test/.artifacts");
/** The flags this machine's closed network needs (no background connections, no QUIC). */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const prefix = uniquePrefix();
let store: RedisStore;
let registry: Redis;
let server: ChildProcess;
let address: string;
let browser: Browser;

const lmConfig = StudyConfig.parse({
  name: "dash-lm",
  space: {
    lr: { type: "float", low: 1e-4, high: 1e-1, log: true },
    batch: { type: "int", low: 8, high: 128 },
    opt: { type: "categorical", choices: ["adamw", "lion"] },
  },
  metric: "val_loss",
  constraints: [{ metric: "memory_mb", max: 1000 }],
  fidelity: { min: 10, max: 90, reductionFactor: 3 },
  scheduler: { type: "asha" },
  maxTrials: 20,
  command: { argv: ["python", "train.py"] },
});

const moConfig = StudyConfig.parse({
  name: "dash-mo",
  space: { x: { type: "float", low: 0, high: 1 } },
  objectives: [
    { metric: "loss", direction: "minimize" },
    { metric: "latency", direction: "minimize" },
  ],
  maxTrials: 10,
  command: { argv: ["python", "train.py"] },
});

/** The tuned loss: best near lr = 10^-2.5 with adamw; batch costs memory (10 MB per example). */
function lmLoss(params: { lr: number; batch: number; opt: string }): number {
  return (Math.log10(params.lr) + 2.5) ** 2 + params.batch / 1000 + (params.opt === "lion" ? 0.3 : 0) + 1;
}

const LM_TRIALS = [
  { lr: 0.003, batch: 32, opt: "adamw" },
  { lr: 0.01, batch: 64, opt: "adamw" },
  { lr: 0.001, batch: 120, opt: "lion" },
  { lr: 0.05, batch: 16, opt: "lion" },
  { lr: 0.0002, batch: 110, opt: "adamw" },
  { lr: 0.02, batch: 48, opt: "adamw" },
  { lr: 0.0008, batch: 96, opt: "lion" },
  { lr: 0.09, batch: 128, opt: "adamw" },
  { lr: 0.004, batch: 24, opt: "adamw" },
] as const;

/** Trial n's rung-0 curve at steps 5 and 10; trials 0..2 are promoted to rung 1 (steps 15 and 30). */
async function runLmTrial(n: number, outcome: "complete" | "promoted" | "running" | FailureReason): Promise<void> {
  const params = LM_TRIALS[n]!;
  const loss = lmLoss(params);
  const metrics = { val_loss: loss, memory_mb: params.batch * 10 };
  for (const [step, scale] of [[5, 1.6], [10, 1.3]] as const) {
    await store.recordProgress({ kind: "progress", study: "dash-lm", trial: n, rung: 0, step, metrics: { val_loss: loss * scale } });
  }
  if (outcome === "running") return;
  if (outcome === "complete") {
    await store.finishTrial({ study: "dash-lm", trial: n, rung: 0, state: "complete", value: loss * 1.3, metrics: { ...metrics, val_loss: loss * 1.3 } });
  } else if (outcome === "promoted") {
    await store.finishTrial({ study: "dash-lm", trial: n, rung: 0, state: "complete", value: loss * 1.3, metrics: { ...metrics, val_loss: loss * 1.3 }, pause: true });
    await store.promoteTrial({ study: "dash-lm", trial: n, rung: 1, fidelity: 30 });
    for (const [step, scale] of [[15, 1.1], [30, 1]] as const) {
      await store.recordProgress({ kind: "progress", study: "dash-lm", trial: n, rung: 1, step, metrics: { val_loss: loss * scale } });
    }
    await store.finishTrial({ study: "dash-lm", trial: n, rung: 1, state: "complete", value: loss, metrics });
  } else {
    await store.finishTrial({ study: "dash-lm", trial: n, rung: 0, state: "failed", reason: outcome, message: "CUDA out of memory" });
  }
}

async function startDashboard(): Promise<string> {
  server = spawn(process.execPath, [cliPath, "dashboard", "--redis", REDIS_URL, "--prefix", prefix, "--port", "0", "--refresh", "300"], { cwd: repositoryRoot });
  let output = "";
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the dashboard did not start: ${output}`)), 20_000);
    server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /bayestune dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    server.once("exit", (code) => reject(new Error(`the dashboard exited with ${code}: ${output}`)));
  });
}

/** The number of points of trace `trace` of the Plotly plot in element `id` (its x values, or a parcoords' first dimension). */
function points(page: Page, id: string, trace = 0): Promise<number> {
  return page.evaluate(
    ([id, trace]) => {
      const data = (document.getElementById(id as string) as unknown as { data?: Array<{ x?: unknown[]; dimensions?: Array<{ values: unknown[] }> }> }).data;
      const t = data?.[trace as number];
      return t === undefined ? -1 : (t.x?.length ?? t.dimensions?.[0]?.values.length ?? -1);
    },
    [id, trace] as const,
  );
}

function traces(page: Page, id: string): Promise<number> {
  return page.evaluate((id) => (document.getElementById(id) as unknown as { data?: unknown[] }).data?.length ?? -1, id);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  store = new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` });
  registry = new Redis(REDIS_URL);
  await store.createStudy(lmConfig);
  for (const params of LM_TRIALS.slice(0, 8)) await createTrial(store, "dash-lm", params, "sampler");
  // 0..2 promoted and complete at rung 1, 3..5 stopped at rung 0, 6 failed (out of memory), 7 running.
  for (const n of [0, 1, 2]) await runLmTrial(n, "promoted");
  for (const n of [3, 4, 5]) await runLmTrial(n, "complete");
  await runLmTrial(6, "out-of-memory");
  await runLmTrial(7, "running");

  await store.createStudy(moConfig);
  // (loss, latency): (1,5), (2,3), (4,1) are the front; (3,4) and (5,5) are dominated.
  for (const [loss, latency] of [[1, 5], [2, 3], [3, 4], [4, 1], [5, 5]] as const) {
    const trial = await createTrial(store, "dash-mo", { x: loss / 10 }, "sampler");
    await store.finishTrial({ study: "dash-mo", trial: trial.number, rung: 0, state: "complete", value: loss, metrics: { loss, latency } });
  }
  await registry.set(workerRegistrationKey(prefix, "gpu-box-1"), JSON.stringify({ slots: 2, busy: 1, host: "gpu-box-1", gpus: ["0", "1"], startedAt: Date.now() }), "PX", 600_000);

  address = await startDashboard();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (server?.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  await registry?.quit();
  await store?.close();
  await cleanUp(prefix);
});

// The polls wait for redraws that a loaded CI machine can slow a lot (a slow plot is redrawn at most every 5x its drawing time).
describe("bayestune dashboard", { timeout: 180_000 }, () => {
  it("draws each of a study's plots with its number of points, and the worker pool", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${address}/studies/dash-lm`);
    // The model needs a poll or two: its GP is fitted off the event loop.
    await expect.poll(() => page.isVisible("#importance-section"), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => points(page, "importance"), { timeout: 30_000 }).toBe(3);

    // Six complete trials: feasible ones (batch ≤ 100) and infeasible ones (2 and 4) on the history.
    expect(await points(page, "history", 0)).toBe(4);
    expect(await points(page, "history", 1)).toBe(2);
    // The best-so-far line starts at the first feasible trial, trial 0.
    expect(await points(page, "history", 2)).toBe(6);
    expect(await points(page, "parallel")).toBe(6);
    // Learning curves: one per trial that reported (all eight, the failed and the running one too), and the three promotions.
    expect(await traces(page, "curves")).toBe(9);
    expect(await points(page, "curves", 8)).toBe(3);
    // The axes follow the space as the config writes it (lr, batch, opt), then the objective.
    expect(await page.evaluate(() => (document.getElementById("parallel") as unknown as { data: Array<{ dimensions: Array<{ label: string }> }> }).data[0]!.dimensions.map((d) => d.label))).toEqual(["log10 lr", "batch", "opt", "val_loss"]);
    // One slice per parameter, in the same order, through the best feasible trial (0: lr 0.003, batch 32):
    // 40 grid points along lr plus the anchor's own lr, which is off the grid; 40 along batch, where 32 is
    // on it; the two choices of opt. The six complete trials over each.
    expect(await page.locator("#slices > div").count()).toBe(3);
    expect([await points(page, "slice-0", 1), await points(page, "slice-1", 1), await points(page, "slice-2", 1)]).toEqual([41, 40, 2]);
    expect(await points(page, "slice-1", 2)).toBe(6);
    // The constraint: the six complete trials, 4 within memory_mb ≤ 1000 and 2 outside; failures by reason.
    expect([await points(page, "constraint-0", 0), await points(page, "constraint-0", 1)]).toEqual([4, 2]);
    expect(await page.evaluate(() => (document.getElementById("failures") as unknown as { data: Array<{ x: string[]; y: number[] }> }).data[0])).toMatchObject({ x: ["out-of-memory"], y: [1] });
    expect(await page.isVisible("#pareto-section")).toBe(false);
    // The trials table: a row per trial; a click on the objective's header sorts by it, the best first.
    expect(await page.locator("#trials tr").count()).toBe(9);
    await page.click('#trials th[data-column="val_loss"]');
    expect(await page.locator("#trials tr:nth-child(2) td:first-child").textContent()).toBe("0");
    // A click on a trial's row shows its params, final metrics and failure, and brings its learning curve forward.
    expect(await page.isVisible("#trial-section")).toBe(false);
    await page.click('#trials tr[data-trial="6"]');
    expect(await page.textContent("#trial-title")).toBe("Trial 6: failed");
    expect(await page.locator("#trial-detail tr").allTextContents()).toEqual(["lr0.00080000", "batch96", "optlion", "rung0", "failureout-of-memory: CUDA out of memory"]);
    await page.click('#trials tr[data-trial="2"]');
    expect(await page.locator("#trial-detail tr").allTextContents()).toContain("memory_mb (final)1200");
    const widths = await page.evaluate(() => (document.getElementById("curves") as unknown as { data: Array<{ name: string; line?: { width?: number }; opacity?: number }> }).data.slice(0, 3));
    expect(widths.map((t) => [t.name, t.line?.width ?? null, t.opacity ?? null])).toEqual([
      ["trial 0", null, 0.3],
      ["trial 1", null, 0.3],
      ["trial 2", 4, null],
    ]);
    // The worker pool: one worker, one slot busy and one idle; Bull Board linked and served.
    expect(await page.evaluate(() => (document.getElementById("workers") as unknown as { data: Array<{ x: number[] }> }).data.map((t) => t.x))).toEqual([[1], [1]]);
    const board = await page.getAttribute('header a[href="/queues"]', "href");
    expect(board).toBe("/queues");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-study.png"), fullPage: true });
    expect(statSync(join(ARTIFACTS, "dashboard-study.png")).size).toBeGreaterThan(50_000);

    // New results arrive: the page follows them without a reload.
    await runLmTrial(7, "complete");
    await createTrial(store, "dash-lm", LM_TRIALS[8], "sampler");
    await runLmTrial(8, "promoted");
    await expect.poll(() => points(page, "parallel"), { timeout: 30_000 }).toBe(8);
    expect((await points(page, "history", 0)) + (await points(page, "history", 1))).toBe(8);
    expect(await page.locator("#trials tr").count()).toBe(10);
    await expect.poll(() => points(page, "slice-1", 2), { timeout: 30_000 }).toBe(8);
    await page.close();
  });

  it("lists the studies, and draws a multi-objective study's Pareto front", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${address}/`);
    await expect.poll(() => page.locator("#studies tr").count(), { timeout: 30_000 }).toBe(3);
    expect(await page.locator("#studies a").allTextContents()).toEqual(["dash-lm", "dash-mo"]);
    await page.click("text=dash-mo");
    await expect.poll(() => page.isVisible("#pareto-section"), { timeout: 30_000 }).toBe(true);
    // Trace 0: the dominated trials; trace 1: the front.
    expect([await points(page, "pareto", 0), await points(page, "pareto", 1)]).toEqual([2, 3]);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-pareto.png"), fullPage: true });
    await page.close();
  });

  it("draws the learning curves of many trials as one trace, and a selected trial's curve over it", async () => {
    await store.createStudy({ ...moConfig, name: "dash-many", objectives: undefined, metric: "loss", direction: "minimize", maxTrials: 100 });
    for (let n = 0; n < 40; n++) {
      await createTrial(store, "dash-many", { x: n / 40 }, "sampler");
      for (const step of [1, 2, 3]) await store.recordProgress({ kind: "progress", study: "dash-many", trial: n, rung: 0, step, metrics: { loss: (n + 1) / step } });
      await store.finishTrial({ study: "dash-many", trial: n, rung: 0, state: "complete", value: (n + 1) / 3 });
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${address}/studies/dash-many`);
    await expect.poll(() => traces(page, "curves"), { timeout: 30_000 }).toBe(2);
    // 40 curves of 3 points, each followed by a gap; then the (empty) promotions.
    expect(await points(page, "curves", 0)).toBe(160);
    await page.click('#trials tr[data-trial="5"]');
    expect(await traces(page, "curves")).toBe(3);
    const chosen = await page.evaluate(() => (document.getElementById("curves") as unknown as { data: Array<{ name: string; y: number[]; line: { width: number } }> }).data[1]!);
    expect([chosen.name, chosen.y, chosen.line.width]).toEqual(["trial 5", [6, 3, 2], 4]);
    await page.close();
  });

  it("writes a report that draws the same plots offline", async () => {
    const output = join(ARTIFACTS, "report.html");
    const { code, stderr } = await bayestune(["export", "dash-lm", "--redis", REDIS_URL, "--prefix", prefix, "--format", "html", "--output", output], 60_000);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    // Nothing may leave the file: every request but the file itself is recorded and refused.
    await page.route("**/*", (route) => {
      if (route.request().url().startsWith("file:")) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    await page.goto(`file://${output}`);
    await expect.poll(() => points(page, "importance"), { timeout: 30_000 }).toBe(3);
    expect(await points(page, "parallel")).toBe(8);
    expect(await page.locator("#trials tr").count()).toBe(10);
    expect(await page.locator("#slices > div").count()).toBe(3);
    expect(requests).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: true });
    await page.close();
  });

  it("refuses a public bind without a token, before it listens", async () => {
    const { code, stdout, stderr } = await bayestune(["dashboard", "--redis", REDIS_URL, "--prefix", prefix, "--host", "0.0.0.0", "--port", "0"], 30_000);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("refusing to serve on 0.0.0.0 without a token");
    // The coordinator's --port too, before its study starts: nothing is written to the store.
    const coordinator = await bayestune(["coordinator", "examples/sgd-regression/study.yaml", "--redis", REDIS_URL, "--prefix", prefix, "--port", "0", "--host", "::"], 30_000);
    expect(coordinator.code).toBe(2);
    expect(coordinator.stderr).toContain("refusing to serve on :: without a token");
    expect(await store.listStudies()).toEqual(["dash-lm", "dash-many", "dash-mo"]);
  });
});

if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
