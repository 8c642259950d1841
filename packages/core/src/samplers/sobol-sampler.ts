import { SobolSequence } from "../sobol/sobol-sequence.js";
import { MAX_REJECTIONS, nothingAllowed } from "./random-sampler.js";
import type { Sampler, SamplerContext } from "./sampler.js";

/**
 * The scrambled Sobol sequence, indexed by the number of trials so far, so the
 * i-th trial of a study always gets the i-th point whatever happened before it.
 * Under known constraints it is the i-th point the constraints allow.
 */
export class SobolSampler implements Sampler {
  readonly name = "sobol";
  private sequence: SobolSequence | undefined;
  private drawn: Float64Array[] = [];

  /** @param seed scrambles the sequence; studies with the same seed share it. */
  constructor(private readonly seed: number) {}

  sample(context: SamplerContext, q: number): Float64Array[] {
    const { space, allowed } = context;
    const start = context.trials.length;
    if (allowed === undefined) return this.points(space.dimension, start, q).map((u) => space.snap(u));
    const kept: Float64Array[] = [];
    let rejectedInARow = 0;
    for (let index = 0; kept.length < start + q; index++) {
      const x = space.snap(this.points(space.dimension, index, 1)[0]!);
      if (allowed(x)) {
        kept.push(x);
        rejectedInARow = 0;
      } else if (++rejectedInARow === MAX_REJECTIONS) {
        throw nothingAllowed(MAX_REJECTIONS, "Sobol");
      }
    }
    return kept.slice(start);
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
