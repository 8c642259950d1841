import { describe, expect, it } from "vitest";
import { categorical, createStudy, float, int, InvalidArgumentError, type Params, type Study, type Trial } from "../../src/index.js";

const space = {
  lr: float(1e-4, 1e-1, { log: true }),
  layers: int(1, 8),
  act: categorical(["relu", "gelu", "tanh"]),
};

/** A deterministic loss with a crash region (lr above 0.05 fails), so the failure model is part of the state. */
function outcome(params: Params): number {
  const lr = params["lr"] as number;
  if (lr > 0.05) return Number.NaN;
  const act = { relu: 0.05, gelu: 0, tanh: 0.2 }[params["act"] as string]!;
  return (Math.log10(lr) + 2.5) ** 2 + 0.03 * ((params["layers"] as number) - 5) ** 2 + act;
}

const silent = { onWarning: () => undefined };

interface Step {
  /** Trials that existed before this ask, with their states at that moment. */
  readonly history: readonly { params: Params; value?: number; state: Trial["state"] }[];
  readonly samplerState: unknown;
  readonly proposed: readonly Params[];
}

/**
 * Drives a study in an asynchronous pattern (batches of 1 or 2 with one trial
 * left running across an ask), recording before each ask the history and the
 * sampler state, and what the ask proposed.
 */
async function drive(study: Study, asks: number, enqueued: readonly Params[] = []): Promise<Step[]> {
  for (const params of enqueued) {
    const trial = await study.ask();
    expect(trial.params).toEqual(params);
    await study.tell(trial.number, outcome(trial.params));
  }
  const steps: Step[] = [];
  let held: Trial | undefined;
  for (let k = 0; k < asks; k++) {
    const history = study.trials.map((t) => ({ params: t.params, state: t.state, ...(t.value !== undefined ? { value: t.value } : {}) }));
    const samplerState = structuredClone(study.samplerState());
    const q = k % 3 === 2 ? 2 : 1;
    const batch = await study.askBatch(q);
    steps.push({ history, samplerState, proposed: batch.map((t) => t.params) });
    if (held !== undefined) await study.tell(held.number, outcome(held.params));
    held = undefined;
    for (const [i, trial] of batch.entries()) {
      // Every third ask leaves its second trial running across the next ask.
      if (i === 1) held = trial;
      else await study.tell(trial.number, outcome(trial.params));
    }
  }
  return steps;
}

/** A new study in the state `step` recorded, as a driver rebuilds one from its store; the state goes through JSON as a store keeps it. */
async function rebuild(step: Step): Promise<Study> {
  const study = createStudy({ space, seed: 7, ...silent });
  for (const t of step.history) {
    study.enqueue(t.params);
    await study.ask();
  }
  for (const [number, t] of step.history.entries()) {
    if (t.state === "complete") await study.tell(number, t.value!);
    if (t.state === "failed") await study.tell(number, Number.NaN);
  }
  study.restoreSamplerState(JSON.parse(JSON.stringify(step.samplerState ?? null)) ?? undefined);
  return study;
}

describe("a study rebuilt from its history and sampler state proposes what the uninterrupted one did", () => {
  it("at every ask of a GP study with failures, batches and a trial running across asks", async () => {
    const steps = await drive(createStudy({ space, seed: 7, ...silent }), 24);
    expect(steps.some((s) => s.history.some((t) => t.state === "failed"))).toBe(true);
    expect(steps.some((s) => s.history.some((t) => t.state === "running"))).toBe(true);
    for (const step of steps) {
      const rebuilt = await rebuild(step);
      const again = await rebuilt.askBatch(step.proposed.length);
      expect(again.map((t) => t.params)).toEqual(step.proposed);
    }
  }, 60_000);

  it("past 200 trials, where the hyperparameters are kept between refits and each ask extends the last fit's posterior (and the acquisition search is the large-history one)", async () => {
    // 200 Sobol points told up front (enqueued, so no model is fitted for them), then GP asks.
    const sobol = createStudy({ space, seed: 3, sampler: "sobol" });
    const enqueued: Params[] = [];
    for (let i = 0; i < 200; i++) enqueued.push((await sobol.ask()).params);
    const uninterrupted = createStudy({ space, seed: 7, ...silent });
    for (const params of enqueued) uninterrupted.enqueue(params);
    const steps = await drive(uninterrupted, 14, enqueued);
    const state = steps.at(-1)!.samplerState as { models: Record<string, { trials: number[] }> };
    // The last fit is older than the last ask: the kept-hyperparameter path ran.
    expect(state.models["objective"]!.trials.length).toBeLessThan(steps.at(-1)!.history.filter((t) => t.state !== "running").length);
    for (const step of steps.slice(1)) {
      const rebuilt = await rebuild(step);
      const again = await rebuilt.askBatch(step.proposed.length);
      expect(again.map((t) => t.params)).toEqual(step.proposed);
    }
  }, 120_000);

  it("refuses a state that is not one", () => {
    const study = createStudy({ space, seed: 7 });
    expect(() => study.restoreSamplerState({ models: { objective: { lengthscales: [-1], outputscale: 1, noise: 1, trials: [] } } })).toThrow(InvalidArgumentError);
    expect(() => study.restoreSamplerState("hyperparameters")).toThrow(InvalidArgumentError);
    expect(() => createStudy({ space, sampler: "random" }).restoreSamplerState({ models: {} })).toThrow(InvalidArgumentError);
  });
});
