import type { Redis } from "ioredis";
import { checkSecret, formatZodIssues, signMessage, stopRequestKey, StopRequest, type StudyName } from "@bayestune/protocol";
import { StoreError } from "./errors.js";

/**
 * How long a stop request is kept. It is not deleted when its job ends: the engine may
 * read it back (was this trial's stop asked for?), and a job retried after its worker
 * died must still find it. A day outlives any retry; the key is small.
 */
export const STOP_REQUEST_TTL_MS = 24 * 60 * 60 * 1000;

export interface TrialStopInput {
  /** The BullMQ prefix the study's workers use. */
  prefix: string;
  /** The cluster's shared secret (BAYESTUNE_SECRET): workers act only on requests signed with it. */
  secret: string;
  study: StudyName;
  trial: number;
  rung: number;
  /** Why, for the worker's log and the script's stop file: "pruned", "cancelled". */
  reason: string;
}

/**
 * Asks the worker running job (study, trial, rung), on whatever machine, to stop it
 * early: writes the signed {@link StopRequest} under {@link stopRequestKey} for
 * {@link STOP_REQUEST_TTL_MS}. The worker polls the keys of its jobs every 500 ms,
 * creates the job's stop file and, after its stop grace period, terminates it; its
 * result is complete with `stopped: true` and the last value it reported, or failed
 * "stopped" when it reported none. A job that has not started yet is stopped as soon as
 * it starts; one that has ended is left as it is. Asking twice is harmless (the later
 * request replaces the earlier).
 *
 * @throws RangeError when the secret is too short (see checkSecret).
 * @throws StoreError "INVALID_RECORD" when the prefix is empty, or the study, trial, rung or reason is invalid.
 */
export async function requestTrialStop(redis: Redis, input: TrialStopInput): Promise<void> {
  checkSecret(input.secret);
  if (input.prefix.length === 0) throw new StoreError("INVALID_RECORD", `prefix must be the workers' non-empty BullMQ prefix, got ""`);
  const parsed = StopRequest.safeParse({
    kind: "stop-request",
    study: input.study,
    trial: input.trial,
    rung: input.rung,
    reason: input.reason,
    requestedAt: Date.now(),
  });
  if (!parsed.success) throw new StoreError("INVALID_RECORD", formatZodIssues(parsed.error, "stop request"));
  const request = parsed.data;
  const key = stopRequestKey(input.prefix, request.study, request.trial, request.rung);
  await redis.set(key, JSON.stringify(signMessage(input.secret, "stop-request", request)), "PX", STOP_REQUEST_TTL_MS);
}
