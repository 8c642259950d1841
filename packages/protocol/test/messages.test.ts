import { describe, expect, it } from "vitest";
import {
  childParamVariable,
  formatZodIssues,
  MetricLine,
  StudyConfig,
  TrialJob,
  trialJobFor,
  trialJobId,
  TrialResult,
  WorkerMessage,
} from "../src/index.js";

const config = {
  name: "tiny-lm",
  space: { lr: { type: "float", low: 1e-5, high: 1e-2, log: true } },
  maxTrials: 20,
  command: { argv: ["python", "train.py", "--lr={lr}"] },
};

describe("StudyConfig", () => {
  it("fills the documented defaults", () => {
    const parsed = StudyConfig.parse(config);
    expect(parsed).toMatchObject({
      direction: "minimize",
      seed: 0,
      sampler: "gp",
      metric: "loss",
      trialTimeoutSeconds: 3600,
      maxAttempts: 3,
    });
  });

  it("rejects unknown keys, bad names and bad spaces with paths a user can follow", () => {
    const result = StudyConfig.safeParse({
      ...config,
      name: "my:study",
      maxTrail: 3,
      space: { lr: { type: "float", low: 0.1, high: 0.01 } },
    });
    expect(result.success).toBe(false);
    const message = formatZodIssues(result.error!, "study.yaml");
    expect(message).toMatch(/name: study names must be 1-64 letters/);
    expect(message).toMatch(/maxTrail/);
    expect(message).toMatch(/low < high must hold for 'lr', got low=0.1, high=0.01/);
  });

  it("takes an optional fidelity with defaults, and refuses an empty range naming its path", () => {
    expect(StudyConfig.parse(config).fidelity).toBeUndefined();
    expect(StudyConfig.parse({ ...config, fidelity: { min: 100, max: 1000 } }).fidelity).toEqual({
      name: "steps",
      min: 100,
      max: 1000,
      reductionFactor: 3,
      integer: true,
    });
    const bad = StudyConfig.safeParse({ ...config, fidelity: { min: 100, max: 10, reductionFactor: 1 } });
    expect(bad.success).toBe(false);
    const message = formatZodIssues(bad.error!, "study.yaml");
    expect(message).toMatch(/fidelity\.reductionFactor/);
    expect(message).toMatch(/fidelity\.max: max must be ≥ min/);
  });

  it("takes a scheduler (median stopping with a positive minTrials), and refuses ASHA without a fidelity or a staged screen larger than maxTrials", () => {
    expect(StudyConfig.parse({ ...config, fidelity: { min: 1, max: 9 }, scheduler: { type: "hyperband", brackets: 2 } }).scheduler).toEqual({ type: "hyperband", brackets: 2 });
    expect(StudyConfig.parse({ ...config, fidelity: { min: 1, max: 9 }, scheduler: { type: "median", minTrials: 3 } }).scheduler).toEqual({ type: "median", minTrials: 3 });
    const zeroMin = StudyConfig.safeParse({ ...config, fidelity: { min: 1, max: 9 }, scheduler: { type: "median", minTrials: 0 } });
    expect(formatZodIssues(zeroMin.error!, "study.yaml")).toMatch(/scheduler\.minTrials/);
    const noFidelity = StudyConfig.safeParse({ ...config, scheduler: { type: "asha" } });
    expect(formatZodIssues(noFidelity.error!, "study.yaml")).toMatch(/scheduler: scheduler "asha" needs a fidelity/);
    const staged = { type: "staged", stages: [{ trials: 30, fidelity: 100 }, { trials: 5, fidelity: 900 }] };
    const tooFew = StudyConfig.safeParse({ ...config, scheduler: staged });
    expect(formatZodIssues(tooFew.error!, "study.yaml")).toMatch(/maxTrials: maxTrials must be at least the first stage's 30 trials, got 20/);
    expect(StudyConfig.safeParse({ ...config, maxTrials: 30, scheduler: staged }).success).toBe(true);
  });

  it("takes several objectives, with metric and direction those of the first, and refuses duplicates or a scheduler", () => {
    const objectives = [{ metric: "val_loss", direction: "minimize" }, { metric: "tokens_per_s", direction: "maximize" }];
    const parsed = StudyConfig.parse({ ...config, objectives });
    expect(parsed.objectives).toEqual(objectives);
    expect([parsed.metric, parsed.direction]).toEqual(["val_loss", "minimize"]);
    expect(StudyConfig.parse(parsed)).toEqual(parsed);
    const same = StudyConfig.safeParse({ ...config, objectives: [objectives[0], objectives[0]] });
    expect(formatZodIssues(same.error!, "study.yaml")).toMatch(/objectives: each objective needs its own metric/);
    const scheduled = StudyConfig.safeParse({ ...config, objectives, fidelity: { min: 1, max: 9 }, scheduler: { type: "asha" } });
    expect(formatZodIssues(scheduled.error!, "study.yaml")).toMatch(/scheduler: a scheduler ranks trials by one objective/);
    expect(StudyConfig.safeParse({ ...config, objectives: [objectives[0]] }).success).toBe(false);
  });

  it("needs a command with a program", () => {
    expect(StudyConfig.safeParse({ ...config, command: { argv: [] } }).success).toBe(false);
  });
});

describe("trialJobId", () => {
  it("is study-trial-rung and refuses what BullMQ or Redis keys cannot hold", () => {
    expect(trialJobId("tiny-lm", 12, 0)).toBe("tiny-lm-12-0");
    expect(() => trialJobId("a:b", 1, 0)).toThrow(/study names/);
    expect(() => trialJobId("a", -1, 0)).toThrow(/trial must be an integer >= 0/);
    expect(() => trialJobId("a", 1, 0.5)).toThrow(/rung must be an integer >= 0/);
  });
});

describe("TrialJob and TrialResult", () => {
  const job = { study: "s", trial: 3, params: { lr: 0.001, opt: "adamw" }, command: { argv: ["x"] }, metric: "loss", timeoutSeconds: 60 };

  it("accepts a job and defaults its rung to 0", () => {
    expect(TrialJob.parse(job).rung).toBe(0);
    expect(TrialJob.safeParse({ ...job, params: { lr: Number.NaN } }).success).toBe(false);
    expect(TrialJob.safeParse({ ...job, extra: 1 }).success).toBe(false);
  });

  it("requires a finite value when complete and a reason when failed", () => {
    const base = { kind: "result", study: "s", trial: 3, rung: 0, durationSeconds: 1.5, worker: "w1" };
    expect(TrialResult.safeParse({ ...base, state: "complete", value: 2.5 }).success).toBe(true);
    expect(TrialResult.safeParse({ ...base, state: "complete" }).success).toBe(false);
    expect(TrialResult.safeParse({ ...base, state: "complete", value: Number.POSITIVE_INFINITY }).success).toBe(false);
    expect(TrialResult.safeParse({ ...base, state: "failed" }).success).toBe(false);
    expect(TrialResult.safeParse({ ...base, state: "failed", reason: "out-of-memory" }).success).toBe(true);
    expect(TrialResult.safeParse({ ...base, state: "failed", reason: "bored" }).success).toBe(false);
  });

  it("marks a trial the engine stopped early: stopped: true on a complete result, reason \"stopped\" on a failed one", () => {
    const base = { kind: "result", study: "s", trial: 3, rung: 0, durationSeconds: 1.5, worker: "w1" };
    expect(TrialResult.parse({ ...base, state: "complete", value: 2.5, stopped: true, checkpoint: "/ckpt/40" })).toMatchObject({ stopped: true, checkpoint: "/ckpt/40" });
    expect(TrialResult.parse({ ...base, state: "complete", value: 2.5 }).stopped).toBeUndefined();
    expect(TrialResult.safeParse({ ...base, state: "complete", value: 2.5, stopped: false }).success).toBe(false);
    expect(TrialResult.parse({ ...base, state: "failed", reason: "stopped" }).reason).toBe("stopped");
    const failedStopped = TrialResult.safeParse({ ...base, state: "failed", reason: "stopped", stopped: true });
    expect(failedStopped.success).toBe(false);
    if (!failedStopped.success) expect(formatZodIssues(failedStopped.error)).toMatch(/stopped: stopped is set on complete results only/);
  });

  it("tells progress from results on the results queue", () => {
    const progress = WorkerMessage.parse({ kind: "progress", study: "s", trial: 1, rung: 0, step: 10, metrics: { loss: 2.1 } });
    expect(progress.kind).toBe("progress");
    expect(WorkerMessage.safeParse({ kind: "progress", study: "s", trial: 1, rung: 0, step: -1, metrics: {} }).success).toBe(false);
  });
});

describe("MetricLine", () => {
  it("accepts numbers and null beside step, final and checkpoint, and nothing else", () => {
    expect(MetricLine.parse({ step: 100, loss: 2.31, acc: null })).toEqual({ step: 100, loss: 2.31, acc: null });
    expect(MetricLine.parse({ final: true, loss: 2.0, checkpoint: "/ckpt/1" }).checkpoint).toBe("/ckpt/1");
    expect(MetricLine.safeParse({ step: 1, loss: "2.3" }).success).toBe(false);
    expect(MetricLine.safeParse({ step: 1.5 }).success).toBe(false);
  });
});

describe("childParamVariable", () => {
  it("upper-cases the name and maps other characters to underscores", () => {
    expect(childParamVariable("lr")).toBe("BAYESTUNE_PARAM_LR");
    expect(childParamVariable("adam.beta2")).toBe("BAYESTUNE_PARAM_ADAM_BETA2");
  });
});

describe("trialJobFor", () => {
  it("builds a valid job from the study config, copying the params", () => {
    const study = StudyConfig.parse({ ...config, metric: "eval_loss", trialTimeoutSeconds: 90 });
    const params = { lr: 0.001 };
    const job = trialJobFor(study, 4, params);
    expect(TrialJob.parse(job)).toEqual({
      study: "tiny-lm",
      trial: 4,
      rung: 0,
      params: { lr: 0.001 },
      command: study.command,
      metric: "eval_loss",
      timeoutSeconds: 90,
    });
    expect(job.params).not.toBe(params);
    expect(trialJobFor(study, 4, params, { rung: 2 }).rung).toBe(2);
  });

  it("carries the rung's fidelity and the checkpoint to resume from", () => {
    const study = StudyConfig.parse(config);
    const job = TrialJob.parse(trialJobFor(study, 1, { lr: 0.001 }, { rung: 1, fidelity: 300, checkpoint: "/runs/t1/step-100.pt" }));
    expect(job).toMatchObject({ rung: 1, fidelity: 300, checkpoint: "/runs/t1/step-100.pt" });
  });
});
