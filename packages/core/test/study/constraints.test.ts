import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import { Rng } from "../../src/rng.js";
import { GPSampler } from "../../src/samplers/gp-sampler.js";
import type { ObservedTrial } from "../../src/samplers/sampler.js";
import { float, int } from "../../src/space/param-builders.js";
import { compileParamPredicate } from "../../src/space/param-predicate.js";
import { SearchSpace } from "../../src/space/search-space.js";
import { createStudy } from "../../src/study/study.js";

const unit = { x: float(0, 1), y: float(0, 1) };

describe("a study with black-box constraints", () => {
  it("never returns an infeasible trial as the best, however good its value", async () => {
    const study = createStudy({ space: unit, sampler: "random", constraints: [{ name: "memory_gb", max: 80 }, { name: "hours", min: 0.1, max: 1 }] });
    const [a, b, c] = await study.askBatch(3);
    await study.tell(a!.number, { value: 0.1, constraints: { memory_gb: 95, hours: 0.5 } });
    await study.tell(b!.number, { value: 0.5, constraints: { memory_gb: 60, hours: 0.5 } });
    await study.tell(c!.number, { value: 0.2, constraints: { memory_gb: 70, hours: 0.05 } });
    expect(study.bestTrial?.number).toBe(b!.number);
    expect(study.feasibleCount).toBe(1);
    expect(study.trials.map((t) => t.feasible)).toEqual([false, true, false]);
    expect(study.trials[0]!.constraints).toEqual({ memory_gb: 95, hours: 0.5 });
  });

  it("says when nothing is feasible: no best trial, every complete trial marked infeasible", async () => {
    const study = createStudy({ space: unit, constraints: [{ name: "memory_gb", max: 80 }] });
    for (let i = 0; i < 4; i++) {
      const t = await study.ask();
      await study.tell(t.number, { value: i, constraints: { memory_gb: 81 + i } });
    }
    expect(study.bestTrial).toBeUndefined();
    expect(study.feasibleCount).toBe(0);
    expect(study.trials.every((t) => t.state === "complete" && t.feasible === false)).toBe(true);
  });

  it("refuses a result without its constraint metric, and a constraint without a bound, with typed errors", async () => {
    const study = createStudy({ space: unit, constraints: [{ name: "memory_gb", max: 80 }] });
    const t = await study.ask();
    await expect(study.tell(t.number, 1.5)).rejects.toThrow(/trial 0: constraint 'memory_gb' needs a finite number with the value, got null/);
    await expect(study.tell(t.number, { value: 1.5, constraints: { memory_gb: Number.NaN } })).rejects.toThrow(InvalidArgumentError);
    expect(study.trials[0]!.state).toBe("running");
    expect(() => createStudy({ space: unit, constraints: [{ name: "memory_gb" }] })).toThrow(/constraint 'memory_gb' needs a finite min or max/);
    expect(() => createStudy({ space: unit, constraints: [{ name: "hours", min: 2, max: 1 }] })).toThrow(InvalidArgumentError);
  });
});

describe("the GP sampler under constraints", () => {
  it("while nothing is feasible, heads for where feasibility is most likely", () => {
    // Feasible only where x ≥ 0.8; every trial so far sits at x ≤ 0.6.
    const space = SearchSpace.from(unit);
    const rng = new Rng(2);
    const trials: ObservedTrial[] = Array.from({ length: 10 }, () => {
      const x = Float64Array.of(0.6 * rng.uniform(), rng.uniform());
      return { x, state: "complete", y: x[1]!, constraints: Float64Array.of(0.8 - x[0]!) };
    });
    const [next] = new GPSampler(0).sample({ space, trials, rng: new Rng(5) }, 1);
    expect(next![0]).toBeGreaterThan(0.7);
  });

  // Gardner et al. (2014), problem 1: f = cos(2x)cos(y) + sin(x) subject to cos(x)cos(y) − sin(x)sin(y) ≤ 0.5 on [0, 6]².
  const gardner = (x: number, y: number): { value: number; c: number } => ({
    value: Math.cos(2 * x) * Math.cos(y) + Math.sin(x),
    c: Math.cos(x) * Math.cos(y) - Math.sin(x) * Math.sin(y),
  });
  let feasibleOptimum = Infinity;
  for (let i = 0; i <= 600; i++) {
    for (let j = 0; j <= 600; j++) {
      const { value, c } = gardner(i / 100, j / 100);
      if (c <= 0.5) feasibleOptimum = Math.min(feasibleOptimum, value);
    }
  }

  it("on Gardner's problem, beats random search on the best feasible value and wastes fewer evaluations", async () => {
    const run = async (sampler: "gp" | "random", seed: number): Promise<{ regret: number; infeasible: number }> => {
      const study = createStudy({ space: { x: float(0, 6), y: float(0, 6) }, seed, sampler, constraints: [{ name: "c", max: 0.5 }] });
      for (let i = 0; i < 30; i++) {
        const t = await study.ask();
        const { value, c } = gardner(t.params.x as number, t.params.y as number);
        await study.tell(t.number, { value, constraints: { c } });
      }
      return { regret: (study.bestTrial?.value ?? Infinity) - feasibleOptimum, infeasible: study.trials.filter((t) => t.feasible === false).length };
    };
    let gpRegret = 0;
    let randomRegret = 0;
    let gpInfeasible = 0;
    let randomInfeasible = 0;
    for (let seed = 0; seed < 3; seed++) {
      const gp = await run("gp", seed);
      const random = await run("random", seed);
      gpRegret += gp.regret;
      randomRegret += random.regret;
      gpInfeasible += gp.infeasible;
      randomInfeasible += random.infeasible;
    }
    // Measured over the 3 seeds: regret 0.92 against random search's 1.57; 10 infeasible evaluations against 31.
    expect(gpRegret).toBeLessThan(randomRegret);
    expect(gpInfeasible).toBeLessThan(randomInfeasible);
  });
});

