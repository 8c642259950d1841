/*
 * What serving the dashboard costs the process that serves it, which may be the
 * coordinator (`bayestune coordinator --port`). A study of N trials with learning
 * curves sits in Redis; viewers in a separate process poll its page's data as
 * the browser page does, while a trial finishes every few seconds (so the model
 * behind importance and slices is refitted). Measured in the serving process:
 * its event-loop delay (what every coordinator step would wait), and at the
 * viewers: the response time and size. Four runs in the same session: no
 * dashboard, the dashboard with the model in a worker thread (the default), the
 * same for viewers that take no compression (what compressing costs and saves),
 * and with the model fitted on the event loop (what the thread saves).
 *
 *   npm run bench:dashboard [-- --trials 300 --seconds 20 --viewers 4]
 *
 * The default size writes the section "dashboard" of docs/benchmarks.md; another
 * --trials writes a section of its own (docs/benchmarks.md has one for 2000).
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { serveHttpApi } from "@bayestune/coordinator";
import { Rng } from "@bayestune/core";
import { RedisStore } from "@bayestune/store";
import { replaceSection } from "../doc-sections.js";
import { quantile } from "../stats.js";
import { clearPrefix } from "../../test/support/redis-keys.js";
import { addTrial, machineLine, STUDY, studyConfig } from "./bench-study.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const REDIS_URL = "redis://127.0.0.1:6379";

const { values: flags } = parseArgs({
  options: {
    trials: { type: "string", default: "300" },
    seconds: { type: "string", default: "20" },
    viewers: { type: "string", default: "4" },
    "poll-ms": { type: "string", default: "500" },
    "finish-every-ms": { type: "string", default: "3000" },
  },
});
const TRIALS = Number(flags.trials);
const SECONDS = Number(flags.seconds);
const VIEWERS = Number(flags.viewers);
const POLL_MS = Number(flags["poll-ms"]);
const FINISH_EVERY_MS = Number(flags["finish-every-ms"]);

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

/**
 * The viewers: a child process polling the study's data as the page does, so that their own work is
 * not counted here. Each asks for the encodings a browser accepts ("br, gzip") or none, and counts the
 * bytes on the wire and the page data they decode to.
 */
const VIEWER_SCRIPT = `
const http = require("node:http"); const zlib = require("node:zlib");
const [url, viewers, pollMs, seconds, encoding] = process.argv.slice(1);
const end = Date.now() + Number(seconds) * 1000;
const latencies = []; const sizes = []; const wire = []; let failures = 0;
const get = () => new Promise((resolve, reject) => {
  http.get(url, { headers: encoding === "" ? {} : { "accept-encoding": encoding } }, (res) => {
    const chunks = [];
    res.on("data", (c) => chunks.push(c));
    res.on("error", reject);
    res.on("end", () => {
      const raw = Buffer.concat(chunks); const coding = res.headers["content-encoding"];
      const body = coding === "br" ? zlib.brotliDecompressSync(raw) : coding === "gzip" ? zlib.gunzipSync(raw) : raw;
      if (res.statusCode !== 200) reject(new Error(String(res.statusCode))); else resolve({ wire: raw.length, size: body.length });
    });
  }).on("error", reject);
});
async function viewer() {
  while (Date.now() < end) {
    const started = performance.now();
    try { const r = await get(); latencies.push(performance.now() - started); sizes.push(r.size); wire.push(r.wire); }
    catch { failures++; }
    await new Promise((r) => setTimeout(r, Number(pollMs)));
  }
}
Promise.all(Array.from({ length: Number(viewers) }, viewer)).then(() => console.log(JSON.stringify({ latencies, sizes, wire, failures })));
`;

interface Measurement {
  readonly scenario: string;
  readonly loopP50: number;
  readonly loopP99: number;
  readonly loopMax: number;
  readonly firstReadLoopMax: number;
  readonly requests: number;
  readonly latencyP50: number;
  readonly latencyP95: number;
  readonly latencyP99: number;
  readonly kilobytes: number;
  readonly wireKilobytes: number;
  readonly failures: number;
}

/** A browser's Accept-Encoding, or none at all. */
const BROWSER_ENCODINGS = "br, gzip";

