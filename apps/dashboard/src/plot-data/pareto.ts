import { paretoFront } from "@bayestune/core";
import { constraintViolations, type StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

export interface ParetoPlot {
  /** The objectives' metric names, in the config's order. */
  readonly objectives: readonly string[];
  /** Every complete trial that reported all objectives. */
  readonly points: readonly { readonly trial: number; readonly values: readonly number[]; readonly feasible: boolean; readonly onFront: boolean }[];
}

/**
 * The objectives of every complete trial of a multi-objective study, with the
 * Pareto front of the feasible ones marked (for the config's directions).
 * Empty for a single-objective study.
 */
export function paretoPlot(trials: readonly StoredTrial[], config: Pick<StudyConfig, "objectives" | "constraints">): ParetoPlot {
  const objectives = config.objectives;
  if (objectives === undefined) return { objectives: [], points: [] };
  const complete = [...trials]
    .sort((a, b) => a.number - b.number)
    .filter((t) => t.state === "complete" && objectives.every((o) => typeof t.metrics?.[o.metric] === "number"));
  const values = complete.map((t) => objectives.map((o) => t.metrics![o.metric] as number));
  const feasible = complete.map((t) => constraintViolations(config.constraints ?? [], t.metrics ?? {}).length === 0);
  const candidates = complete.flatMap((_, i) => (feasible[i] ? [i] : []));
  const signs = objectives.map((o) => (o.direction === "minimize" ? 1 : -1));
  const front = new Set(paretoFront(candidates.map((i) => values[i]!.map((v, k) => signs[k]! * v))).map((j) => candidates[j]!));
  return {
    objectives: objectives.map((o) => o.metric),
    points: complete.map((t, i) => ({ trial: t.number, values: values[i]!, feasible: feasible[i]!, onFront: front.has(i) })),
  };
}
