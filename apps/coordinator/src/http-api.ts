import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { Queue } from "bullmq";
import { fastify, type FastifyInstance } from "fastify";
import { countTrialStates, type Store } from "@bayestune/store";

export interface HttpApiOptions {
  /** Read only: the API never writes a study. */
  store: Store;
  /** Shown by Bull Board at `/queues`. */
  queues: readonly Queue[];
}

/**
 * A read-only view of the studies (`/api/studies`, `/api/studies/:name`,
 * `/api/studies/:name/trials`) and Bull Board at `/queues`. The caller listens
 * (on 127.0.0.1: there is no authentication) and closes it.
 */
export async function createHttpApi(options: HttpApiOptions): Promise<FastifyInstance> {
  const { store } = options;
  const app = fastify({ logger: false });

  app.get("/api/studies", async () => ({ studies: await store.listStudies() }));

  app.get<{ Params: { name: string } }>("/api/studies/:name", async (request, reply) => {
    const study = await store.getStudy(request.params.name);
    if (study === undefined) return reply.code(404).send({ error: `no study named ${request.params.name}` });
    const counts = countTrialStates(await store.getTrials(study.name));
    return { name: study.name, config: study.config, createdAt: study.createdAt, counts };
  });

  app.get<{ Params: { name: string } }>("/api/studies/:name/trials", async (request, reply) => {
    if ((await store.getStudy(request.params.name)) === undefined) {
      return reply.code(404).send({ error: `no study named ${request.params.name}` });
    }
    return { trials: await store.getTrials(request.params.name) };
  });

  const board = new FastifyAdapter();
  board.setBasePath("/queues");
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter: board,
  });
  await app.register(board.registerPlugin(), { prefix: "/queues" });
  return app;
}
