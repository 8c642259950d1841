import { resolve } from "node:path";
import { InvalidOptionsError, startWorker } from "@bayestune/worker";
import { ConfigError } from "@bayestune/coordinator";
import { integerFlag } from "../integer-flag.js";
import { checkRedisReachable, DEFAULT_PREFIX } from "../open-store.js";
import { readSharedSecret } from "../shared-secret.js";

export interface WorkerCommandOptions {
  redis: string;
  gpus?: string;
  slots?: string;
  workDir: string;
  prefix?: string;
  id?: string;
  lockDuration?: string;
  secretFile?: string;
  checkpointDir?: string;
  progressInterval?: string;
  stopGrace?: string;
}

/** `bayestune worker`: pulls trial jobs from Redis and runs them until SIGINT/SIGTERM. */
export async function workerCommand(options: WorkerCommandOptions): Promise<void> {
  if (options.gpus !== undefined && options.slots !== undefined) {
    throw new ConfigError(`--gpus and --slots exclude each other (one slot per GPU), got --gpus ${options.gpus} --slots ${options.slots}`);
  }
  const gpus = options.gpus?.split(",").map((gpu) => gpu.trim());
  if (gpus !== undefined && gpus.some((gpu) => gpu === "")) throw new ConfigError(`--gpus must be a comma-separated list of GPU ids, got ${JSON.stringify(options.gpus)}`);
  const slots = options.slots === undefined ? undefined : integerFlag("--slots", options.slots, 1);
  const lockDurationMs = options.lockDuration === undefined ? undefined : integerFlag("--lock-duration", options.lockDuration, 500);
  const progressIntervalMs = options.progressInterval === undefined ? undefined : integerFlag("--progress-interval", options.progressInterval, 0);
  const stopGraceMs = options.stopGrace === undefined ? undefined : integerFlag("--stop-grace", options.stopGrace, 0) * 1000;
  const secret = await readSharedSecret("worker", options.secretFile);
  await checkRedisReachable(options.redis);
  let worker;
  try {
    worker = await startWorker({
      redis: options.redis,
      prefix: options.prefix ?? DEFAULT_PREFIX,
      workDir: resolve(options.workDir),
      secret,
      ...(options.id !== undefined ? { id: options.id } : {}),
      ...(lockDurationMs !== undefined ? { lockDurationMs } : {}),
      ...(progressIntervalMs !== undefined ? { progressIntervalMs } : {}),
      ...(stopGraceMs !== undefined ? { stopGraceMs } : {}),
      ...(options.checkpointDir !== undefined ? { checkpointDir: resolve(options.checkpointDir) } : {}),
      ...(gpus !== undefined ? { gpus } : {}),
      ...(slots !== undefined ? { slots } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidOptionsError) throw new ConfigError(error.detail, { cause: error });
    throw error;
  }
  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    const onSignal = (received: NodeJS.Signals): void => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolveSignal(received);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  console.error(`bayestune worker ${worker.id}: ${signal}, requeueing running trials and closing`);
  await worker.close();
}
