import type { Params } from "../space/search-space.js";

export type Direction = "minimize" | "maximize";
export type TrialState = "running" | "complete" | "failed";

/** A frozen snapshot of one trial; the study never hands out its own records. */
export interface Trial {
  /** Dense, unique, from 0 in creation order. */
  readonly number: number;
  /** Decoded values: a log parameter in its own units, an int an integer. */
  readonly params: Readonly<Params>;
  readonly state: TrialState;
  /** The objective as told; set when complete. */
  readonly value?: number;
  /** Why the trial failed; set when failed. */
  readonly reason?: string;
  /** "enqueued" for a configuration the user asked for, "sampler" otherwise. */
  readonly source: "sampler" | "enqueued";
}

/** What `tell` accepts: a finished value, or a failure with its reason. */
export type TellOutcome = number | { readonly state: "failed"; readonly reason: string };
