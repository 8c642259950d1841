import { describe, expect, it, vi } from "vitest";
import { InvalidArgumentError, InvalidParamsError, TrialStateError } from "../../src/errors.js";
import { categorical, float, int } from "../../src/space/param-builders.js";
import { createStudy, type StudyOptions } from "../../src/study/study.js";

const llmSpace = {
  lr: float(1e-6, 1e-2, { log: true }),
  batchSize: int(8, 512, { log: true }),
  warmupSteps: int(0, 2000),
  optimizer: categorical(["adamw", "lion"]),
};

function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}
const BRANIN_MIN = 0.397887;

async function runBranin(options: Partial<StudyOptions>, budget: number): Promise<number> {
  const study = createStudy({ space: { x1: float(-5, 10), x2: float(0, 15) }, seed: 1, ...options });
  for (let i = 0; i < budget; i++) {
    const trial = await study.ask();
    await study.tell(trial.number, branin(trial.params.x1 as number, trial.params.x2 as number));
  }
  return study.bestTrial?.value ?? Infinity;
}

describe("Study ask/tell", () => {
  it("hands out decoded params: log floats in range, ints as integers, known choices", async () => {
    const study = createStudy({ space: llmSpace, seed: 3 });
    for (let i = 0; i < 15; i++) {
      const { number, params } = await study.ask();
      expect(params.lr).toBeGreaterThanOrEqual(1e-6);
      expect(params.lr).toBeLessThanOrEqual(1e-2);
      expect(Number.isInteger(params.batchSize)).toBe(true);
      expect(Number.isInteger(params.warmupSteps)).toBe(true);
      expect(["adamw", "lion"]).toContain(params.optimizer);
      await study.tell(number, Math.log10(params.lr as number) ** 2 + (params.optimizer === "lion" ? 0 : 1));
    }
    // A log parameter spreads over decades: the initial design does not crowd into the top decade.
    const lrs = study.trials.map((t) => t.params.lr as number);
    expect(lrs.filter((lr) => lr < 1e-4).length).toBeGreaterThanOrEqual(4);
  });

  it("numbers trials densely from 0 and keeps them as frozen snapshots", async () => {
    const study = createStudy({ space: llmSpace, sampler: "random" });
    const batch = await study.askBatch(3);
    expect(batch.map((t) => t.number)).toEqual([0, 1, 2]);
    const snapshot = study.trials[0];
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(() => {
      (snapshot?.params as Record<string, unknown>).lr = 1;
    }).toThrow();
    expect(study.trials[0]?.params.lr).not.toBe(1);
    expect(study.trial(2)).toEqual(study.trials[2]);
    expect(Object.isFrozen(study.trial(2))).toBe(true);
    expect(study.trial(3)).toBeUndefined();
  });

  it("refuses to tell a finished trial again, or an unknown one, with typed errors", async () => {
    const study = createStudy({ space: llmSpace, sampler: "random" });
    const { number } = await study.ask();
    await study.tell(number, 1.5);
    await expect(study.tell(number, 1.0)).rejects.toMatchObject({ code: "TRIAL_ALREADY_FINISHED" });
    await expect(study.tell(number, 1.0)).rejects.toBeInstanceOf(TrialStateError);
    await expect(study.tell(7, 1.0)).rejects.toMatchObject({ code: "UNKNOWN_TRIAL" });
    expect(study.trials[0]?.value).toBe(1.5);
  });

  it("turns a NaN or infinite value into a failed trial with a warning", async () => {
    const onWarning = vi.fn();
    const study = createStudy({ space: llmSpace, sampler: "random", onWarning });
    const a = await study.ask();
    const b = await study.ask();
    const failedA = await study.tell(a.number, Number.NaN);
    const failedB = await study.tell(b.number, Number.POSITIVE_INFINITY);
    expect(failedA).toMatchObject({ state: "failed", reason: "non-finite objective: NaN" });
    expect(failedB.state).toBe("failed");
    expect(onWarning).toHaveBeenCalledTimes(2);
    expect(study.bestTrial).toBeUndefined();
  });

  it("records an explicit failure with its reason", async () => {
    const study = createStudy({ space: llmSpace, sampler: "random" });
    const { number } = await study.ask();
    const trial = await study.tell(number, { state: "failed", reason: "CUDA out of memory" });
    expect(trial).toMatchObject({ state: "failed", reason: "CUDA out of memory" });
  });

  it("records a pruned trial as finished: not pending, not the best, not told again", async () => {
    const study = createStudy({ space: llmSpace, sampler: "random" });
    const [a, b] = await study.askBatch(2);
    await study.tell(a!.number, 5);
    expect(await study.tell(b!.number, { state: "pruned" })).toMatchObject({ state: "pruned", number: b!.number });
    expect(study.bestTrial?.number).toBe(a!.number);
    await expect(study.tell(b!.number, 1)).rejects.toThrow(TrialStateError);
  });

  it("hands out enqueued configurations first, exactly as given", async () => {
    const study = createStudy({ space: llmSpace, seed: 0 });
    const known = { lr: 3e-4, batchSize: 64, warmupSteps: 100, optimizer: "adamw" };
    study.enqueue(known);
    const [first, second] = await study.askBatch(2);
    expect(first).toMatchObject({ params: known, source: "enqueued" });
    expect(second?.source).toBe("sampler");
    expect(() => study.enqueue({ ...known, optimizer: "sgd" })).toThrow(InvalidParamsError);
    expect(() => study.enqueue({ ...known, batchSize: 1024 })).toThrow(/batchSize/);
  });

  it("picks the best trial for the study's direction", async () => {
    for (const direction of ["minimize", "maximize"] as const) {
      const study = createStudy({ space: llmSpace, sampler: "random", direction });
      for (const value of [3, 1, 2]) {
        const { number } = await study.ask();
        await study.tell(number, value);
      }
      expect(study.bestTrial?.value).toBe(direction === "minimize" ? 1 : 3);
    }
  });

  it("rejects bad options with clear errors", () => {
    expect(() => createStudy({ space: llmSpace, seed: 0.5 })).toThrow(InvalidArgumentError);
    expect(() => createStudy({ space: llmSpace, direction: "up" as "minimize" })).toThrow(/direction/);
    expect(() => createStudy({ space: { lr: float(0.1, 0.01) } })).toThrow(/'lr'/);
  });

  it("gives the same suggestions for the same seed and history, and others for another seed", async () => {
    const run = async (seed: number): Promise<unknown[]> => {
      const study = createStudy({ space: llmSpace, seed });
      const asked: unknown[] = [];
      for (let i = 0; i < 14; i++) {
        const t = await study.ask();
        asked.push(t.params);
        await study.tell(t.number, Math.abs(Math.log10(t.params.lr as number) + 3.5) + (t.params.batchSize as number) / 512);
      }
      return asked;
    };
    const a = await run(11);
    expect(await run(11)).toEqual(a);
    expect(await run(12)).not.toEqual(a);
  });
});

