#!/usr/bin/env node
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { InvalidOptionsError } from "./errors.js";
import { startWorker, type StartWorkerOptions } from "./worker-process.js";

const USAGE =
  "usage: node apps/worker/dist/main.js --redis URL [--gpus 0,1 | --slots N] [--work-dir DIR] [--prefix P] [--id ID] [--lock-duration-ms MS]";

/** Exits 2 with one line: a bad flag is the operator's to fix, not something to retry. */
function usageError(message: string): never {
  process.stderr.write(`bayestune worker: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseOptions(argv: string[]): StartWorkerOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        redis: { type: "string" },
        gpus: { type: "string" },
        slots: { type: "string" },
        "work-dir": { type: "string" },
        prefix: { type: "string" },
        id: { type: "string" },
        "lock-duration-ms": { type: "string" },
      },
    }));
  } catch (error) {
    usageError(error instanceof Error ? error.message : String(error));
  }
  if (values.redis === undefined) usageError("--redis URL must be given, got nothing");
  const integer = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text)) usageError(`--${flag} must be an integer, got ${JSON.stringify(text)}`);
    return Number(text);
  };
  const slots = integer("slots", values.slots);
  const lockDurationMs = integer("lock-duration-ms", values["lock-duration-ms"]);
  return {
    redis: values.redis,
    workDir: values["work-dir"] ?? join(tmpdir(), "bayestune-worker"),
    ...(values.gpus === undefined ? {} : { gpus: values.gpus.split(",").map((gpu) => gpu.trim()) }),
    ...(slots === undefined ? {} : { slots }),
    ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
    ...(values.id === undefined ? {} : { id: values.id }),
    ...(lockDurationMs === undefined ? {} : { lockDurationMs }),
  };
}

const logger = pino();
const options = parseOptions(process.argv.slice(2));
let worker: Awaited<ReturnType<typeof startWorker>>;
try {
  worker = await startWorker({ ...options, logger });
} catch (error) {
  if (error instanceof InvalidOptionsError) usageError(error.message);
  throw error;
}

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "stopping");
  worker.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, "close failed");
      process.exit(1);
    },
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
