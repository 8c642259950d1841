import { serveHttpApi } from "@bayestune/coordinator";
import { integerFlag } from "../integer-flag.js";
import { DEFAULT_PREFIX, openStore } from "../open-store.js";

export interface DashboardCommandOptions {
  redis: string;
  prefix?: string;
  host: string;
  port: string;
  token?: string;
  refresh: string;
}

/** Where the token comes from when --token is not given: a flag would show in `ps`. */
export const TOKEN_ENV = "BAYESTUNE_DASHBOARD_TOKEN";

/**
 * `bayestune dashboard --redis URL`: the live study dashboard, the read-only API
 * and Bull Board, without a coordinator. Bound to 127.0.0.1 unless --host says
 * otherwise; a public host needs a token. Runs until SIGINT or SIGTERM.
 */
export async function dashboardCommand(options: DashboardCommandOptions): Promise<void> {
  const port = integerFlag("--port", options.port, 0, 65535);
  const refreshMs = integerFlag("--refresh", options.refresh, 200);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const token = options.token ?? process.env[TOKEN_ENV];
  // Fails at once, with the cause, when Redis is not there; later outages only show on the page.
  await (await openStore(options.redis, prefix)).close();
  const api = await serveHttpApi({ redis: options.redis, prefix, host: options.host, port, token, refreshMs });
  console.log(`bayestune dashboard: ${api.address}/ (read-only; Bull Board at ${api.address}/queues, the API at ${api.address}/api/studies)`);
  if (token !== undefined) {
    console.log(`every request needs the token: open ${api.address}/?token=<token>, or send "Authorization: Bearer <token>"`);
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await api.close();
}
