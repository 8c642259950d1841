import { z } from "zod";

/**
 * A study name travels in Redis keys and BullMQ job IDs, where ':' is the key
 * separator and is forbidden in custom job IDs: letters, digits, '_', '.', '-' only.
 */
export const StudyName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, "study names must be 1-64 letters, digits, '_', '.' or '-' (no ':' or spaces)");
export type StudyName = z.infer<typeof StudyName>;

/** BullMQ queue of trial jobs, filled by the coordinator, drained by workers. */
export const TRIALS_QUEUE = "bayestune-trials";
/**
 * The BullMQ queue of one study's results and progress, filled by workers, drained by
 * that study's coordinator alone: studies that share a Redis, a prefix and a pool of
 * workers never see each other's messages.
 */
export function resultsQueueName(study: StudyName): string {
  StudyName.parse(study);
  return `bayestune-results-${study}`;
}

/**
 * The one way to name a trial job: `${study}-${trial}-${rung}`. BullMQ ignores an
 * `add` whose ID exists, so enqueueing the same trial and rung twice is harmless.
 */
export function trialJobId(study: StudyName, trial: number, rung: number): string {
  StudyName.parse(study);
  if (!Number.isInteger(trial) || trial < 0) throw new RangeError(`trial must be an integer >= 0, got ${trial}`);
  if (!Number.isInteger(rung) || rung < 0) throw new RangeError(`rung must be an integer >= 0, got ${rung}`);
  return `${study}-${trial}-${rung}`;
}

/** What names one run of a trial: its study, number and rung (the fields every job and message carries). */
export const TrialRef = z.object({ study: StudyName, trial: z.number().int().nonnegative(), rung: z.number().int().nonnegative() });
export type TrialRef = z.infer<typeof TrialRef>;
