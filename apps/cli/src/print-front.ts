import type { StudyConfig } from "@bayestune/protocol";

/** A best trial as the CLI prints it: its objective values in the config's order. */
export interface RankedTrial {
  readonly number: number;
  readonly params: object;
  readonly values: readonly number[];
}

/** A stored trial as the CLI ranks it. */
export function rankedTrial(config: StudyConfig, trial: { number: number; params: object; value?: number | undefined; metrics?: Readonly<Record<string, number | null>> | undefined }): RankedTrial {
  return { number: trial.number, params: trial.params, values: storedValues(config, trial) };
}

/** "loss=0.3" for one objective, "loss=0.3, gpu_hours=2.1" for several. */
export function describeValues(config: StudyConfig, values: readonly number[]): string {
  const metrics = config.objectives?.map((o) => o.metric) ?? [config.metric];
  return metrics.map((metric, k) => `${metric}=${values[k]}`).join(", ");
}

/** The objective values of a stored trial's final metrics, in the config's order. */
export function storedValues(config: StudyConfig, trial: { value?: number | undefined; metrics?: Readonly<Record<string, number | null>> | undefined }): number[] {
  if (config.objectives === undefined) return trial.value === undefined ? [] : [trial.value];
  return config.objectives.map((o) => trial.metrics?.[o.metric] ?? Number.NaN);
}

/** The lines that show a study's best trial (one objective) or its Pareto front (several); `best` is not empty. */
export function bestTrialLines(config: StudyConfig, best: readonly RankedTrial[]): string[] {
  if (config.objectives === undefined) {
    const [trial] = best;
    return [`best trial ${trial!.number}: ${config.metric} = ${trial!.values[0]}`, `  params: ${JSON.stringify(trial!.params)}`];
  }
  return [
    `Pareto front (${best.length} trial${best.length === 1 ? "" : "s"}):`,
    ...best.map((trial) => `  trial ${trial.number}: ${describeValues(config, trial.values)}  params: ${JSON.stringify(trial.params)}`),
  ];
}

/**
 * The study's last lines: its best trial (one objective) or its Pareto front
 * (several), or `none` and exit code 1 when there is no such trial (unless a
 * signal set the exit code already).
 */
export function printBestTrials(config: StudyConfig, best: readonly RankedTrial[], none: string): void {
  if (best.length === 0) {
    console.log(none);
    process.exitCode ||= 1;
    return;
  }
  for (const line of bestTrialLines(config, best)) console.log(line);
}
