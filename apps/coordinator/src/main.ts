#!/usr/bin/env node
/*
 * bayestune-coordinator --redis URL --config study.yaml [--prefix P] [--port N] [--queue-ahead N]
 * Runs one study to its end, prints a one-line JSON summary and exits 0; exits 2
 * on a bad config or bad flags; SIGTERM/SIGINT close it and exit 0.
 */
import { parseArgs } from "node:util";
import { startCoordinator } from "./coordinator.js";
import { serveHttpApi } from "./serve-http-api.js";
import { ConfigError } from "./config-error.js";
import { loadStudyConfig } from "./load-config.js";

async function main(): Promise<number> {
  let values: { redis?: string; config?: string; prefix?: string; port?: string; "queue-ahead"?: string };
  try {
    ({ values } = parseArgs({
      options: {
        redis: { type: "string" },
        config: { type: "string" },
        prefix: { type: "string" },
        port: { type: "string" },
        "queue-ahead": { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (values.redis === undefined || values.config === undefined) {
    process.stderr.write("usage: bayestune-coordinator --redis URL --config study.json|yaml [--prefix P] [--port N] [--queue-ahead N]\n");
    return 2;
  }
  const queueAheadText = values["queue-ahead"];
  const queueAhead = queueAheadText === undefined ? undefined : /^\d+$/.test(queueAheadText) ? Number(queueAheadText) : Number.NaN;
  if (queueAhead !== undefined && !Number.isSafeInteger(queueAhead)) {
    process.stderr.write(`--queue-ahead must be a non-negative integer, got ${queueAheadText}\n`);
    return 2;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    process.stderr.write(`--port must be an integer in [0, 65535], got ${values.port}\n`);
    return 2;
  }
  let config;
  try {
    config = await loadStudyConfig(values.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const coordinator = await startCoordinator({
    redis: values.redis,
    config,
    ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
    ...(queueAhead !== undefined ? { queueAhead } : {}),
  });
  const api = port === undefined ? undefined : await serveHttpApi({ redis: values.redis, prefix: values.prefix ?? "bull", port });
  if (api) process.stderr.write(`bayestune coordinator API on ${api.address}/api/studies, Bull Board on ${api.address}/queues\n`);
  const closeAll = async (): Promise<void> => {
    await api?.close();
    await coordinator.close();
  };
  const stop = (): void => {
    void closeAll().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  const outcome = await coordinator.done;
  await closeAll();
  process.stdout.write(
    `${JSON.stringify({ study: config.name, finished: outcome.finished, failed: outcome.failed, best: outcome.best ? { number: outcome.best.number, value: outcome.best.value, params: outcome.best.params } : null })}\n`,
  );
  return 0;
}


main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
