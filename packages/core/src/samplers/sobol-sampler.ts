import { SobolSequence } from "../sobol/sobol-sequence.js";
import type { Sampler, SamplerContext } from "./sampler.js";

/**
 * The scrambled Sobol sequence, indexed by the number of trials so far, so the
 * i-th trial of a study always gets the i-th point whatever happened before it.
 */
export class SobolSampler implements Sampler {
  readonly name = "sobol";
  private sequence: SobolSequence | undefined;
  private drawn: Float64Array[] = [];

  /** @param seed scrambles the sequence; studies with the same seed share it. */
  constructor(private readonly seed: number) {}

  sample(context: SamplerContext, q: number): Float64Array[] {
    return this.points(context.space.dimension, context.trials.length, q).map((u) => context.space.snap(u));
  }

  /** Sobol points [start, start + q) of dimension d. */
  points(d: number, start: number, q: number): Float64Array[] {
    if (this.sequence === undefined || this.drawn[0]?.length !== d) {
      this.sequence = new SobolSequence(d, { seed: this.seed, scramble: true });
      this.drawn = [];
    }
    while (this.drawn.length < start + q) this.drawn.push(this.sequence.next());
    return this.drawn.slice(start, start + q);
  }
}
