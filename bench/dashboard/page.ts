/*
 * What the dashboard's page costs the browser: a study of N trials with
 * learning curves sits in Redis, served as `bayestune coordinator --port` serves
 * it, and headless Chromium (Debian's, driven by playwright-core) opens its page
 * while a trial finishes every few seconds. Measured in the page: the time to
 * the first drawing and to the model's, the long tasks (main-thread work over
 * 50 ms, when the page does not answer) while it refreshes, and the time of
 * each plot's Plotly.react. WebGL is software-rendered here (no GPU), which
 * the parallel-coordinates plot pays for most.
 *
 *   npm run bench:dashboard-page [-- --trials 300,2000 --seconds 20]
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { serveHttpApi } from "@bayestune/coordinator";
import { Rng } from "@bayestune/core";
import { RedisStore } from "@bayestune/store";
import { replaceSection } from "../doc-sections.js";
import { quantile } from "../stats.js";
import { clearPrefix } from "../../test/support/redis-keys.js";
import { addTrial, machineLine, STUDY, studyConfig } from "./bench-study.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const REDIS_URL = "redis://127.0.0.1:6379";
const CHROMIUM = "/usr/bin/chromium";
const REFRESH_MS = 2000;
const FINISH_EVERY_MS = 3000;

const { values: flags } = parseArgs({ options: { trials: { type: "string", default: "300,2000" }, seconds: { type: "string", default: "20" } } });
const SIZES = flags.trials.split(",").map(Number);
const SECONDS = Number(flags.seconds);

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

interface PageMeasurement {
  readonly trials: number;
  readonly firstDrawMs: number;
  readonly modelDrawnMs: number;
  readonly refreshes: number;
  readonly longTasks: readonly number[];
  /** Plot (slices and constraint panels grouped) → the durations of its Plotly.react calls while refreshing. */
  readonly reacts: ReadonlyMap<string, readonly number[]>;
}

/**
 * Installed before the page's own scripts: collects long tasks, and times every Plotly.react once Plotly
 * is there. A string, not a function: tsx would compile a function with helpers the page does not have.
 */
const INSTRUMENT = `
window.longTasks = [];
window.reacts = [];
new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.longTasks.push(entry.duration); })
  .observe({ type: "longtask", buffered: true });
(function wrap() {
  if (window.Plotly === undefined) return void setTimeout(wrap, 5);
  const react = window.Plotly.react.bind(window.Plotly);
  window.Plotly.react = (el, ...rest) => {
    const started = performance.now();
    const result = react(el, ...rest);
    window.reacts.push([el.id, performance.now() - started]);
    return result;
  };
})();
`;

async function measure(trials: number): Promise<PageMeasurement> {
  const prefix = `bench-dashboard-page-${process.pid}-${trials}`;
  const store = new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` });
  const rng = new Rng(11);
  const api = await (async () => {
    await store.createStudy(studyConfig(trials + 1000));
    log(`${trials} trials: writing them`);
    for (let i = 0; i < trials; i++) await addTrial(store, rng);
    return serveHttpApi({ redis: REDIS_URL, prefix, port: 0, refreshMs: REFRESH_MS });
  })();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript({ content: INSTRUMENT });
    const started = Date.now();
    await page.goto(`${api.address}/studies/${STUDY}`);
    const plotted = (id: string) => page.waitForFunction((id) => ((document.getElementById(id) as unknown as { data?: unknown[] } | null)?.data?.length ?? 0) > 0, id, { timeout: 300_000 });
    await plotted("parallel");
    const firstDrawMs = Date.now() - started;
    await plotted("importance");
    const modelDrawnMs = Date.now() - started;
    const [tasksBefore, reactsBefore, updatesBefore] = await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[]; reacts: unknown[] };
      return [w.longTasks.length, w.reacts.length, Number(document.getElementById("updated")?.dataset["updates"] ?? 0)];
    });
    log(`${trials} trials: ${SECONDS} s of refreshes`);
    const finisher = setInterval(() => void addTrial(store, rng), FINISH_EVERY_MS);
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    clearInterval(finisher);
    const after = await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[]; reacts: Array<[string, number]> };
      return { longTasks: w.longTasks, reacts: w.reacts, updates: Number(document.getElementById("updated")?.dataset["updates"] ?? 0) };
    });
    const reacts = new Map<string, number[]>();
    for (const [id, ms] of after.reacts.slice(reactsBefore)) {
      const plot = id.replace(/^(slice|constraint)-\d+$/, "$1s");
      reacts.set(plot, [...(reacts.get(plot) ?? []), ms]);
    }
    return { trials, firstDrawMs, modelDrawnMs, refreshes: after.updates - updatesBefore, longTasks: after.longTasks.slice(tasksBefore), reacts };
  } finally {
    await browser.close();
    await api.close();
    await store.close();
    await clearPrefix(REDIS_URL, prefix);
  }
}

async function main(): Promise<void> {
  const wallStarted = Date.now();
  const runs: PageMeasurement[] = [];
  for (const trials of SIZES) runs.push(await measure(trials));
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : "–");
  const plots = [...new Set(runs.flatMap((r) => [...r.reacts.keys()]))];
  const body = [
    "## Dashboard: what the page costs the browser",
    "",
    "<!-- Written by bench/dashboard/page.ts from a real run; do not edit by hand. -->",
    "",
    `- Command: \`npm run bench:dashboard-page -- --trials ${SIZES.join(",")} --seconds ${SECONDS}\``,
    `- Date: ${new Date().toISOString()} (wall time ${((Date.now() - wallStarted) / 60_000).toFixed(1)} min); ${machineLine()}, headless Debian Chromium with software WebGL (no GPU)`,
    `- A study of N complete trials (6 parameters, one constraint, 10 learning-curve points each) in Redis, served as \`bayestune coordinator --port\` serves it (refresh ${REFRESH_MS} ms), growing by one finished trial every ${FINISH_EVERY_MS / 1000} s while the page refreshes for ${SECONDS} s.`,
    "- First drawing: from navigation to the parallel coordinates drawn; model: to the importance drawn. Long tasks: main-thread work of over 50 ms (the page does not answer meanwhile), during the refreshes. Draw times: each plot's Plotly.react while refreshing, median / max over its calls (a plot whose data did not change is not redrawn, and not counted).",
    "",
    "| trials | first drawing (ms) | model drawn (ms) | refreshes | long tasks | long tasks max / total (ms) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...runs.map((r) => `| ${r.trials} | ${f(r.firstDrawMs)} | ${f(r.modelDrawnMs)} | ${r.refreshes} | ${r.longTasks.length} | ${f(Math.max(0, ...r.longTasks))} / ${f(r.longTasks.reduce((a, b) => a + b, 0))} |`),
    "",
    `| plot | ${SIZES.map((n) => `${n} trials: draws, median / max (ms)`).join(" | ")} |`,
    `| --- | ${SIZES.map(() => "---:").join(" | ")} |`,
    ...plots.map((plot) => `| ${plot} | ${runs.map((r) => { const t = r.reacts.get(plot) ?? []; return t.length === 0 ? "–" : `${t.length}, ${f(quantile(t, 0.5))} / ${f(Math.max(...t))}`; }).join(" | ")} |`),
  ].join("\n");
  const docPath = join(root, "docs/benchmarks.md");
  await writeFile(docPath, replaceSection(await readFile(docPath, "utf8"), "dashboard-page", body));
  process.stdout.write(`${body}\n`);
}

await main();
