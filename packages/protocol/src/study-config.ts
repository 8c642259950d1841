import { z } from "zod";
import { StudyName } from "./names.js";
import { SpaceSpec } from "./param-spec.js";

/** How the worker runs one trial; `{name}` in an argument is replaced by that parameter's value. */
export const CommandSpec = z
  .object({
    /** Program and arguments, e.g. ["python", "train.py", "--lr={lr}", "--steps={fidelity}"]. */
    argv: z.array(z.string().min(1)).min(1, "argv needs at least the program to run"),
    /** Working directory of the training process. @defaultValue the worker's own */
    cwd: z.string().min(1).optional(),
    /** Extra environment variables for the training process. */
    env: z.record(z.string()).optional(),
  })
  .strict();
export type CommandSpec = z.infer<typeof CommandSpec>;

export const SamplerSpec = z.union([
  z.enum(["gp", "random", "sobol"]),
  z
    .object({
      type: z.literal("gp"),
      nInitial: z.number().int().positive().optional(),
      acquisition: z.enum(["logEI", "EI", "PI", "logPI", "UCB"]).optional(),
      xi: z.number().nonnegative().optional(),
      kappa: z.number().nonnegative().optional(),
      deterministic: z.boolean().optional(),
    })
    .strict(),
]);
export type SamplerSpec = z.infer<typeof SamplerSpec>;

/**
 * The study's one fidelity: the training budget a job gets (steps, tokens,
 * epochs, evaluation examples), passed to the command as `{fidelity}` and
 * BAYESTUNE_FIDELITY. Rungs climb from `min` to `max` by `reductionFactor`.
 */
export const FidelitySpec = z
  .object({
    /** What the budget counts, for people reading the study: "steps", "tokens", "epochs". @defaultValue "steps" */
    name: z.string().min(1).default("steps"),
    min: z.number().positive(),
    max: z.number().positive(),
    /** η: each rung trains η× longer than the one below. @defaultValue 3 */
    reductionFactor: z.number().min(2).default(3),
    /** Budgets are whole numbers (steps, epochs). @defaultValue true */
    integer: z.boolean().default(true),
  })
  .strict()
  .refine((f) => f.max >= f.min, { message: "max must be ≥ min", path: ["max"] });
export type FidelitySpec = z.infer<typeof FidelitySpec>;

/**
 * How the budget is spent across trials: without one, every trial trains at the
 * full fidelity. "asha", "hyperband" and "median" (the median stopping rule)
 * climb the study's fidelity rungs;
 * "freeze-thaw" pauses every trial at each increment of its budget and spends
 * each free slot where a learning-curve model expects the most improvement of
 * the full-budget result per unit of training; "staged" is the classic screen
 * with counts and budgets of its own.
 */
export const SchedulerSpec = z.discriminatedUnion("type", [
  z.object({ type: z.literal("asha") }).strict(),
  z
    .object({
      type: z.literal("median"),
      /** Other trials that must reach a rung before anyone is stopped there. @defaultValue 5 */
      minTrials: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("hyperband"),
      /** @defaultValue one per rung */
      brackets: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("freeze-thaw"),
      /**
       * Each increment multiplies a trial's budget by this (fidelity.min,
       * min·growth, …, max); a trial pauses after each and is continued only
       * when the learning-curve model says it is worth its cost. @defaultValue 2
       */
      growth: z.number().min(1.25).max(10).optional(),
      /**
       * Training budget (in the fidelity's units) the study may spend in all,
       * counted as budgetSpent does. @defaultValue maxTrials × fidelity.max / 3
       */
      budget: z.number().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("staged"),
      stages: z.array(z.object({ trials: z.number().int().positive(), fidelity: z.number().positive() }).strict()).min(1),
    })
    .strict(),
]);
export type SchedulerSpec = z.infer<typeof SchedulerSpec>;

/**
 * A rule that stops a running trial at any reported step (the script's
 * `report(step, ...)` lines of the study's metric), not only at rung ends:
 * "median" stops a trial whose best value so far is worse than the median of
 * the other trials' running means at that step (Golovin et al. 2017). A stopped
 * trial is recorded as "pruned" with its last value and checkpoint.
 */
export const PrunerSpec = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("median"),
      /** Other trials that must have reached a step before anyone is stopped there. @defaultValue 5 */
      minTrials: z.number().int().positive().default(5),
      /** No trial is stopped before this step. @defaultValue 0 */
      graceSteps: z.number().int().nonnegative().default(0),
    })
    .strict(),
]);
export type PrunerSpec = z.infer<typeof PrunerSpec>;

