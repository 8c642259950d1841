import type { ZodError } from "zod";

/**
 * One readable message for a failed parse: a headline naming what was parsed,
 * then one line per issue with its path, e.g.
 *
 * ```
 * search space is invalid (2 problems):
 *   - lr: low < high must hold for 'lr', got low=0.1, high=0.01
 *   - opt.choices[1]: choices must be JSON scalars (string, finite number, boolean or null), got an object
 * ```
 *
 * @param where - what was being parsed ("search space", "config file ./study.json").
 *   @defaultValue "input"
 */
export function formatZodIssues(error: ZodError, where = "input"): string {
  const count = error.issues.length;
  const lines = error.issues.map((issue) => `  - ${formatPath(issue.path)}: ${issue.message}`);
  return [`${where} is invalid (${count} ${count === 1 ? "problem" : "problems"}):`, ...lines].join("\n");
}

function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join("");
}
