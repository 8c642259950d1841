import { describe, expect, it } from "vitest";
import { StudyConfig } from "@bayestune/protocol";
import { studyOptionsFromConfig, tellOutcomeOf } from "../../src/study/sampler-spec.js";

const base = {
  name: "s",
  maxTrials: 4,
  space: { batch_size: { type: "int", low: 8, high: 512, log: true }, seq_len: { type: "int", low: 128, high: 4096, log: true } },
  command: { argv: ["python", "train.py"] },
};

describe("studyOptionsFromConfig", () => {
  it("carries the direction, the constraints as core bounds and the known constraints as a predicate", () => {
    const config = StudyConfig.parse({
      ...base,
      direction: "maximize",
      constraints: [{ metric: "memory_gb", max: 80 }, { metric: "tokens_per_s", min: 1000 }],
      knownConstraints: ["batch_size * seq_len <= 65536"],
    });
    const options = studyOptionsFromConfig(config);
    expect(options.direction).toBe("maximize");
    expect(options.constraints).toEqual([{ name: "memory_gb", max: 80 }, { name: "tokens_per_s", min: 1000 }]);
    expect(options.feasibleIf?.({ batch_size: 64, seq_len: 1024 })).toBe(true);
    expect(options.feasibleIf?.({ batch_size: 128, seq_len: 1024 })).toBe(false);
  });

  it("gives several objectives as directions", () => {
    const config = StudyConfig.parse({ ...base, objectives: [{ metric: "loss", direction: "minimize" }, { metric: "acc", direction: "maximize" }] });
    const options = studyOptionsFromConfig(config);
    expect(options.directions).toEqual(["minimize", "maximize"]);
    expect(options.direction).toBeUndefined();
  });
});

describe("tellOutcomeOf", () => {
  const constrained = StudyConfig.parse({ ...base, constraints: [{ metric: "memory_gb", max: 80 }] });

  it("passes the constraint metrics with the value, and the objectives' values for several", () => {
    expect(tellOutcomeOf(constrained, { state: "complete", value: 2.5, metrics: { loss: 2.5, memory_gb: 71 } })).toEqual({ value: 2.5, constraints: { memory_gb: 71 } });
    const two = StudyConfig.parse({ ...base, objectives: [{ metric: "loss", direction: "minimize" }, { metric: "hours", direction: "minimize" }] });
    expect(tellOutcomeOf(two, { state: "complete", value: 2.5, metrics: { loss: 2.5, hours: 3 } })).toEqual({ values: [2.5, 3] });
    expect(tellOutcomeOf(StudyConfig.parse(base), { state: "complete", value: 2.5 })).toBe(2.5);
  });

  it("fails a result whose constraint or objective metric is missing, and keeps a failure's reason and message", () => {
    expect(tellOutcomeOf(constrained, { state: "complete", value: 2.5, metrics: { loss: 2.5, memory_gb: null } })).toEqual({
      state: "failed",
      reason: "no-metric: constraint metric 'memory_gb' not reported",
    });
    expect(tellOutcomeOf(constrained, { state: "failed", reason: "out-of-memory", message: "CUDA out of memory" })).toEqual({
      state: "failed",
      reason: "out-of-memory: CUDA out of memory",
    });
  });
});
