/*
 * What a step costs, as a function of the params: a step at batch 256 takes
 * longer than at batch 16, and a wider model longer than a narrow one. A GP over
 * the params of log(seconds per step), fitted to the trials' measured times, so
 * that a multi-fidelity decision can spend by GPU-seconds, not by steps. Logs:
 * costs are positive and vary by factors, and a factor error weighs the same at
 * 0.01 s and at 1 s per step.
 */
import { InvalidArgumentError } from "../errors.js";
import { fitGP } from "../gp/fit.js";
import type { GaussianProcess } from "../gp/gaussian-process.js";
import type { EncodedDim } from "../space/encoded-dim.js";

/** One measured run: the configuration (encoded), the steps it trained and the seconds they took. */
export interface CostObservation {
  readonly x: Float64Array;
  readonly steps: number;
  readonly seconds: number;
}

/** Predicted seconds per step at a configuration: the median (exp of the log mean) and a central 90% interval. */
export interface CostPrediction {
  readonly secondsPerStep: number;
  readonly interval: readonly [number, number];
}

const Z90 = 1.6448536269514722;

export class CostModel {
  readonly #gp: GaussianProcess;

  private constructor(gp: GaussianProcess) {
    this.#gp = gp;
  }

  /**
   * @throws InvalidArgumentError without at least one observation, or for a
   *   non-positive or non-finite step count or time.
   */
  static fit(dims: readonly EncodedDim[], observations: readonly CostObservation[]): CostModel {
    if (observations.length < 1) throw new InvalidArgumentError("a cost model needs at least one measured run, got none");
    for (const [i, o] of observations.entries()) {
      if (!(o.steps > 0 && Number.isFinite(o.steps) && o.seconds > 0 && Number.isFinite(o.seconds))) {
        throw new InvalidArgumentError(`run ${i} must have positive, finite steps and seconds, got ${o.steps} steps in ${o.seconds} s`);
      }
    }
    const y = Float64Array.from(observations, (o) => Math.log(o.seconds / o.steps));
    return new CostModel(fitGP(observations.map((o) => o.x), y, { dims }));
  }

  predict(xs: readonly Float64Array[]): CostPrediction[] {
    const { mean, variance } = this.#gp.predict(xs);
    return xs.map((_, k) => {
      const half = Z90 * Math.sqrt(variance[k]!);
      const at = (t: number): number => Math.exp(this.#gp.fromModelUnits(t));
      return { secondsPerStep: at(mean[k]!), interval: [at(mean[k]! - half), at(mean[k]! + half)] };
    });
  }
}
