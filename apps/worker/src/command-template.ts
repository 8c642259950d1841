import type { ChoiceValue } from "@bayestune/protocol";
import { InvalidJobError } from "./errors.js";

// Alternatives are tried left to right, so an escaped brace wins over a placeholder
// and "{{{lr}}}" renders as "{" + lr + "}", as in Python's str.format.
const TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;

/** The one textual form of a parameter value, shared by argv templates and environment variables. */
export function formatParamValue(value: ChoiceValue): string {
  if (typeof value === "string") return value;
  // String() keeps full precision (shortest round-trip form), e.g. 0.00031 or 1e-7.
  if (typeof value === "number") return String(value);
  return JSON.stringify(value);
}

/**
 * Renders a command template: each `{name}` becomes the value of parameter `name`,
 * `{fidelity}` the job's fidelity, `{{` and `}}` literal braces.
 *
 * @param argv - program and arguments, e.g. `["python", "train.py", "--lr={lr}", "--steps={fidelity}"]`.
 * @param fidelity - the job's training budget; `{fidelity}` without one is an error.
 * @throws InvalidJobError naming the argument and the placeholder when a placeholder is
 *   unknown, `{fidelity}` has no value or is ambiguous, or a brace is unbalanced.
 */
export function renderArgv(
  argv: readonly string[],
  params: Readonly<Record<string, ChoiceValue>>,
  fidelity?: number,
): string[] {
  return argv.map((arg, index) =>
    arg.replace(TOKEN, (token: string, name: string | undefined) => {
      if (token === "{{") return "{";
      if (token === "}}") return "}";
      const where = `argv[${index}] ${JSON.stringify(arg)}`;
      if (name === undefined) {
        throw new InvalidJobError(`braces must be balanced in ${where}; write {{ or }} for a literal brace`);
      }
      return placeholderValue(name, where, params, fidelity);
    }),
  );
}

function placeholderValue(
  name: string,
  where: string,
  params: Readonly<Record<string, ChoiceValue>>,
  fidelity: number | undefined,
): string {
  const param = Object.hasOwn(params, name) ? params[name] : undefined;
  if (name === "fidelity") {
    if (fidelity !== undefined && param !== undefined) {
      throw new InvalidJobError(
        `{fidelity} in ${where} is ambiguous: the job has a fidelity and a parameter named 'fidelity'; rename the parameter`,
      );
    }
    if (fidelity !== undefined) return String(fidelity);
    if (param === undefined) {
      throw new InvalidJobError(`{fidelity} in ${where} needs a fidelity, but the job has none`);
    }
  }
  if (param === undefined) {
    const known = [...Object.keys(params), ...(fidelity === undefined ? [] : ["fidelity"])];
    throw new InvalidJobError(
      `placeholder {${name}} in ${where} must name a parameter${known.length > 0 ? ` (one of ${known.map((k) => `{${k}}`).join(", ")})` : ""}, got an unknown name`,
    );
  }
  return formatParamValue(param);
}
