import type { ChoiceValue } from "./param-spec.js";
import type { StudyConfig } from "./study-config.js";
import type { TrialJob } from "./trial-messages.js";

/**
 * The job that runs one trial of a study: the one place that decides what a
 * worker receives from the study config (the embedded loop and the
 * coordinator both build jobs here).
 */
export function trialJobFor(
  config: StudyConfig,
  trial: number,
  params: Readonly<Record<string, ChoiceValue>>,
  at: { rung?: number; fidelity?: number; checkpoint?: string } = {},
): TrialJob {
  return {
    study: config.name,
    trial,
    rung: at.rung ?? 0,
    params: { ...params },
    ...(at.fidelity !== undefined ? { fidelity: at.fidelity } : {}),
    ...(at.checkpoint !== undefined ? { checkpoint: at.checkpoint } : {}),
    command: config.command,
    metric: config.metric,
    ...(config.objectives !== undefined ? { objectiveMetrics: config.objectives.slice(1).map((o) => o.metric) } : {}),
    ...(config.constraints.length > 0 ? { constraintMetrics: config.constraints.map((c) => c.metric) } : {}),
    timeoutSeconds: config.trialTimeoutSeconds,
  };
}
