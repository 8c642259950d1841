import { createBullBoard } from "@bull-board/api";
import compress from "@fastify/compress";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { Queue } from "bullmq";
import { fastify, type FastifyInstance } from "fastify";
import type { Params } from "@bayestune/core";
import { createModelRunner, guardAccess, registerDashboard, type DashboardOptions } from "@bayestune/dashboard";
import { redactCommandEnv } from "@bayestune/protocol";
import { countTrialStates, type Store } from "@bayestune/store";

export interface HttpApiOptions {
  /** Read only: the API never writes a study. */
  store: Store;
  /** Shown by Bull Board at `/queues`; without queues (an embedded `tune`), no Bull Board. */
  queues?: readonly Queue[] | undefined;
  /** Required on every request when set (see guardAccess); the caller decides where a token is needed (checkBind). */
  token?: string | undefined;
  /** The live dashboard at `/`, beside the API and Bull Board. */
  dashboard?: Omit<DashboardOptions, "store" | "bullBoardPath"> | undefined;
}

/**
 * A read-only view of the studies (`/api/studies`, `/api/studies/:name`,
 * `/api/studies/:name/trials`, `/api/studies/:name/predictions`), Bull Board at
 * `/queues`, and optionally the dashboard at `/`. Every route is GET (anything
 * else is 405), and with a token every request must carry it. The values of a
 * command's environment (API keys, tokens) never leave: a config and a job's
 * data show their keys only. The caller listens and closes it.
 */
export async function createHttpApi(options: HttpApiOptions): Promise<FastifyInstance> {
  const { store } = options;
  const app = fastify({ logger: false });
  // Plotly (4.6 MB), Bull Board and the API compressed for a client that asks, always in zlib's thread pool
  // (syncThreshold 0), never on the coordinator's event loop. The dashboard's polled data comes compressed from
  // its cache, once per read however many pages poll it.
  await app.register(compress, { global: true, syncThreshold: 0 });
  await guardAccess(app, options.token);
  // A read that fails (Redis away) is the server's state, not a bug: 503 with the cause, and the page retries.
  app.setErrorHandler(async (error: Error & { statusCode?: number }, _request, reply) => {
    const status = typeof error.statusCode === "number" && error.statusCode < 500 ? error.statusCode : 503;
    return reply.code(status).send({ error: status === 503 ? `cannot answer now: ${error.message}` : error.message });
  });
  // Every GP fit (the dashboard's model, the predictions) runs in one worker thread, off the coordinator's event loop.
  const models = createModelRunner({ inProcess: options.dashboard?.fitInProcess === true });
  app.addHook("onClose", () => models.close());
  const queues = options.queues ?? [];
  if (options.dashboard !== undefined) {
    await registerDashboard(app, { ...options.dashboard, store, models, ...(queues.length > 0 ? { bullBoardPath: "/queues" } : {}) });
  }

  app.get("/api/studies", async () => ({ studies: await store.listStudies() }));

  app.get<{ Params: { name: string } }>("/api/studies/:name", async (request, reply) => {
    const study = await store.getStudy(request.params.name);
    if (study === undefined) return reply.code(404).send({ error: `no study named ${request.params.name}` });
    const counts = countTrialStates(await store.getTrials(study.name));
    return { name: study.name, config: redactCommandEnv(study.config), createdAt: study.createdAt, counts };
  });

  app.get<{ Params: { name: string } }>("/api/studies/:name/trials", async (request, reply) => {
    if ((await store.getStudy(request.params.name)) === undefined) {
      return reply.code(404).send({ error: `no study named ${request.params.name}` });
    }
    return { trials: await store.getTrials(request.params.name) };
  });

  /**
   * The model's predictions (objective, constraint metrics with their probability
   * of holding, P(no failure)) for every trial, or with `?params=<JSON object>` for
   * one candidate configuration: how sure the model is, where.
   */
  app.get<{ Params: { name: string }; Querystring: { params?: string } }>("/api/studies/:name/predictions", async (request, reply) => {
    const stored = await store.getStudy(request.params.name);
    if (stored === undefined) return reply.code(404).send({ error: `no study named ${request.params.name}` });
    let candidate: Params | undefined;
    if (request.query.params !== undefined) {
      try {
        candidate = JSON.parse(request.query.params) as Params;
      } catch (error) {
        return reply.code(400).send({ error: `params must be a JSON object: ${(error as Error).message}` });
      }
    }
    const answer = await models.predictions(stored.config, await store.getTrials(stored.name), candidate);
    // Too few complete trials for a model, or params outside the space: the request's problem, said plainly.
    return answer.ok ? answer.body : reply.code(400).send({ error: answer.error });
  });

  if (queues.length > 0) {
    const board = new FastifyAdapter();
    board.setBasePath("/queues");
    const adapters = queues.map((queue) => {
      const adapter = new BullMQAdapter(queue, { readOnlyMode: true });
      // A trial job carries the study's command, env included.
      adapter.setFormatter("data", redactCommandEnv);
      return adapter;
    });
    createBullBoard({ queues: adapters, serverAdapter: board });
    await app.register(board.registerPlugin(), { prefix: "/queues" });
  }
  return app;
}
