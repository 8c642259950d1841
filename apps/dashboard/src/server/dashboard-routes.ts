import { createReadStream } from "node:fs";
import negotiate from "@fastify/accept-negotiator";
import type { FastifyInstance } from "fastify";
import { countTrialStates, type Store, type WorkerPool } from "@bayestune/store";
import { optimizationHistory } from "../plot-data/history.js";
import { escapeHtml, page, plotlyBundlePath, STUDY_SECTIONS, studyPageScriptPath } from "../page/page-shell.js";
import { createModelRunner, type ModelRunner } from "./model-runner.js";
import { PAGE_ENCODINGS, readTrials, StudyPageCache, type KnownTrials } from "./study-page-cache.js";
import { throttled } from "./throttle.js";

export interface DashboardOptions {
  /** Read only. */
  readonly store: Pick<Store, "listStudies" | "getStudy" | "getTrial" | "getTrials">;
  /** The registered workers and their busy slots. */
  readonly readWorkers: () => Promise<WorkerPool>;
  /** Where the same server shows Bull Board, for the header's link. */
  readonly bullBoardPath?: string;
  /** How often the page polls, and the least time between two store reads of one study. @defaultValue 2000 */
  readonly refreshMs?: number;
  /** Fit the model on the event loop instead of in a worker thread: only to measure what the thread saves. @defaultValue false */
  readonly fitInProcess?: boolean;
  /** A model runner the server shares with other routes (its owner closes it); without one the dashboard starts and closes its own. */
  readonly models?: ModelRunner;
}

/**
 * The live dashboard's routes on an existing server: the studies at `/`, one
 * study's views at `/studies/:name`, the page's two scripts under `/assets/`,
 * and the JSON they poll under `/api/dashboard/`. All are GET; the pages poll
 * every `refreshMs` and redraw in place.
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const refreshMs = options.refreshMs ?? 2000;
  const models = options.models ?? createModelRunner({ inProcess: options.fitInProcess === true });
  if (options.models === undefined) app.addHook("onClose", () => models.close());
  const cache = new StudyPageCache(options.store, models, refreshMs);

  const header = (title: string) =>
    `<header><strong><a href="/">bayestune</a></strong><span>${escapeHtml(title)}</span>${options.bullBoardPath !== undefined ? `<a href="${escapeHtml(options.bullBoardPath)}">queues (Bull Board)</a>` : ""}<span id="updated" class="updated">loading</span></header>`;
  const scripts = `<script src="/assets/plotly.min.js"></script>\n<script type="module" src="/assets/study-page.js"></script>`;
  const refresh = `data-mode="dashboard" data-refresh="${refreshMs}"`;

  app.get("/", async (_request, reply) => {
    const body = `${header("studies")}
<h1>Studies</h1><table id="studies"></table>
<section id="workers-section"><h2>Workers</h2><p id="workers-summary"></p><div id="workers" class="plot" style="height:auto"></div></section>`;
    return reply.type("text/html; charset=utf-8").send(page("bayestune dashboard", scripts, refresh, body));
  });

  app.get<{ Params: { name: string } }>("/studies/:name", async (request, reply) => {
    const { name } = request.params;
    const body = `${header(name)}
${STUDY_SECTIONS}
<section id="workers-section"><h2>Workers</h2><p id="workers-summary"></p><div id="workers" class="plot" style="height:auto"></div></section>`;
    return reply.type("text/html; charset=utf-8").send(page(`bayestune: ${name}`, scripts, `${refresh} data-study="${escapeHtml(name)}"`, body));
  });

  app.get("/assets/plotly.min.js", async (_request, reply) =>
    reply.type("text/javascript; charset=utf-8").header("cache-control", "max-age=3600").send(createReadStream(plotlyBundlePath())),
  );
  app.get("/assets/study-page.js", async (_request, reply) => reply.type("text/javascript; charset=utf-8").send(createReadStream(studyPageScriptPath())));

  const knownTrials = new Map<string, KnownTrials>();
  const listStudies = throttled(async () => {
    const names = await options.store.listStudies();
    const studies = [];
    for (const name of names) {
      const study = await options.store.getStudy(name);
      if (study === undefined) continue;
      const trials = await readTrials(options.store, study, knownTrials.get(name));
      knownTrials.set(name, { createdAt: study.createdAt, trials });
      const best = optimizationHistory(trials, study.config).at(-1)?.bestSoFar;
      studies.push({ name, metric: study.config.metric, direction: study.config.direction, counts: countTrialStates(trials), best: best ?? null });
    }
    return { studies };
  }, refreshMs);
  const readWorkers = throttled(options.readWorkers, refreshMs);

  app.get("/api/dashboard/studies", () => listStudies());

  app.get<{ Params: { name: string } }>("/api/dashboard/studies/:name", async (request, reply) => {
    const page = await cache.get(request.params.name);
    if (page === undefined) return reply.code(404).send({ error: `no study named ${request.params.name}` });
    // Unchanged since the page's last poll: no body (the browser's cache hands the page its copy).
    if (request.headers["if-none-match"] === page.etag) return reply.code(304).header("etag", page.etag).send();
    reply.header("etag", page.etag).header("cache-control", "no-cache").header("vary", "accept-encoding").type("application/json; charset=utf-8");
    // Every page polling this study gets the one compression of this read, not a compression of its own.
    const encoding = negotiate(request.headers["accept-encoding"] ?? "", PAGE_ENCODINGS);
    if (encoding !== null) return reply.header("content-encoding", encoding).send(await page.encoded(encoding));
    return reply.send(page.json);
  });

  app.get("/api/dashboard/workers", () => readWorkers());
}
