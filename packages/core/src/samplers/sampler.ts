import type { Rng } from "../rng.js";
import type { SearchSpace } from "../space/search-space.js";

/** What a sampler knows of one trial: its encoded point and, when finished, its outcome. */
export interface ObservedTrial {
  /** Encoded, snapped point in the unit cube (length d). */
  readonly x: Float64Array;
  /** "pruned": stopped early; neither pending nor observed. */
  readonly state: "running" | "complete" | "failed" | "pruned";
  /** Objective to minimise (the study negates it for "maximize"); set when complete. */
  readonly y?: number;
  /** A multi-objective study's objectives, each to minimise; set when complete (`y` is then unset). */
  readonly objectives?: Float64Array;
  /**
   * Black-box constraint values of a complete trial, one per constraint of the
   * study in its order, each feasible when ≤ 0 (the study turns `metric ≤ max`
   * into metric − max). NaN where the trial did not report one.
   */
  readonly constraints?: Float64Array;
}

/** Whether a complete trial satisfies every constraint it reported. */
export function isFeasible(trial: ObservedTrial): boolean {
  return trial.constraints === undefined || trial.constraints.every((c) => !(c > 0));
}

/** Everything a sampler may use: a sampler is a pure function of this context. */
export interface SamplerContext {
  readonly space: SearchSpace;
  /** Every trial of the study so far, in creation order (running ones are pending points). */
  readonly trials: readonly ObservedTrial[];
  /** Seeded from (study seed, history length): the same history gives the same draws. */
  readonly rng: Rng;
  /** Known constraints: a sampler proposes only (encoded, snapped) points where this holds. @defaultValue every point */
  readonly allowed?: (x: Float64Array) => boolean;
}

/**
 * A sampler proposes q new points given the history. Implementations must be
 * deterministic given the context and their state: what they carry from one ask
 * to the next (a GP sampler's last hyperparameters, which warm-start its next
 * fit) changes what they propose, so they hand it out with `exportState` and a
 * study rebuilt from its store hands it back with `importState`.
 */
export interface Sampler {
  readonly name: string;
  /** Returns q encoded, snapped points (q × d). */
  sample(context: SamplerContext, q: number): Float64Array[];
  /** The state after the last `sample` (JSON-serialisable); absent for stateless samplers. */
  exportState?(): unknown;
  /** Continues from a state `exportState` returned; throws InvalidArgumentError for anything else. */
  importState?(state: unknown): void;
}
