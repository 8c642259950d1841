import { describe, expect, it } from "vitest";
import { createStudy, float, categorical, InvalidArgumentError, Rng, type Params } from "../../src/index.js";

/** A study with n told trials of a smooth function of two floats and a categorical. */
async function toldStudy(n: number, direction: "minimize" | "maximize" = "minimize") {
  const study = createStudy({ space: { a: float(0, 1), b: float(1e-3, 1, { log: true }), c: categorical(["x", "y"]) }, sampler: "random", seed: 5, direction });
  for (let i = 0; i < n; i++) {
    const trial = await study.ask();
    const p = trial.params as { a: number; b: number; c: string };
    await study.tell(trial.number, (p.a - 0.3) ** 2 + Math.log10(p.b) ** 2 / 4 + (p.c === "y" ? 0.5 : 0));
  }
  return study;
}

describe("Study.objectiveModel", () => {
  it("gives predict's objective: the same mean and std, and a mean-only path that agrees with it past one block of points", async () => {
    for (const direction of ["minimize", "maximize"] as const) {
      const study = await toldStudy(30, direction);
      // 600 points: more than the mean-only path's block of 256.
      const points: Params[] = Array.from({ length: 600 }, (_, i) => ({ a: (i % 37) / 36, b: 10 ** (-3 * ((i % 11) / 10)), c: i % 2 === 0 ? "x" : "y" }));
      const model = study.objectiveModel();
      const expected = study.predict(points).map((p) => p.objective);
      const both = model.predict(points);
      const means = model.mean(points);
      for (let i = 0; i < points.length; i++) {
        expect(both[i]!.mean).toBeCloseTo(expected[i]!.mean, 9);
        expect(both[i]!.std).toBeCloseTo(expected[i]!.std, 9);
        expect(means[i]).toBeCloseTo(expected[i]!.mean, 9);
      }
    }
  });

  it("refuses too few trials and an objective that does not exist", async () => {
    await expect(async () => (await toldStudy(1)).objectiveModel()).rejects.toThrow(/at least 2 complete trials/);
    const study = await toldStudy(5);
    expect(() => study.objectiveModel(1)).toThrow(InvalidArgumentError);
  });
});

describe("the noise the objective model learns", () => {
  /** A loss-like surface of range about 1.3 over three floats, told at n Sobol points with Gaussian noise of std `noise`. */
  async function lossStudy(n: number, noise: number) {
    const study = createStudy({ space: { lr: float(0, 1), warmup: float(0, 1), dropout: float(0, 1) }, sampler: "sobol", seed: 7 });
    const rng = new Rng(n);
    for (let i = 0; i < n; i++) {
      const trial = await study.ask();
      const p = trial.params as { lr: number; warmup: number; dropout: number };
      const loss = 2.2 + 1.5 * (p.lr - 0.35) ** 2 + 0.4 * (p.warmup - 0.6) ** 2 + 0.2 * Math.sin(3 * p.dropout);
      await study.tell(trial.number, loss + noise * rng.normal());
    }
    return study;
  }

  it("is near zero for a noise-free objective, so the model interpolates its trials", async () => {
    const study = await lossStudy(80, 0);
    // 1e-3 of the objective's range; the old log-normal noise prior settled at 2.8e-3 here.
    expect(study.objectiveModel().noiseStd).toBeLessThan(1.3e-3);
  });

  it("is the seed-to-seed spread of a noisy training loss (std 1e-2), not smoothed away", async () => {
    const study = await lossStudy(80, 1e-2);
    const { noiseStd } = study.objectiveModel();
    expect(noiseStd).toBeGreaterThan(0.5e-2);
    expect(noiseStd).toBeLessThan(2e-2);
  });
});
