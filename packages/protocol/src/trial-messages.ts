import { z } from "zod";
import { StudyName } from "./names.js";
import { ChoiceValue } from "./param-spec.js";
import { CommandSpec } from "./study-config.js";

const TrialNumber = z.number().int().nonnegative();
const Rung = z.number().int().nonnegative();

/** Coordinator → worker: run this trial at this fidelity. */
export const TrialJob = z
  .object({
    study: StudyName,
    trial: TrialNumber,
    /** Promotion level; 0 for the first run of a trial. */
    rung: Rung.default(0),
    /** Decoded values, keyed by parameter name. */
    params: z.record(ChoiceValue),
    /** Training budget at this rung (steps, tokens, epochs), when the study has a fidelity. */
    fidelity: z.number().positive().optional(),
    /** Checkpoint to resume from, reported by the trial's previous rung. */
    checkpoint: z.string().min(1).optional(),
    command: CommandSpec,
    /** Final-metrics key that is the objective. */
    metric: z.string().min(1),
    /** Final-metrics keys of a multi-objective study's other objectives: each must be in the final line, finite. */
    objectiveMetrics: z.array(z.string().min(1)).optional(),
    /** Final-metrics keys of the study's constraints: a final line without one of them fails the trial (no-metric). */
    constraintMetrics: z.array(z.string().min(1)).optional(),
    timeoutSeconds: z.number().positive(),
    /** The coordinator's HMAC over the other fields (see signMessage); a worker runs no job without a valid one. */
    signature: z.string().optional(),
  })
  .strict();
export type TrialJob = z.infer<typeof TrialJob>;
export type TrialJobInput = z.input<typeof TrialJob>;

/** Why a trial failed; the worker's classification of how the training process ended. */
export const FailureReason = z.enum([
  "nonzero-exit",
  "timeout",
  "out-of-memory",
  "no-metric",
  "non-finite-metric",
  "command-not-found",
  "cancelled",
  "worker-lost",
  "invalid-job",
  /** The checkpoint a promoted rung resumes from is not on this worker (no shared --checkpoint-dir). */
  "checkpoint-missing",
  /** Stopped by the engine before it reported a value (see TrialResult's `stopped`). */
  "stopped",
]);
export type FailureReason = z.infer<typeof FailureReason>;

const Metrics = z.record(z.number().nullable());

/** Worker → coordinator: an intermediate report of a running trial. */
export const ProgressEvent = z
  .object({
    kind: z.literal("progress"),
    study: StudyName,
    trial: TrialNumber,
    rung: Rung,
    step: z.number().int().nonnegative(),
    metrics: Metrics,
    /** The worker's HMAC over the other fields (see signMessage). */
    signature: z.string().optional(),
  })
  .strict();
export type ProgressEvent = z.infer<typeof ProgressEvent>;

/** Worker → coordinator: how a trial job ended. */
export const TrialResult = z
  .object({
    kind: z.literal("result"),
    study: StudyName,
    trial: TrialNumber,
    rung: Rung,
    state: z.enum(["complete", "failed"]),
    /** The objective; set exactly when complete. */
    value: z.number().finite().optional(),
    /** Everything the final metrics line held (for a `stopped` trial without one, the report `value` comes from). */
    metrics: Metrics.default({}),
    reason: FailureReason.optional(),
    /** Human-readable detail of the failure: exit code, signal, the matching stderr line. */
    message: z.string().optional(),
    /** Checkpoint the training process reported, for a later promotion. */
    checkpoint: z.string().min(1).optional(),
    /**
     * The engine asked the trial to stop early; `value` is the last value it reported:
     * that of its final line when it printed one before it ended, else that of its last
     * intermediate report whose objective was finite (`metrics` and `checkpoint` are
     * then that report's and the last one reported). Set on complete results only: a
     * stopped trial that reported no value fails with reason "stopped".
     */
    stopped: z.literal(true).optional(),
    durationSeconds: z.number().nonnegative(),
    /** The last few KB of the process's stderr. */
    stderrTail: z.string().default(""),
    worker: z.string().min(1),
    /** The worker's HMAC over the other fields (see signMessage); the coordinator applies no result without a valid one. */
    signature: z.string().optional(),
  })
  .strict()
  .superRefine((result, ctx) => {
    if (result.state === "complete" && result.value === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["value"], message: "a complete result needs a finite value" });
    }
    if (result.state === "failed" && result.reason === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["reason"], message: "a failed result needs a reason" });
    }
    if (result.state === "failed" && result.stopped !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["stopped"], message: "stopped is set on complete results only; a stopped trial without a value fails with reason \"stopped\"" });
    }
  });
export type TrialResult = z.infer<typeof TrialResult>;
export type TrialResultInput = z.input<typeof TrialResult>;

/** What travels on the results queue. */
export const WorkerMessage = z.union([ProgressEvent, TrialResult]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;

/**
 * One JSON line a training script prints on stdout (the Python client writes
 * them): `{"step": 100, "loss": 2.31}` is intermediate; a line with `"final": true`
 * holds the final metrics. An optional `checkpoint` names where the script saved
 * its state. Any other stdout line is the script's own output and is ignored.
 */
export const MetricLine = z
  .object({
    step: z.number().int().nonnegative().optional(),
    final: z.boolean().optional(),
    checkpoint: z.string().min(1).optional(),
  })
  .catchall(z.number().nullable());
export type MetricLine = z.infer<typeof MetricLine>;
