import type { Sampler, SamplerContext } from "./sampler.js";

/** Independent uniform draws in the unit cube, snapped to the space's grid. */
export class RandomSampler implements Sampler {
  readonly name = "random";

  sample(context: SamplerContext, q: number): Float64Array[] {
    const d = context.space.dimension;
    const points: Float64Array[] = [];
    for (let i = 0; i < q; i++) {
      const u = new Float64Array(d);
      for (let j = 0; j < d; j++) u[j] = context.rng.uniform();
      points.push(context.space.snap(u));
    }
    return points;
  }
}