async function measure(scenario: string, store: RedisStore, rng: Rng, dashboard: "none" | "thread" | "in-process", encoding = BROWSER_ENCODINGS): Promise<Measurement> {
  const prefix = process.env["BENCH_PREFIX"]!;
  const api = dashboard === "none" ? undefined : await serveHttpApi({ redis: REDIS_URL, prefix, port: 0, refreshMs: POLL_MS, fitInProcess: dashboard === "in-process" });
  // The first request reads the whole study (later ones read only the trials that can have changed): measured apart.
  let firstReadLoopMax = Number.NaN;
  if (api !== undefined) {
    const first = monitorEventLoopDelay({ resolution: 1 });
    first.enable();
    await (await fetch(`${api.address}/api/dashboard/studies/${STUDY}`)).arrayBuffer();
    first.disable();
    firstReadLoopMax = first.max / 1e6;
  }
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const finisher = setInterval(() => void addTrial(store, rng), FINISH_EVERY_MS);
  let viewed: { latencies: number[]; sizes: number[]; wire: number[]; failures: number } = { latencies: [], sizes: [], wire: [], failures: 0 };
  if (api !== undefined) {
    const child = spawn(process.execPath, ["-e", VIEWER_SCRIPT, `${api.address}/api/dashboard/studies/${STUDY}`, String(VIEWERS), String(POLL_MS), String(SECONDS), encoding]);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => child.once("exit", resolve));
    viewed = JSON.parse(output) as typeof viewed;
  } else {
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  }
  clearInterval(finisher);
  histogram.disable();
  await api?.close();
  const ms = (ns: number): number => ns / 1e6;
  return {
    scenario,
    loopP50: ms(histogram.percentile(50)),
    loopP99: ms(histogram.percentile(99)),
    loopMax: ms(histogram.max),
    firstReadLoopMax,
    requests: viewed.latencies.length,
    latencyP50: viewed.latencies.length > 0 ? quantile(viewed.latencies, 0.5) : Number.NaN,
    latencyP95: viewed.latencies.length > 0 ? quantile(viewed.latencies, 0.95) : Number.NaN,
    latencyP99: viewed.latencies.length > 0 ? quantile(viewed.latencies, 0.99) : Number.NaN,
    kilobytes: viewed.sizes.length > 0 ? Math.max(...viewed.sizes) / 1024 : Number.NaN,
    wireKilobytes: viewed.wire.length > 0 ? Math.max(...viewed.wire) / 1024 : Number.NaN,
    failures: viewed.failures,
  };
}

async function main(): Promise<void> {
  const prefix = `bench-dashboard-${process.pid}`;
  process.env["BENCH_PREFIX"] = prefix;
  const store = new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` });
  const rng = new Rng(7);
  const wallStarted = Date.now();
  try {
    await store.createStudy(studyConfig(TRIALS + 1000));
    log(`writing ${TRIALS} trials with 10 learning-curve points each`);
    for (let i = 0; i < TRIALS; i++) await addTrial(store, rng);
    const runs: Measurement[] = [];
    for (const [scenario, mode, encoding] of [
      ["no dashboard", "none", BROWSER_ENCODINGS],
      ["dashboard, model in a worker thread (default)", "thread", BROWSER_ENCODINGS],
      ["the same, viewers that accept no compression", "thread", ""],
      ["dashboard, model on the event loop", "in-process", BROWSER_ENCODINGS],
    ] as const) {
      log(`${scenario}: ${SECONDS} s`);
      runs.push(await measure(scenario, store, rng, mode, encoding));
    }
    const finalTrials = (await store.getTrials(STUDY)).length;
    const f = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : "–");
    const body = [
      `## Dashboard: what serving it costs the coordinator (${TRIALS} trials)`,
      "",
      "<!-- Written by bench/dashboard/run.ts from a real run; do not edit by hand. -->",
      "",
      `- Command: \`npm run bench:dashboard -- --trials ${TRIALS} --seconds ${SECONDS} --viewers ${VIEWERS}\``,
      `- Date: ${new Date().toISOString()} (wall time ${((Date.now() - wallStarted) / 60_000).toFixed(1)} min); ${machineLine()}`,
      `- A study of ${TRIALS} complete trials (6 parameters, one constraint, 10 learning-curve points each) in Redis, growing by one finished trial every ${FINISH_EVERY_MS / 1000} s (so the model is refitted), ${finalTrials} at the end. The API is served in this process, as \`bayestune coordinator --port\` serves it; ${VIEWERS} viewers in another process poll the study's page data every ${POLL_MS} ms for ${SECONDS} s.`,
      `- Event-loop delay: how late this process's timers ran (perf_hooks, 1 ms resolution): what a coordinator step would wait. Response: at the viewers, per request, decoding included; the viewers accept "${BROWSER_ENCODINGS}" as a browser does, except where the scenario says not. Sizes: the largest response, as page data and as bytes on the wire. The first request after start reads the whole study; every later read takes only the running, paused and new trials (finished ones never change): the first read is measured apart, before the viewers start. The first requests wait for the first model fit (there is no earlier model to serve): that is the p99; later refits serve the previous model meanwhile.`,
      "",
      "| scenario | first read: event-loop delay max (ms) | then: event-loop delay p50 / p99 / max (ms) | requests | response p50 / p95 / p99 (ms) | page data (KiB) | on the wire (KiB) | failed requests |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...runs.map((r) => `| ${r.scenario} | ${f(r.firstReadLoopMax)} | ${f(r.loopP50)} / ${f(r.loopP99)} / ${f(r.loopMax)} | ${r.requests} | ${f(r.latencyP50)} / ${f(r.latencyP95)} / ${f(r.latencyP99)} | ${f(r.kilobytes, 0)} | ${f(r.wireKilobytes, 0)} | ${r.failures} |`),
    ].join("\n");
    const docPath = join(root, "docs/benchmarks.md");
    await writeFile(docPath, replaceSection(await readFile(docPath, "utf8"), TRIALS === 300 ? "dashboard" : `dashboard-${TRIALS}-trials`, body));
    process.stdout.write(`${body}\n`);
  } finally {
    await store.close();
    await clearPrefix(REDIS_URL, prefix);
  }
}

await main();
