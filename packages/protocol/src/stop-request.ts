import { z } from "zod";
import { hasValidSignature } from "./message-signature.js";
import { StudyName, trialJobId } from "./names.js";

/**
 * Engine → the worker running a trial job: stop it early (pruned, cancelled). It is
 * not queued but kept under {@link stopRequestKey}, which the worker running the job
 * polls: it reaches the job on whichever machine it runs, and a request made before
 * a retried job lands on its next worker still stops it there.
 */
export const StopRequest = z
  .object({
    kind: z.literal("stop-request"),
    study: StudyName,
    trial: z.number().int().nonnegative(),
    rung: z.number().int().nonnegative(),
    /** Why, for logs and for the script (the stop file holds it): "pruned", "cancelled". */
    reason: z.string().min(1).max(200),
    /** When the engine made the request, epoch ms. */
    requestedAt: z.number().int().nonnegative(),
    /** The engine's HMAC over the other fields (see signMessage, purpose "stop-request"). */
    signature: z.string().optional(),
  })
  .strict();
export type StopRequest = z.infer<typeof StopRequest>;

/**
 * The key of the stop request of one trial job: `${prefix}:bayestune:stop:${study}-${trial}-${rung}`.
 * One key per job, not per trial: stopping a rung must not stop the trial's later rungs.
 */
export function stopRequestKey(prefix: string, study: StudyName, trial: number, rung: number): string {
  return `${prefix}:bayestune:stop:${trialJobId(study, trial, rung)}`;
}

/** What a worker makes of the value under a job's stop key. */
export type ScreenedStopRequest =
  | { kind: "none" }
  | { kind: "accepted"; request: StopRequest }
  /** Valid, but made before the job was queued: left by an earlier study of the same name. */
  | { kind: "stale"; request: StopRequest }
  | { kind: "refused"; why: string };

/**
 * Reads the value stored under the stop key of job (study, trial, rung), queued at
 * `queuedAt` (epoch ms). Anyone who can write to Redis can write the key, so only a
 * request signed with the cluster's secret, for this very job, is accepted; one made
 * before the job was queued is stale (the key outlives its job by its TTL, and a study
 * deleted and made again under its name numbers its trials from 0 again). Never throws.
 */
export function screenStopRequest(
  value: string | null | undefined,
  secret: string,
  job: { study: StudyName; trial: number; rung: number; queuedAt: number },
): ScreenedStopRequest {
  if (value === null || value === undefined) return { kind: "none" };
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    return { kind: "refused", why: "the stop request is not JSON" };
  }
  if (!hasValidSignature(secret, "stop-request", data)) {
    return { kind: "refused", why: "the stop request is not signed with this cluster's secret (written by hand, edited after signing, or by an engine with another BAYESTUNE_SECRET)" };
  }
  const parsed = StopRequest.safeParse(data);
  if (!parsed.success) return { kind: "refused", why: "the signed stop request is not a valid one (an engine of another version?)" };
  const request = parsed.data;
  if (request.study !== job.study || request.trial !== job.trial || request.rung !== job.rung) {
    return {
      kind: "refused",
      why: `the stop request names trial ${request.trial} rung ${request.rung} of ${request.study}, not this job (a copy of another job's request)`,
    };
  }
  return request.requestedAt < job.queuedAt ? { kind: "stale", request } : { kind: "accepted", request };
}
