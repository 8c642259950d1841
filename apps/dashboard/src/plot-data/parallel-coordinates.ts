import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

/** One axis: a parameter with its scale, as the space declares it. */
export type Axis =
  | { readonly name: string; readonly kind: "linear" | "log"; readonly low: number; readonly high: number }
  | { readonly name: string; readonly kind: "categorical"; readonly choices: readonly string[] };

export interface ParallelCoordinates {
  readonly axes: readonly Axis[];
  /** One line per complete trial: its params on the axes (a categorical as its choice's index), then its value. */
  readonly lines: readonly { readonly trial: number; readonly values: readonly number[]; readonly objective: number }[];
}

/** Parallel coordinates of the complete trials over the study's parameters, in the space's order. */
export function parallelCoordinates(trials: readonly StoredTrial[], config: Pick<StudyConfig, "space">): ParallelCoordinates {
  const axes: Axis[] = Object.entries(config.space).map(([name, spec]) =>
    spec.type === "categorical"
      ? { name, kind: "categorical", choices: spec.choices.map(String) }
      : { name, kind: spec.log === true ? "log" : "linear", low: spec.low, high: spec.high },
  );
  const lines = trials
    .filter((t) => t.state === "complete" && t.value !== undefined)
    .sort((a, b) => a.number - b.number)
    .map((t) => ({
      trial: t.number,
      values: axes.map((axis) => (axis.kind === "categorical" ? axis.choices.indexOf(String(t.params[axis.name])) : Number(t.params[axis.name]))),
      objective: t.value!,
    }));
  return { axes, lines };
}
