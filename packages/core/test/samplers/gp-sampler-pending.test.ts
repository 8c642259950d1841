import { describe, expect, it } from "vitest";
import { Rng } from "../../src/rng.js";
import { GPSampler } from "../../src/samplers/gp-sampler.js";
import type { ObservedTrial, SamplerContext } from "../../src/samplers/sampler.js";
import { SobolSequence } from "../../src/sobol/sobol-sequence.js";
import { float } from "../../src/space/param-builders.js";
import { SearchSpace } from "../../src/space/search-space.js";

const space = SearchSpace.from({ a: float(0, 1), b: float(0, 1) });
/** Two basins: the deeper at (0.2, 0.3), a shallower one at (0.75, 0.8). */
const f = (x: Float64Array): number =>
  -Math.exp(-((x[0]! - 0.2) ** 2 + (x[1]! - 0.3) ** 2) / 0.02) - 0.6 * Math.exp(-((x[0]! - 0.75) ** 2 + (x[1]! - 0.8) ** 2) / 0.02);

const told: ObservedTrial[] = new SobolSequence(2, { seed: 7 }).draw(24).map((x) => ({ x, state: "complete", y: f(x) }));
/** Twelve running trials packed around the deeper basin's minimum. */
const pendingRng = new Rng(11);
const running: ObservedTrial[] = Array.from({ length: 12 }, () => ({
  x: Float64Array.of(0.2 + 0.06 * (pendingRng.uniform() - 0.5), 0.3 + 0.06 * (pendingRng.uniform() - 0.5)),
  state: "running",
}));
const context = (seed: number): SamplerContext => ({ space, trials: [...told, ...running], rng: new Rng(seed) });
const distance = (a: Float64Array, b: Float64Array): number => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);

describe("GPSampler with many running trials", () => {
  const proposals = [0, 1, 2, 3].map((seed) => new GPSampler(seed, { nInitial: 5 }).sample(context(seed), 1)[0]!);

  it("still proposes where the model expects low values, not anywhere", () => {
    // A quarter of the square lies below this value; a uniform draw would land above it three times in four.
    const uniform = new SobolSequence(2, { seed: 3 }).draw(1024).map(f).sort((a, b) => a - b);
    const lowerQuartile = uniform[256]!;
    for (const x of proposals) expect(f(x)).toBeLessThan(lowerQuartile);
  });

  it("does not hand out a running trial's point again", () => {
    for (const x of proposals) for (const p of running) expect(distance(x, p.x)).toBeGreaterThan(1e-3);
  });

  it("proposes the same point for the same history and seed", () => {
    const again = new GPSampler(2, { nInitial: 5 }).sample(context(2), 1)[0]!;
    expect(Array.from(again)).toEqual(Array.from(proposals[2]!));
  });
});
