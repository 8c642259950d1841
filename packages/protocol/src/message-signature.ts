import { createHmac, timingSafeEqual } from "node:crypto";
import { trialJobId, type StudyName } from "./names.js";

/**
 * The cluster's shared secret: the coordinator signs every trial job with it and the
 * workers every progress report and result, so that someone who can write to Redis
 * but lacks the secret can neither make a worker run a program nor forge a result.
 */
export const SECRET_ENV = "BAYESTUNE_SECRET";
/** Shorter secrets are refused: 16 characters of `openssl rand -hex 32` or the like. */
export const MIN_SECRET_LENGTH = 16;

/**
 * What a signature is for: a signed job cannot be replayed as a result, nor a
 * result as a job, nor either as a stop request, even where their fields would fit
 * the other schema.
 */
export type SignaturePurpose = "trial-job" | "worker-message" | "stop-request";

/** A message as it travels: its fields and an HMAC-SHA256 (hex) over them. */
export type Signed<T> = T & { signature: string };

/**
 * JSON with every object's keys sorted, so that the signer and the verifier hash the
 * same bytes whatever order a queue, a parser or a `{...spread}` left the keys in.
 * Undefined fields are dropped, as JSON.stringify drops them.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`);
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(value);
}

function hmac(secret: string, purpose: SignaturePurpose, fields: unknown): Buffer {
  return createHmac("sha256", secret).update(`bayestune/${purpose}\n`).update(canonicalJson(fields)).digest();
}

/** The message with its signature; a `signature` field it already had is replaced. */
export function signMessage<T extends object>(secret: string, purpose: SignaturePurpose, message: T): Signed<T> {
  const { signature: _previous, ...fields } = message as T & { signature?: unknown };
  return { ...(fields as T), signature: hmac(secret, purpose, fields).toString("hex") };
}

/**
 * True when `data` is an object whose `signature` is the HMAC of its other fields
 * under `secret` for `purpose`. Anything else a queue may deliver (null, a string,
 * a message signed with another secret or edited after signing) is false.
 */
export function hasValidSignature(secret: string, purpose: SignaturePurpose, data: unknown): boolean {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return false;
  const { signature, ...fields } = data as Record<string, unknown>;
  if (typeof signature !== "string" || !/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(signature, "hex"), hmac(secret, purpose, fields));
}

/** Refuses a secret too short to be one, with the fix. */
export function checkSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new RangeError(
      `the shared secret must be at least ${MIN_SECRET_LENGTH} characters, got ${secret.length}; make one with \`openssl rand -hex 32\``,
    );
  }
}

/** The BullMQ job IDs of one trial job and of the messages about it. */
export interface TrialQueueIds {
  /** The trial job's ID in TRIALS_QUEUE. */
  job: string;
  /** Its result's ID in the study's results queue: at most one result per (trial, rung) is kept. */
  result: string;
  /** A progress report's ID at `step`. */
  progress(step: number): string;
}

/**
 * The queue IDs of (study, trial, rung): {@link trialJobId} followed by a tag that
 * only a holder of the secret can compute. BullMQ ignores an `add` whose ID exists,
 * so an ID that anyone could spell would let someone who can write to Redis take it
 * first and keep the real job, or the real result, out for good.
 */
export function trialQueueIds(secret: string, study: StudyName, trial: number, rung: number): TrialQueueIds {
  const plain = trialJobId(study, trial, rung);
  const tag = createHmac("sha256", secret).update(`bayestune/job-id\n${plain}`).digest("hex").slice(0, 16);
  const job = `${plain}-${tag}`;
  return { job, result: `${job}-result`, progress: (step) => `${job}-p${step}` };
}
