import { pino } from "pino";
import { checkBind } from "@bayestune/dashboard";
import { ConfigError, loadStudyConfig, serveHttpApi, startCoordinator, type CoordinatorOutcome } from "@bayestune/coordinator";
import { StoreError } from "@bayestune/store";
import { integerFlag } from "../integer-flag.js";
import { TOKEN_ENV } from "./dashboard-command.js";
import { checkRedisReachable, DEFAULT_PREFIX } from "../open-store.js";
import { printBestTrials, rankedTrial } from "../print-front.js";
import { readSharedSecret } from "../shared-secret.js";

export interface CoordinatorCommandOptions {
  redis: string;
  prefix?: string;
  port?: string;
  host: string;
  token?: string;
  queueAhead?: string;
  secretFile?: string;
  lease?: string;
}

/**
 * `bayestune coordinator CONFIG`: runs the study to its end over Redis, with the
 * dashboard, the HTTP API and Bull Board on `--host` (127.0.0.1) when `--port` is given; SIGINT/SIGTERM
 * stop it (running trials keep running and a restart picks them up).
 */
export async function coordinatorCommand(configFile: string, options: CoordinatorCommandOptions): Promise<void> {
  const port = options.port === undefined ? undefined : integerFlag("--port", options.port, 0, 65535);
  const queueAhead = options.queueAhead === undefined ? undefined : integerFlag("--queue-ahead", options.queueAhead, 0);
  const leaseMs = options.lease === undefined ? undefined : integerFlag("--lease", options.lease, 300);
  const token = options.token ?? process.env[TOKEN_ENV];
  // Refused before the study starts, not after.
  if (port !== undefined) checkBind(options.host, token);
  const config = await loadStudyConfig(configFile);
  const secret = await readSharedSecret("coordinator", options.secretFile);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  await checkRedisReachable(options.redis);
  // The log goes to stderr so that stdout holds the summary alone.
  const coordinator = await startCoordinator({
    redis: options.redis,
    prefix,
    config,
    secret,
    logger: pino(pino.destination(2)),
    ...(queueAhead !== undefined ? { queueAhead } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
  }).catch((error: unknown) => {
    // A config changed under a study's name is the user's to fix: the stored config, or a new name.
    if (error instanceof StoreError && error.code === "STUDY_EXISTS") throw new ConfigError(error.message, { cause: error });
    throw error;
  });
  let api: Awaited<ReturnType<typeof serveHttpApi>> | undefined;
  let onSignal = (): void => {};
  const interrupted = new Promise<undefined>((resolve) => {
    onSignal = () => resolve(undefined);
  });
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let outcome: CoordinatorOutcome | undefined;
  try {
    if (port !== undefined) api = await serveHttpApi({ redis: options.redis, prefix, port, host: options.host, token });
    if (api !== undefined) console.error(`bayestune coordinator: dashboard on ${api.address}/, API on ${api.address}/api/studies, Bull Board on ${api.address}/queues`);
    outcome = await Promise.race([coordinator.done, interrupted]);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await api?.close();
    await coordinator.close();
  }
  if (outcome === undefined) {
    console.log(`${config.name}: interrupted; running trials keep running, and \`bayestune coordinator\` with the same config resumes the study`);
    return;
  }
  console.log(`${config.name}: ${outcome.finished} trials finished, ${outcome.failed} failed`);
  const front = outcome.front.map((t) => rankedTrial(config, t));
  printBestTrials(config, front, "no feasible trial completed");
}
