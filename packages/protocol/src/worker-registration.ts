import { z } from "zod";

/**
 * What a live worker keeps under {@link workerRegistrationKey}, with a TTL it refreshes:
 * its slots and how many of them run a job now, for the coordinator (free capacity) and
 * for a dashboard (each worker's busy and idle slots).
 *
 * Unknown keys are dropped, not refused, so that a reader of this version still counts a
 * worker of a later one.
 */
export const WorkerRegistration = z.object({
  /** Jobs the worker runs at once. */
  slots: z.number().int().positive(),
  /** Jobs it runs now. */
  busy: z.number().int().nonnegative(),
  host: z.string(),
  /** One entry per slot (each a slot's CUDA_VISIBLE_DEVICES), empty for CPU slots. */
  gpus: z.array(z.string()),
  /** When the worker started, epoch ms. */
  startedAt: z.number().int().nonnegative(),
});
export type WorkerRegistration = z.infer<typeof WorkerRegistration>;

/**
 * A registration written by a worker of the previous version, whose value was its slot
 * count alone: everything but `slots` is unknown, hence null (null rather than absent, so
 * that it survives JSON on the way to a dashboard).
 */
export interface LegacyWorkerRegistration {
  slots: number;
  busy: null;
  host: null;
  gpus: null;
  startedAt: null;
}

/** The key of worker `id`'s registration. */
export function workerRegistrationKey(prefix: string, id: string): string {
  return `${workerKeyStem(prefix)}${id}`;
}

/** The SCAN MATCH pattern of every worker registration under `prefix` (glob characters in `prefix` escaped). */
export function workerKeyPattern(prefix: string): string {
  return `${workerKeyStem(prefix).replace(/[*?[\]\\]/g, "\\$&")}*`;
}

/** The worker ID in a registration key, or undefined when `key` is not one under `prefix`. */
export function workerIdFromKey(prefix: string, key: string): string | undefined {
  const stem = workerKeyStem(prefix);
  return key.startsWith(stem) && key.length > stem.length ? key.slice(stem.length) : undefined;
}

function workerKeyStem(prefix: string): string {
  return `${prefix}:bayestune:worker:`;
}

/**
 * Reads a registration value as stored in Redis: the JSON of a {@link WorkerRegistration},
 * or a previous-version worker's plain slot count (an integer >= 1). Never throws: anything
 * else (null for a key that expired between SCAN and GET, junk) is undefined.
 */
export function parseWorkerRegistration(value: string | null | undefined): WorkerRegistration | LegacyWorkerRegistration | undefined {
  if (value === null || value === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof json === "number") {
    return Number.isSafeInteger(json) && json > 0 ? { slots: json, busy: null, host: null, gpus: null, startedAt: null } : undefined;
  }
  const parsed = WorkerRegistration.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
