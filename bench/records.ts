/** What one engine did on one problem with one seed. */
export interface RunRecord {
  readonly engine: string;
  readonly problem: string;
  readonly seed: number;
  /** The best finite objective value after each evaluation; null until the first finite one. */
  readonly bestSoFar: readonly (number | null)[];
  /** Wall-clock milliseconds of each ask. */
  readonly askMs: readonly number[];
  /** Evaluations that diverged (NaN) and were told as failed trials. */
  readonly failed: number;
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