describe("a region where runs crash", () => {
  /** Crashes per 12-trial window over 48 trials and 5 seeds; runs with x > 0.6 crash, the optimum of the rest is at (optimum, 0.5). */
  async function crashWindows(optimum: number): Promise<number[]> {
    const windows = [0, 0, 0, 0];
    for (let seed = 0; seed < 5; seed++) {
      const study = createStudy({ space: unit, seed });
      for (let i = 0; i < 48; i++) {
        const t = await study.ask();
        const x = t.params.x as number;
        if (x > 0.6) {
          windows[Math.floor(i / 12)]!++;
          await study.tell(t.number, { state: "failed", reason: "out-of-memory" });
        } else {
          await study.tell(t.number, (x - optimum) ** 2 + ((t.params.y as number) - 0.5) ** 2);
        }
      }
    }
    return windows;
  }

  it("is rarely proposed after the initial design when the optimum sits at its edge (as the best batch size next to the memory limit)", async () => {
    // Measured: 13, 2, 2, 3 crashes (12, 3, 2, 2 with the log-normal noise prior
    // used before; 13, 2, 7, 6 without the failure model's probability threshold).
    const windows = await crashWindows(0.55);
    for (let w = 1; w < windows.length; w++) expect(windows[w]).toBeLessThanOrEqual(windows[0]! / 4);
    expect(windows[3]).toBeLessThanOrEqual(3);
  });

  it("is proposed less in the second half of a run than in the first when the optimum is far from it", async () => {
    // Measured: 10, 3, 5, 3 (10, 5, 7, 10 without the threshold): after the design, the count stays low but not monotone.
    const windows = await crashWindows(0.2);
    expect(windows[0]).toBeGreaterThan(Math.max(...windows.slice(1)));
    expect(windows[2]! + windows[3]!).toBeLessThan(windows[0]! + windows[1]!);
  });
});

