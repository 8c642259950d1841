import type { ChoiceValue } from "@bayestune/protocol";
import type { StoredStudy, StoredTrial } from "@bayestune/store";
import { modelViews, type ModelViews } from "../plot-data/model-views.js";
import { feasibilityPlot, type FeasibilityPlot } from "../plot-data/feasibility.js";
import { optimizationHistory, type HistoryPoint } from "../plot-data/history.js";
import { learningCurves, type LearningCurve } from "../plot-data/learning-curves.js";
import { parallelCoordinates, type ParallelCoordinates } from "../plot-data/parallel-coordinates.js";
import { paretoPlot, type ParetoPlot } from "../plot-data/pareto.js";

/** Everything one study's views draw, computed once and shared by the report and the dashboard. */
export interface StudyViews {
  readonly name: string;
  readonly metric: string;
  readonly direction: string;
  /** The trials table; `reason` is a failed trial's reason and message. */
  readonly trials: readonly {
    readonly number: number;
    readonly state: string;
    readonly params: Readonly<Record<string, ChoiceValue>>;
    readonly value: number | null;
    /** Everything its final metrics line held (constraint metrics, other objectives); null while it has none. */
    readonly metrics: Readonly<Record<string, number | null>> | null;
    /** The highest rung reached, and that rung's training budget when the study has a fidelity. */
    readonly rung: number;
    readonly fidelity: number | null;
    readonly reason: string | null;
  }[];
  readonly history: readonly HistoryPoint[];
  readonly parallel: ParallelCoordinates;
  readonly curves: readonly LearningCurve[];
  readonly pareto: ParetoPlot;
  readonly feasibility: FeasibilityPlot;
}

export function studyViews(study: StoredStudy, trials: readonly StoredTrial[]): StudyViews {
  const { config } = study;
  return {
    name: study.name,
    metric: config.metric,
    direction: config.direction,
    trials: [...trials]
      .sort((a, b) => a.number - b.number)
      .map((t) => ({
        number: t.number,
        state: t.state,
        params: t.params,
        value: t.value ?? null,
        metrics: t.metrics ?? null,
        rung: t.rung,
        fidelity: t.fidelity ?? null,
        reason: t.reason === undefined ? null : [t.reason, t.message].filter(Boolean).join(": "),
      })),
    history: optimizationHistory(trials, config),
    parallel: parallelCoordinates(trials, config),
    curves: learningCurves(trials, config),
    pareto: paretoPlot(trials, config),
    feasibility: feasibilityPlot(trials, config),
  };
}

/** What one study's page draws: the trials' views and the model's. */
export interface StudyPageData {
  readonly views: StudyViews;
  readonly model: ModelViews;
}

/** A study's views and its model's (importance, slices): what the report embeds and the dashboard serves. */
export async function studyPageData(study: StoredStudy, trials: readonly StoredTrial[]): Promise<StudyPageData> {
  return { views: studyViews(study, trials), model: await modelViews(study.config, trials) };
}
