import { compileExpression } from "filtrex";
import { InvalidArgumentError } from "../errors.js";
import type { Params, SearchSpace } from "./search-space.js";

/** A known constraint: true where the params may be tried (e.g. a memory estimate within the GPU). */
export type ParamPredicate = (params: Readonly<Params>) => boolean;

/**
 * Compiles known-constraint expressions over the params, all of which must
 * hold: `"batch_size * seq_len <= 65536"`, `"lr < 1e-3 or warmup_steps > 0"`.
 * The language is filtrex's (arithmetic, comparisons, and/or/not, min, max,
 * log, sqrt, …): safe to take from a config file, since it can only read the params.
 *
 * @throws InvalidArgumentError naming the expression for a syntax error, a name
 *   that is not a parameter, or a result that is not true or false.
 */
export function compileParamPredicate(expressions: readonly string[], space: SearchSpace): ParamPredicate {
  const probe = space.decode(new Float64Array(space.dimension).fill(0.5));
  const checks = expressions.map((expression) => {
    let check: (params: object) => unknown;
    try {
      check = compileExpression(expression);
    } catch (error) {
      throw new InvalidArgumentError(`known constraint ${JSON.stringify(expression)} does not parse: ${String((error as Error).message).split("\n")[0]}`, { cause: error });
    }
    // filtrex returns (does not throw) an Error for an unknown name: one evaluation finds it now, not mid-study.
    const result = check(probe);
    if (result instanceof Error) {
      throw new InvalidArgumentError(`known constraint ${JSON.stringify(expression)}: ${result.message} (the parameters are ${space.names.join(", ")})`);
    }
    if (typeof result !== "boolean") {
      throw new InvalidArgumentError(`known constraint ${JSON.stringify(expression)} must be a comparison that is true or false, got ${JSON.stringify(result)}`);
    }
    return check;
  });
  return (params) => checks.every((check) => check(params) === true);
}
