import type { CategoricalParamSpec, ChoiceValue, FloatParamSpec, IntParamSpec } from "@bayestune/protocol";

/**
 * The builders only assemble spec objects; `SearchSpace.from` validates them,
 * because a spec's messages name the parameter and the name is the key it is
 * given in the space, unknown here. Options are spread as given, so that a
 * misspelt option from JavaScript (`{ logg: true }`) is reported by the strict
 * schema rather than silently dropped.
 */

export interface NumericParamOptions {
  /** Model and sample the parameter on a log scale; needs low > 0. @defaultValue false */
  log?: boolean;
  /** Allow only low + k * step; must divide high - low; not with `log`. @defaultValue none (float), 1 (int) */
  step?: number;
}

/** A float in [low, high]. */
export function float(low: number, high: number, options: NumericParamOptions = {}): FloatParamSpec {
  return { type: "float", low, high, ...options };
}

/** An integer in [low, high], both included. */
export function int(low: number, high: number, options: NumericParamOptions = {}): IntParamSpec {
  return { type: "int", low, high, ...options };
}

/** One of `choices`, unordered; compared by type and value (1 and "1" differ). */
export function categorical(choices: readonly ChoiceValue[]): CategoricalParamSpec {
  return { type: "categorical", choices: [...choices] };
}
