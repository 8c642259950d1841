import type { Params } from "../space/search-space.js";

export type Direction = "minimize" | "maximize";
/** "pruned": stopped early by a pruning rule; finished, but neither a result at the full budget nor a failure. */
export type TrialState = "running" | "complete" | "failed" | "pruned";

/** A frozen snapshot of one trial; the study never hands out its own records. */
export interface Trial {
  /** Dense, unique, from 0 in creation order. */
  readonly number: number;
  /** Decoded values: a log parameter in its own units, an int an integer. */
  readonly params: Readonly<Params>;
  readonly state: TrialState;
  /** The objective as told; set when complete. */
  readonly value?: number;
  /** A multi-objective study's objectives as told, in the order of its directions; set when complete. */
  readonly values?: readonly number[];
  /** Why the trial failed; set when failed. */
  readonly reason?: string;
  /** The constraint metrics as told, keyed by constraint name; set when complete in a constrained study. */
  readonly constraints?: Readonly<Record<string, number>>;
  /** Whether every constraint holds; set when complete in a constrained study. */
  readonly feasible?: boolean;
  /** "enqueued" for a configuration the user asked for, "sampler" otherwise. */
  readonly source: "sampler" | "enqueued";
}

/**
 * A black-box constraint: a metric each trial reports with its result, feasible
 * when `min ≤ metric ≤ max` (either bound may be left out, not both). For
 * example `{ name: "memory_gb", max: 80 }` or `{ name: "hours", max: 1 }`.
 */
export interface ConstraintSpec {
  readonly name: string;
  readonly min?: number;
  readonly max?: number;
}

/**
 * What `tell` accepts: a finished value; a value with the study's constraint
 * metrics; a multi-objective study's values (one per direction), with its
 * constraint metrics; a failure with its reason; or a pruned trial (stopped early:
 * samplers neither model its partial result nor avoid its region).
 */
export type TellOutcome =
  | number
  | { readonly value: number; readonly constraints?: Readonly<Record<string, number>> }
  | { readonly values: readonly number[]; readonly constraints?: Readonly<Record<string, number>> }
  | { readonly state: "failed"; readonly reason: string }
  | { readonly state: "pruned" };
