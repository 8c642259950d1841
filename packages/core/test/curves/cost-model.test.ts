import { describe, expect, it } from "vitest";
import { CostModel } from "../../src/curves/cost-model.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { Rng } from "../../src/rng.js";
import { SearchSpace } from "../../src/space/search-space.js";

const space = SearchSpace.from({ batch_size: { type: "int", low: 8, high: 256, log: true }, dropout: { type: "float", low: 0, high: 0.3 } });
/** Seconds per step grow with the batch (sublinearly, as a GPU's do); dropout costs nothing. */
const truth = (batch: number): number => 0.002 * batch ** 0.8;

describe("CostModel (seconds per step over the params)", () => {
  it("learns the cost of configurations it has not measured from those it has, to a few percent, with intervals that hold them", () => {
    const rng = new Rng(4);
    const draw = () => space.decode(Float64Array.of(rng.uniform(), rng.uniform()));
    const measured = Array.from({ length: 24 }, draw).map((p) => {
      const steps = 50 + rng.int(400);
      // ±3% timing noise per run.
      return { x: space.encode(p), steps, seconds: steps * truth(p["batch_size"] as number) * (1 + 0.03 * (2 * rng.uniform() - 1)) };
    });
    const model = CostModel.fit(space.dims, measured);
    const unseen = Array.from({ length: 12 }, draw);
    const predictions = model.predict(unseen.map((p) => space.encode(p)));
    let inside = 0;
    predictions.forEach((prediction, k) => {
      const actual = truth(unseen[k]!["batch_size"] as number);
      expect(Math.abs(prediction.secondsPerStep / actual - 1)).toBeLessThan(0.08);
      if (prediction.interval[0] < actual && actual < prediction.interval[1]) inside++;
    });
    // Central 90% intervals: about 11 of 12 hold the truth; 9 or more is what a calibrated model gives 97% of the time.
    expect(inside).toBeGreaterThanOrEqual(9);
    // The costliest configuration costs many times the cheapest: the model must tell them apart.
    const sorted = predictions.map((p) => p.secondsPerStep).sort((a, b) => a - b);
    expect(sorted.at(-1)! / sorted[0]!).toBeGreaterThan(3);
  });

  it("refuses no runs, and a run without positive finite steps or seconds", () => {
    expect(() => CostModel.fit(space.dims, [])).toThrow(InvalidArgumentError);
    expect(() => CostModel.fit(space.dims, [{ x: Float64Array.of(0.5, 0.5), steps: 0, seconds: 1 }])).toThrow(/positive, finite/);
    expect(() => CostModel.fit(space.dims, [{ x: Float64Array.of(0.5, 0.5), steps: 10, seconds: Number.NaN }])).toThrow(InvalidArgumentError);
  });
});
