import { z } from "zod";

/**
 * The search-space schemas: what a study config (or the in-process builders
 * `float`, `int`, `categorical`) says about each hyperparameter.
 *
 * Field types are checked by the object schemas; everything that involves
 * several fields (low < high, log needs low > 0, step divides high - low,
 * unique choices) is checked by `ParamSpec`, because only there is the
 * parameter's name known (it is the last element of the issue path), and
 * every message names the parameter so that a user can find it in a config file.
 */

/**
 * A choice must survive a JSON round trip unchanged, so a stored study can be
 * resumed: hence scalars only, and no NaN or Infinity.
 */
export const ChoiceValue = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  errorMap: (_issue, ctx) => ({
    message: `choices must be JSON scalars (string, finite number, boolean or null), got ${describe(ctx.data)}`,
  }),
});
export type ChoiceValue = z.infer<typeof ChoiceValue>;

/** zod's own message would say "received nan", which reads like a typo. */
const Bound = z.number({
  errorMap: (_issue, ctx) => ({ message: `must be a finite number, got ${describe(ctx.data)}` }),
});

export const FloatParamSpec = z
  .object({
    type: z.literal("float"),
    low: Bound,
    high: Bound,
    /** Sample and model the parameter on a log scale (learning rates, weight decay). */
    log: z.boolean().optional(),
    /** Only values low + k * step are allowed; must divide high - low. */
    step: Bound.optional(),
  })
  .strict();
export type FloatParamSpec = z.infer<typeof FloatParamSpec>;

export const IntParamSpec = z
  .object({
    type: z.literal("int"),
    low: Bound,
    high: Bound,
    log: z.boolean().optional(),
    /** A positive integer dividing high - low; 1 when absent. */
    step: Bound.optional(),
  })
  .strict();
export type IntParamSpec = z.infer<typeof IntParamSpec>;

export const CategoricalParamSpec = z
  .object({
    type: z.literal("categorical"),
    /** Unordered; compared by type and value, so 1 and "1" are two different choices. */
    choices: z.array(ChoiceValue),
  })
  .strict();
export type CategoricalParamSpec = z.infer<typeof CategoricalParamSpec>;

/** One parameter, with every cross-field rule checked. */
export const ParamSpec = z
  .discriminatedUnion("type", [FloatParamSpec, IntParamSpec, CategoricalParamSpec])
  .superRefine((spec, ctx) => {
    const last = ctx.path[ctx.path.length - 1];
    const name = typeof last === "string" ? last : "<unnamed>";
    for (const issue of paramSpecIssues(name, spec)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: issue.message, path: issue.field === undefined ? [] : [issue.field] });
    }
  });
export type ParamSpec = z.infer<typeof ParamSpec>;
export type ParamSpecInput = z.input<typeof ParamSpec>;

/** Parameter name → spec; insertion order is the order of the encoded dimensions. */
export const SpaceSpec = z
  .record(z.string().min(1, { message: "parameter names must be non-empty" }), ParamSpec)
  .refine((space) => Object.keys(space).length > 0, {
    message: "a search space needs at least one parameter, got none",
  });
export type SpaceSpec = z.infer<typeof SpaceSpec>;
export type SpaceSpecInput = z.input<typeof SpaceSpec>;

/**
 * Relative tolerance of "step divides high - low": decimal steps are not exact
 * in binary (0.1 * 10 is fine, but (0.7 - 0.1) / 0.1 = 5.999999999999999).
 */
export const STEP_TOLERANCE = 1e-9;

interface SpecIssue {
  readonly message: string;
  readonly field?: string;
}

function paramSpecIssues(name: string, spec: FloatParamSpec | IntParamSpec | CategoricalParamSpec): SpecIssue[] {
  return spec.type === "categorical" ? choiceIssues(name, spec.choices) : rangeIssues(name, spec);
}

function rangeIssues(name: string, spec: FloatParamSpec | IntParamSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const field of ["low", "high", "step"] as const) {
    const value = spec[field];
    if (value !== undefined && !Number.isFinite(value)) {
      issues.push({ field, message: `${field} must be a finite number for '${name}', got ${field}=${value}` });
    }
  }
  if (issues.length > 0) return issues;
  const { low, high, step, log } = spec;

  if (spec.type === "int") {
    for (const field of ["low", "high"] as const) {
      const value = spec[field];
      if (!Number.isInteger(value)) {
        issues.push({ field, message: `int bounds must be integers for '${name}', got ${field}=${value}` });
      } else if (!Number.isSafeInteger(value)) {
        // Beyond 2^53 consecutive integers are no longer distinct doubles.
        issues.push({ field, message: `int bounds must lie within ±(2^53 - 1) for '${name}', got ${field}=${value}` });
      }
    }
    if (step !== undefined && !(Number.isSafeInteger(step) && step > 0)) {
      issues.push({ field: "step", message: `step must be a positive integer for '${name}', got step=${step}` });
    }
  } else if (step !== undefined && !(step > 0)) {
    issues.push({ field: "step", message: `step must be positive for '${name}', got step=${step}` });
  }
  if (!(low < high)) {
    issues.push({ message: `low < high must hold for '${name}', got low=${low}, high=${high}` });
  }
  if (log === true && step !== undefined) {
    issues.push({
      message: `log and step cannot be combined for '${name}', got log=true, step=${step}: a log scale has no evenly spaced grid; drop one of them`,
    });
  }
  if (log === true && !(low > 0)) {
    issues.push({ field: "low", message: `log scale needs low > 0 for '${name}', got low=${low}` });
  }
  if (issues.length > 0 || step === undefined) return issues;

  const steps = (high - low) / step;
  const whole = Math.round(steps);
  if (whole < 1 || Math.abs(steps - whole) > STEP_TOLERANCE * whole) {
    issues.push({
      field: "step",
      message: `step must divide high - low for '${name}', got step=${step}, high - low=${formatDerived(high - low)}`,
    });
  }
  return issues;
}

function choiceIssues(name: string, choices: readonly ChoiceValue[]): SpecIssue[] {
  if (choices.length === 0) {
    return [{ field: "choices", message: `choices must be non-empty for '${name}', got []` }];
  }
  const issues: SpecIssue[] = [];
  const seen = new Set<string>();
  for (const choice of choices) {
    if (typeof choice === "number" && !Number.isFinite(choice)) {
      issues.push({ field: "choices", message: `choices must be finite numbers for '${name}', got ${choice}` });
      continue;
    }
    // typeof in the key keeps 1 and "1" apart; JSON keeps "a" and a string that merely looks like a number apart.
    const key = `${typeof choice}:${JSON.stringify(choice)}`;
    if (seen.has(key)) {
      issues.push({ field: "choices", message: `choices must be unique for '${name}', got ${JSON.stringify(choice)} more than once` });
    }
    seen.add(key);
  }
  return issues;
}

/** Shows a computed quantity without binary noise (0.6, not 0.6000000000000001). */
function formatDerived(x: number): string {
  return String(Number(x.toPrecision(12)));
}

function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return typeof value;
}