describe("GP sampler through the study", () => {
  it("finds Branin's minimum far better than random search at the same budget", async () => {
    const gp = await runBranin({}, 30);
    const random = await runBranin({ sampler: "random" }, 30);
    expect(gp - BRANIN_MIN).toBeLessThan(0.05);
    expect(gp).toBeLessThan(random);
  });

  it("proposes a diverse batch: no two points of askBatch coincide", async () => {
    const study = createStudy({ space: { x1: float(-5, 10), x2: float(0, 15) }, seed: 2 });
    for (let i = 0; i < 10; i++) {
      const t = await study.ask();
      await study.tell(t.number, branin(t.params.x1 as number, t.params.x2 as number));
    }
    const batch = await study.askBatch(4);
    for (let i = 0; i < batch.length; i++) {
      for (let j = i + 1; j < batch.length; j++) {
        const a = batch[i]?.params;
        const b = batch[j]?.params;
        const dist = Math.hypot(((a?.x1 as number) - (b?.x1 as number)) / 15, ((a?.x2 as number) - (b?.x2 as number)) / 15);
        expect(dist).toBeGreaterThan(0.01);
      }
    }
  });

  it("leaves a region where every run fails: fewer proposals there than random search, and still converges", async () => {
    // Runs with x > 0.6 crash (40% of the space); the optimum of the rest is at (0.2, 0.5).
    const lateFailures = async (sampler: "gp" | "random", seed: number): Promise<{ late: number; best: number }> => {
      const study = createStudy({ space: { x: float(0, 1), y: float(0, 1) }, seed, sampler });
      let late = 0;
      for (let i = 0; i < 40; i++) {
        const t = await study.ask();
        const x = t.params.x as number;
        const y = t.params.y as number;
        if (i >= 20 && x > 0.6) late++;
        if (x > 0.6) await study.tell(t.number, { state: "failed", reason: "crashed" });
        else await study.tell(t.number, (x - 0.2) ** 2 + (y - 0.5) ** 2);
      }
      return { late, best: study.bestTrial?.value ?? Infinity };
    };
    let gpLate = 0;
    let randomLate = 0;
    for (let seed = 0; seed < 5; seed++) {
      const gp = await lateFailures("gp", seed);
      gpLate += gp.late;
      randomLate += (await lateFailures("random", seed)).late;
      expect(gp.best).toBeLessThan(1e-4);
    }
    // Measured: 9 of the GP's 100 late proposals against random search's 39 (23 with the
    // worst-value imputation alone; 13 once the failure model multiplied in P(no failure);
    // 9 with its 0.8 threshold on top).
    expect(gpLate).toBeLessThanOrEqual(14);
    expect(gpLate).toBeLessThan(0.8 * randomLate);
  });

  it("handles a mixed space with log ints and categoricals", async () => {
    const study = createStudy({ space: llmSpace, seed: 4 });
    for (let i = 0; i < 20; i++) {
      const t = await study.ask();
      const p = t.params;
      const value = (Math.log10(p.lr as number) + 4) ** 2 + (Math.log2(p.batchSize as number) - 6) ** 2 / 4 + (p.optimizer === "lion" ? 0 : 0.5);
      await study.tell(t.number, value);
    }
    const best = study.bestTrial;
    expect(best?.params.optimizer).toBe("lion");
    expect(best?.value).toBeLessThan(0.5);
  });
});
