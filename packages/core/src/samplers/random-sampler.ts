import { InvalidArgumentError } from "../errors.js";
import type { Sampler, SamplerContext } from "./sampler.js";

/** Draws before concluding that the known constraints leave (almost) nothing to propose. */
export const MAX_REJECTIONS = 10_000;

/** Independent uniform draws in the unit cube, snapped to the space's grid; rejection sampling under known constraints. */
export class RandomSampler implements Sampler {
  readonly name = "random";

  sample(context: SamplerContext, q: number): Float64Array[] {
    const d = context.space.dimension;
    const points: Float64Array[] = [];
    for (let i = 0; i < q; i++) {
      for (let attempt = 0; ; attempt++) {
        if (attempt === MAX_REJECTIONS) throw nothingAllowed(MAX_REJECTIONS, "random");
        const u = new Float64Array(d);
        for (let j = 0; j < d; j++) u[j] = context.rng.uniform();
        const x = context.space.snap(u);
        if (context.allowed === undefined || context.allowed(x)) {
          points.push(x);
          break;
        }
      }
    }
    return points;
  }
}

/** The error for known constraints that rejected every one of `tried` points in a row. */
export function nothingAllowed(tried: number, kind: string): InvalidArgumentError {
  return new InvalidArgumentError(`the known constraints rejected ${tried} ${kind} points in a row: they leave (almost) none of the space to try`);
}
