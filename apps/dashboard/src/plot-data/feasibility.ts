import { constraintViolations, type StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

/** One constraint's panel: every complete trial's metric against its bounds. */
export interface ConstraintPanel {
  readonly metric: string;
  readonly min?: number;
  readonly max?: number;
  readonly points: readonly { readonly trial: number; readonly value: number; readonly objective: number; readonly feasible: boolean }[];
}

export interface FeasibilityPlot {
  readonly panels: readonly ConstraintPanel[];
  /** Failed trials by reason (crashes, out of memory, divergence, timeouts): the failure regions' evidence. */
  readonly failures: Readonly<Record<string, number>>;
}

/**
 * For a constrained study, one panel per constraint: each complete trial's
 * constraint metric (x) against its objective (y), marked by whether it keeps
 * that bound; and for every study, the count of failed trials by reason.
 */
export function feasibilityPlot(trials: readonly StoredTrial[], config: Pick<StudyConfig, "constraints">): FeasibilityPlot {
  const sorted = [...trials].sort((a, b) => a.number - b.number);
  const panels = (config.constraints ?? []).map((constraint) => ({
    metric: constraint.metric,
    ...(constraint.min !== undefined ? { min: constraint.min } : {}),
    ...(constraint.max !== undefined ? { max: constraint.max } : {}),
    points: sorted.flatMap((t) => {
      const value = t.metrics?.[constraint.metric];
      if (t.state !== "complete" || t.value === undefined || typeof value !== "number") return [];
      return [{ trial: t.number, value, objective: t.value, feasible: constraintViolations([constraint], t.metrics ?? {}).length === 0 }];
    }),
  }));
  const failures: Record<string, number> = {};
  for (const t of sorted) if (t.state === "failed") failures[t.reason ?? "unknown"] = (failures[t.reason ?? "unknown"] ?? 0) + 1;
  return { panels, failures };
}
