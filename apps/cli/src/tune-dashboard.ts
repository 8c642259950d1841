import { hostname } from "node:os";
import { createHttpApi } from "@bayestune/coordinator";
import { checkBind } from "@bayestune/dashboard";
import type { StudyConfig } from "@bayestune/protocol";
import type { Store, WorkerPool } from "@bayestune/store";

export interface TuneDashboardOptions {
  port: number;
  host: string;
  token: string | undefined;
  /** How often the pages poll. */
  refreshMs: number;
  /** The local slots, shown as one worker. */
  slots: number;
  gpus: readonly string[];
}

/**
 * The dashboard of an embedded `tune`, served from the store that the run
 * records its study in: the same pages and API as the coordinator's, without
 * Bull Board (there are no queues). It lives as long as the run.
 * @throws DashboardAccessError for a public host without a token, before listening.
 */
export async function serveTuneDashboard(config: StudyConfig, store: Store, options: TuneDashboardOptions): Promise<{ address: string; close(): Promise<void> }> {
  checkBind(options.host, options.token);
  const startedAt = Date.now();
  const readWorkers = async (): Promise<WorkerPool> => {
    const trials = (await store.getStudy(config.name)) === undefined ? [] : await store.getTrials(config.name);
    const busy = trials.filter((t) => t.state === "running").length;
    const local = { id: "tune", slots: options.slots, busy, host: hostname(), gpus: [...options.gpus], startedAt };
    return { workers: [local], slots: options.slots, busy };
  };
  const app = await createHttpApi({ store, token: options.token, dashboard: { readWorkers, refreshMs: options.refreshMs } });
  const address = await app.listen({ host: options.host, port: options.port });
  return { address, close: () => app.close() };
}
