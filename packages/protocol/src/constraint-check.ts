import type { ConstraintConfig } from "./study-config.js";

/**
 * The constraints a trial's final metrics break, each as a short phrase
 * ("memory_gb = 95 > max 80"); empty when the trial is feasible. A missing or
 * non-finite constraint metric counts as broken: feasibility is unknown.
 */
export function constraintViolations(constraints: readonly ConstraintConfig[], metrics: Readonly<Record<string, number | null>>): string[] {
  const broken: string[] = [];
  for (const c of constraints) {
    const value = Object.hasOwn(metrics, c.metric) ? metrics[c.metric] : undefined;
    if (typeof value !== "number" || !Number.isFinite(value)) broken.push(`${c.metric} not reported`);
    else if (c.max !== undefined && value > c.max) broken.push(`${c.metric} = ${value} > max ${c.max}`);
    else if (c.min !== undefined && value < c.min) broken.push(`${c.metric} = ${value} < min ${c.min}`);
  }
  return broken;
}
