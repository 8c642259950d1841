/** What one engine did on one problem with one seed. */
export interface RunRecord {
  readonly engine: string;
  readonly problem: string;
  readonly seed: number;
  /**
   * After each evaluation, the noise-free objective value of the trial with the
   * best observed (told) value so far: what a user would deploy. On a noise-free
   * problem that is simply the best finite value. null until the first finite one.
   */
  readonly bestSoFar: readonly (number | null)[];
  /** Wall-clock milliseconds of each ask. */
  readonly askMs: readonly number[];
  /** Evaluations that diverged (NaN) and were told as failed trials. */
  readonly failed: number;
  /** How many of the first asks were the paired initial design (see paired-starts.ts). */
  readonly pairedStart: number;
  /** Wall-clock milliseconds of the whole study, asks, evaluations and tells. */
  readonly wallMs: number;
  /**
   * CPU milliseconds of the process over the study: unlike wallMs, barely
   * changed by other work on the machine, so runtime projections use it.
   */
  readonly cpuMs: number;
  /**
   * bayestune-gp only: the observation noise its objective model had learned at
   * the budget (`study.objectiveModel().noiseStd`, in the objective's units).
   */
  readonly fittedNoiseStd?: number;
}

/** Ask latencies of one engine after `history` told trials. */
export interface LatencyRecord {
  readonly engine: string;
  readonly problem: string;
  readonly history: number;
  readonly askMs: readonly number[];
}

/** Engines in the order the report lists them. */
export const ENGINE_ORDER = ["bayestune-gp", "optuna-gp", "optuna-tpe", "sobol", "random"] as const;