/**
 * A black-box constraint: a metric of the final line that must lie within
 * [min, max] (either bound may be left out, not both), e.g. `{ metric: memory_gb, max: 80 }`.
 */
export const ConstraintConfig = z
  .object({
    metric: z.string().min(1),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
  })
  .strict()
  .refine((c) => c.min !== undefined || c.max !== undefined, { message: "a constraint needs a min or a max" })
  .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, { message: "min must be ≤ max", path: ["max"] });
export type ConstraintConfig = z.infer<typeof ConstraintConfig>;

/** One objective of a multi-objective study: a metric of the final line and its direction. */
export const ObjectiveConfig = z.object({ metric: z.string().min(1), direction: z.enum(["minimize", "maximize"]) }).strict();
export type ObjectiveConfig = z.infer<typeof ObjectiveConfig>;

/** A study as a user writes it in YAML or JSON; the coordinator and `bayestune tune` read it. */
export const StudyConfig = z
  .object({
    name: StudyName,
    space: SpaceSpec,
    direction: z.enum(["minimize", "maximize"]).default("minimize"),
    seed: z.number().int().default(0),
    sampler: SamplerSpec.default("gp"),
    /** Trials to run in all; the study ends when this many have finished. */
    maxTrials: z.number().int().positive(),
    command: CommandSpec,
    /** The key of the training script's final metrics line that is the objective. @defaultValue "loss" */
    metric: z.string().min(1).default("loss"),
    /**
     * Several objectives (2 or more), e.g. eval loss and GPU-hours: the best trials
     * are the Pareto front. When given, `metric` and `direction` are the first
     * objective's (whatever the config says for them).
     */
    objectives: z.array(ObjectiveConfig).min(2).optional(),
    /** Black-box constraints on other metrics of the final line; only trials within them can be the best. */
    constraints: z.array(ConstraintConfig).default([]),
    /**
     * Known constraints: expressions over the params that must all be true for a
     * point to be proposed, e.g. "batch_size * seq_len <= 65536" (filtrex syntax).
     */
    knownConstraints: z.array(z.string().min(1)).default([]),
    /** A trial running longer is killed and failed with reason "timeout". @defaultValue 3600 */
    trialTimeoutSeconds: z.number().positive().default(3600),
    /** Attempts per trial job before it is failed (a worker dying mid-job uses one). @defaultValue 3 */
    maxAttempts: z.number().int().positive().default(3),
    /** The training budget per job; absent: the command decides its own budget. */
    fidelity: FidelitySpec.optional(),
    /** Promotion across fidelity rungs; absent: every trial trains at the full budget. */
    scheduler: SchedulerSpec.optional(),
    /** Stops running trials at reported steps; absent: none is stopped before its end (or its rung's). */
    pruner: PrunerSpec.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const objectives = config.objectives?.map((o) => o.metric) ?? [config.metric];
    if (config.objectives !== undefined) {
      if (new Set(objectives).size !== objectives.length) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["objectives"], message: "each objective needs its own metric" });
      if (config.scheduler !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["scheduler"], message: "a scheduler ranks trials by one objective; a study with several objectives cannot have one yet" });
      if (config.pruner !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["pruner"], message: "a pruner ranks trials by one objective; a study with several objectives cannot have one yet" });
    }
    config.constraints.forEach((c, i) => {
      if (objectives.includes(c.metric)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["constraints", i, "metric"], message: `'${c.metric}' is the objective; a constraint needs another metric` });
      }
    });
    const scheduler = config.scheduler;
    if (scheduler === undefined) return;
    if (scheduler.type === "staged" && config.maxTrials < scheduler.stages[0]!.trials) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["maxTrials"],
        message: `maxTrials must be at least the first stage's ${scheduler.stages[0]!.trials} trials, got ${config.maxTrials}`,
      });
    }
    if (scheduler.type !== "staged" && config.fidelity === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["scheduler"], message: `scheduler "${scheduler.type}" needs a fidelity (min, max) to climb` });
    }
  })
  .transform((config) => {
    const first = config.objectives?.[0];
    return first === undefined ? config : { ...config, metric: first.metric, direction: first.direction };
  });
export type StudyConfig = z.infer<typeof StudyConfig>;
export type StudyConfigInput = z.input<typeof StudyConfig>;
