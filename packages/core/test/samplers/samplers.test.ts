import { describe, expect, it } from "vitest";
import { Rng } from "../../src/rng.js";
import { GPSampler } from "../../src/samplers/gp-sampler.js";
import { RandomSampler } from "../../src/samplers/random-sampler.js";
import type { ObservedTrial, SamplerContext } from "../../src/samplers/sampler.js";
import { SobolSampler } from "../../src/samplers/sobol-sampler.js";
import { SobolSequence } from "../../src/sobol/sobol-sequence.js";
import { categorical, float, int } from "../../src/space/param-builders.js";
import { SearchSpace } from "../../src/space/search-space.js";

const space = SearchSpace.from({ a: float(0, 1), b: int(1, 9), c: categorical(["x", "y", "z"]) });
const context = (trials: ObservedTrial[], seed = 0): SamplerContext => ({ space, trials, rng: new Rng(seed) });

describe("RandomSampler", () => {
  it("returns snapped points of the space, reproducible from the RNG", () => {
    const a = new RandomSampler().sample(context([], 4), 20);
    const b = new RandomSampler().sample(context([], 4), 20);
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    for (const x of a) {
      expect(Array.from(space.snap(x))).toEqual(Array.from(x));
      expect(space.contains(space.decode(x))).toBe(true);
    }
  });
});

describe("SobolSampler", () => {
  it("gives trial i the i-th scrambled Sobol point, whatever was asked before", () => {
    const reference = new SobolSequence(3, { seed: 7 }).draw(6).map((u) => Array.from(space.snap(u)));
    const sampler = new SobolSampler(7);
    const history: ObservedTrial[] = [];
    const firstTwo = sampler.sample(context(history), 2);
    history.push(...firstTwo.map((x) => ({ x, state: "running" as const })));
    const nextFour = new SobolSampler(7).sample(context(history), 4);
    expect([...firstTwo, ...nextFour].map((x) => Array.from(x))).toEqual(reference);
  });
});

describe("GPSampler", () => {
  it("uses the Sobol design for the first nInitial trials, then the model", () => {
    const sampler = new GPSampler(3, { nInitial: 4 });
    const sobol = new SobolSampler(3);
    const design = sampler.sample(context([]), 4);
    expect(design.map((x) => Array.from(x))).toEqual(sobol.sample(context([]), 4).map((x) => Array.from(x)));
    const told: ObservedTrial[] = design.map((x) => ({ x, state: "complete", y: (x[0]! - 0.7) ** 2 + x[1]! }));
    const next = sampler.sample(context(told), 1)[0]!;
    // Not the fifth Sobol point: the GP chose it.
    const fifth = new SobolSampler(3).sample(context(told), 1)[0]!;
    expect(Array.from(next)).not.toEqual(Array.from(fifth));
    expect(Array.from(space.snap(next))).toEqual(Array.from(next));
  });

  it("keeps to the Sobol design while fewer than two trials are complete", () => {
    const sampler = new GPSampler(0, { nInitial: 2 });
    const design = sampler.sample(context([]), 3);
    const trials: ObservedTrial[] = [
      { x: design[0]!, state: "failed" },
      { x: design[1]!, state: "complete", y: 1 },
      { x: design[2]!, state: "running" },
    ];
    const next = sampler.sample(context(trials), 1)[0]!;
    expect(Array.from(next)).toEqual(Array.from(new SobolSampler(0).sample(context(trials), 1)[0]!));
  });
});
