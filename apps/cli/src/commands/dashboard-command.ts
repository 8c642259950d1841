import { createHttpApi, serveHttpApi } from "@bayestune/coordinator";
import { checkBind } from "@bayestune/dashboard";
import { integerFlag } from "../integer-flag.js";
import { DEFAULT_PREFIX, openStore, openStoreOf } from "../open-store.js";

export interface DashboardCommandOptions {
  redis?: string;
  store?: string;
  prefix?: string;
  host: string;
  port: string;
  token?: string;
  refresh: string;
}

/** Where the token comes from when --token is not given: a flag would show in `ps`. */
export const TOKEN_ENV = "BAYESTUNE_DASHBOARD_TOKEN";

/**
 * `bayestune dashboard [--redis URL | --store FILE]`: the live study dashboard
 * and the read-only API, without a coordinator; with Redis, Bull Board too; else
 * the studies `bayestune tune` keeps in its local store file. Bound to 127.0.0.1
 * unless --host says otherwise; a public host needs a token. Runs until SIGINT or SIGTERM.
 */
export async function dashboardCommand(options: DashboardCommandOptions): Promise<void> {
  const port = integerFlag("--port", options.port, 0, 65535);
  const refreshMs = integerFlag("--refresh", options.refresh, 200);
  const token = options.token ?? process.env[TOKEN_ENV];
  const api = options.redis === undefined ? await serveLocalStore(options, port, token, refreshMs) : await serveRedis(options.redis, options, port, token, refreshMs);
  console.log(`bayestune dashboard: ${api.address}/ (read-only${options.redis === undefined ? "" : `; Bull Board at ${api.address}/queues`}, the API at ${api.address}/api/studies)`);
  if (token !== undefined) {
    console.log(`every request needs the token: open ${api.address}/?token=<token>, or send "Authorization: Bearer <token>"`);
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await api.close();
}

type Served = { address: string; close(): Promise<void> };

async function serveRedis(redis: string, options: DashboardCommandOptions, port: number, token: string | undefined, refreshMs: number): Promise<Served> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  // Fails at once, with the cause, when Redis is not there; later outages only show on the page.
  await (await openStore(redis, prefix)).close();
  return serveHttpApi({ redis, prefix, host: options.host, port, token, refreshMs });
}

/** The studies of a local store file: no queues and no worker pool (its trials ran in `tune`'s own slots). */
async function serveLocalStore(options: DashboardCommandOptions, port: number, token: string | undefined, refreshMs: number): Promise<Served> {
  checkBind(options.host, token);
  const opened = await openStoreOf(options);
  const app = await createHttpApi({ store: opened.store, token, dashboard: { readWorkers: async () => ({ workers: [], slots: 0, busy: 0 }), refreshMs } });
  const address = await app.listen({ host: options.host, port });
  return {
    address,
    async close() {
      await app.close();
      await opened.close();
    },
  };
}