describe("known constraints", () => {
  const space = SearchSpace.from({ batch_size: int(8, 512, { log: true }), seq_len: int(128, 4096, { log: true }), lr: float(1e-5, 1e-2, { log: true }) });
  // Activation memory grows with batch × sequence: only 1/4-ish of the space fits.
  const fits = compileParamPredicate(["batch_size * seq_len <= 65536"], space);

  it("compiles expressions over the params, all of which must hold", () => {
    const both = compileParamPredicate(["batch_size * seq_len <= 65536", "lr < 0.001 or batch_size >= 64"], space);
    expect(both({ batch_size: 64, seq_len: 1024, lr: 5e-3 })).toBe(true);
    expect(both({ batch_size: 32, seq_len: 1024, lr: 5e-3 })).toBe(false);
    expect(both({ batch_size: 128, seq_len: 1024, lr: 1e-4 })).toBe(false);
  });

  it("refuses a syntax error, an unknown name and a non-boolean with errors naming the expression", () => {
    expect(() => compileParamPredicate(["batch_size <="], space)).toThrow(/known constraint "batch_size <=" does not parse/);
    expect(() => compileParamPredicate(["batchsize * seq_len <= 65536"], space)).toThrow(
      /known constraint "batchsize \* seq_len <= 65536": Property “batchsize” does not exist\. \(the parameters are batch_size, seq_len, lr\)/,
    );
    expect(() => compileParamPredicate(["batch_size * seq_len"], space)).toThrow(/must be a comparison that is true or false, got/);
  });

  for (const sampler of ["sobol", "random", "gp"] as const) {
    it(`never proposes a point that breaks them (${sampler})`, async () => {
      const study = createStudy({ space, seed: 4, sampler, feasibleIf: fits });
      for (let i = 0; i < 25; i++) {
        const [t] = await study.askBatch(1);
        expect(fits(t!.params), JSON.stringify(t!.params)).toBe(true);
        await study.tell(t!.number, Math.log10(t!.params.lr as number) + 0.001 * (t!.params.batch_size as number));
      }
    });
  }

  it("gives the Sobol sampler's i-th trial the i-th allowed point", async () => {
    const all = createStudy({ space, seed: 4, sampler: "sobol" });
    const allowed = (await all.askBatch(40)).map((t) => t.params).filter(fits);
    const study = createStudy({ space, seed: 4, sampler: "sobol", feasibleIf: fits });
    const first = await study.askBatch(3);
    const next = await study.askBatch(2);
    expect([...first, ...next].map((t) => t.params)).toEqual(allowed.slice(0, 5));
  });

  it("says so when they exclude the whole space, and catches a sampler that ignores them", async () => {
    const never = compileParamPredicate(["batch_size > 1000"], space);
    await expect(createStudy({ space, sampler: "random", feasibleIf: never }).ask()).rejects.toThrow(/rejected 10000 random points in a row/);
    const careless = { name: "careless", sample: () => [space.encode({ batch_size: 512, seq_len: 4096, lr: 1e-3 })] };
    await expect(createStudy({ space, sampler: careless, feasibleIf: fits }).ask()).rejects.toThrow(/sampler "careless" proposed params that break the known constraints/);
  });
});

describe("Study.predict: how sure the model is", () => {
  it("predicts the objective and a constraint metric with their uncertainty, and the probability each holds", async () => {
    // memory_gb = 100·x; the limit 50 holds for x ≤ 0.5. Loss is (x − 0.7)², so the optimum breaks it.
    const study = createStudy({ space: unit, seed: 2, sampler: "sobol", constraints: [{ name: "memory_gb", max: 50 }] });
    for (let i = 0; i < 24; i++) {
      const t = await study.ask();
      const x = t.params.x as number;
      await study.tell(t.number, { value: (x - 0.7) ** 2, constraints: { memory_gb: 100 * x } });
    }
    const [low, high, told] = study.predict([{ x: 0.2, y: 0.5 }, { x: 0.9, y: 0.5 }, study.trials[3]!.params]);
    expect(low!.objective.mean).toBeCloseTo(0.25, 1);
    expect(high!.objective.mean).toBeCloseTo(0.04, 1);
    expect(low!.constraints["memory_gb"]!.mean).toBeCloseTo(20, -1);
    expect(high!.constraints["memory_gb"]!.mean).toBeCloseTo(90, -1);
    expect(low!.constraints["memory_gb"]!.probability).toBeGreaterThan(0.95);
    expect(high!.constraints["memory_gb"]!.probability).toBeLessThan(0.05);
    expect(low!.pNoFailure).toBe(1);
    expect(low!.pFeasible).toBe(low!.constraints["memory_gb"]!.probability);
    // At a trial the model has seen, it is sure: a small std, close to the told value.
    expect(told!.objective.std).toBeLessThan(0.05);
    expect(told!.objective.mean).toBeCloseTo(study.trials[3]!.value!, 1);
    expect(told!.objective.std).toBeLessThan(low!.objective.std + 0.05);
  });

  it("reports a maximised objective in its own sign, the failure probability, and needs two complete trials", async () => {
    const study = createStudy({ space: unit, seed: 1, sampler: "sobol", direction: "maximize" });
    expect(() => study.predict([{ x: 0.5, y: 0.5 }])).toThrow(/predict needs at least 2 complete trials/);
    for (let i = 0; i < 20; i++) {
      const t = await study.ask();
      const x = t.params.x as number;
      if (x > 0.7) await study.tell(t.number, { state: "failed", reason: "out-of-memory" });
      else await study.tell(t.number, 10 + x);
    }
    const [safe, crashing] = study.predict([{ x: 0.3, y: 0.5 }, { x: 0.95, y: 0.5 }]);
    expect(safe!.objective.mean).toBeCloseTo(10.3, 0);
    expect(safe!.pNoFailure).toBeGreaterThan(0.8);
    expect(crashing!.pNoFailure).toBeLessThan(0.2);
    expect(crashing!.pFeasible).toBe(crashing!.pNoFailure);
  });
});
