import { hasValidSignature, trialQueueIds } from "./message-signature.js";
import { TrialRef } from "./names.js";

/** Whom a job may be run for, or why it is refused. */
export type ScreenedJob =
  | { kind: "accepted"; study: string; trial: number; rung: number }
  | { kind: "refused"; why: string };

/**
 * The gate of the trials queue, which anyone with Redis access can write to: a worker
 * runs a job, and a coordinator counts a failed one as its own, only when the coordinator signed it with the
 * cluster's secret and it sits under the ID that the coordinator gives that
 * (study, trial, rung). Anyone who can write to Redis can add a job; without the
 * secret it cannot be one that passes, nor a signed job copied under a new ID to
 * run a trial twice.
 */
export function screenJob(jobId: string | undefined, data: unknown, secret: string): ScreenedJob {
  if (!hasValidSignature(secret, "trial-job", data)) {
    return { kind: "refused", why: "the job is not signed with this cluster's secret (made by hand, edited after signing, or queued by a coordinator with another BAYESTUNE_SECRET)" };
  }
  // Just enough of the job to name its trial; the TrialJob schema checks the rest afterwards.
  const identity = TrialRef.safeParse(data);
  if (!identity.success) return { kind: "refused", why: "the signed job names no valid study, trial and rung" };
  const { study, trial, rung } = identity.data;
  const expected = trialQueueIds(secret, study, trial, rung).job;
  if (jobId !== expected) {
    return { kind: "refused", why: `the job's ID ${JSON.stringify(jobId)} is not the one its coordinator gives trial ${trial} rung ${rung} of ${study} (a copy of a signed job)` };
  }
  return { kind: "accepted", study, trial, rung };
}
