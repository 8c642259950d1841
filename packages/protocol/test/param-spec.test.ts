import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatZodIssues, ParamSpec, SpaceSpec } from "../src/index.js";

/** Each issue as "path: message", the way a user will see it. */
function problems(space: unknown): string[] {
  const result = SpaceSpec.safeParse(space);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

function expectOneProblem(space: unknown, fragment: string): void {
  const found = problems(space);
  expect(found).toHaveLength(1);
  expect(found[0]).toContain(fragment);
}

describe("SpaceSpec accepts", () => {
  it.each([
    ["a linear float", { type: "float", low: -1, high: 1 }],
    ["a log float", { type: "float", low: 1e-6, high: 1e-2, log: true }],
    ["a 0.1 step over [0, 1]", { type: "float", low: 0, high: 1, step: 0.1 }],
    // (0.7 - 0.1) / 0.1 = 5.999999999999999 in binary: the relative tolerance must absorb it.
    ["a 0.1 step over [0.1, 0.7]", { type: "float", low: 0.1, high: 0.7, step: 0.1 }],
    ["a 0.05 step over [0.05, 0.95]", { type: "float", low: 0.05, high: 0.95, step: 0.05 }],
    ["an int", { type: "int", low: 0, high: 2000 }],
    ["a log int", { type: "int", low: 8, high: 512, log: true }],
    ["an int with step", { type: "int", low: 16, high: 128, step: 16 }],
    ["log: false with a step", { type: "float", low: 0, high: 1, log: false, step: 0.25 }],
    ["mixed scalar choices", { type: "categorical", choices: ["adamw", 1, "1", true, "true", null, 0.5] }],
    ["a single choice", { type: "categorical", choices: ["only"] }],
  ])("%s", (_label, spec) => {
    const result = SpaceSpec.safeParse({ p: spec });
    expect(result.success).toBe(true);
    expect(result.data).toEqual({ p: spec });
  });
});

describe("SpaceSpec rejects, naming the parameter", () => {
  it("low >= high", () => {
    expectOneProblem({ lr: { type: "float", low: 0.1, high: 0.01 } }, "low < high must hold for 'lr', got low=0.1, high=0.01");
    expectOneProblem({ n: { type: "int", low: 3, high: 3 } }, "low < high must hold for 'n', got low=3, high=3");
  });

  it("a log scale with low <= 0", () => {
    expectOneProblem({ lr: { type: "float", low: 0, high: 1, log: true } }, "log scale needs low > 0 for 'lr', got low=0");
    expectOneProblem({ bs: { type: "int", low: -4, high: 4, log: true } }, "log scale needs low > 0 for 'bs', got low=-4");
  });

  it("log and step together", () => {
    expectOneProblem({ x: { type: "float", low: 1, high: 2, log: true, step: 0.5 } }, "log and step cannot be combined for 'x'");
    expectOneProblem({ k: { type: "int", low: 1, high: 9, log: true, step: 2 } }, "log and step cannot be combined for 'k'");
  });

  it("a step that does not divide high - low", () => {
    expectOneProblem({ x: { type: "float", low: 0, high: 1, step: 0.3 } }, "step must divide high - low for 'x', got step=0.3, high - low=1");
    expectOneProblem({ x: { type: "float", low: 0, high: 1, step: 2 } }, "step must divide high - low for 'x', got step=2, high - low=1");
    expectOneProblem({ n: { type: "int", low: 0, high: 10, step: 3 } }, "step must divide high - low for 'n', got step=3, high - low=10");
  });

  it("a step that is not positive", () => {
    expectOneProblem({ x: { type: "float", low: 0, high: 1, step: 0 } }, "step must be positive for 'x', got step=0");
    expectOneProblem({ x: { type: "float", low: 0, high: 1, step: -0.5 } }, "step must be positive for 'x', got step=-0.5");
    expectOneProblem({ n: { type: "int", low: 0, high: 10, step: 2.5 } }, "step must be a positive integer for 'n', got step=2.5");
    expectOneProblem({ n: { type: "int", low: 0, high: 10, step: 0 } }, "step must be a positive integer for 'n', got step=0");
  });

  it("NaN and infinite numbers", () => {
    expectOneProblem({ x: { type: "float", low: Number.NaN, high: 1 } }, "x.low: must be a finite number, got NaN");
    expectOneProblem({ x: { type: "float", low: 0, high: Infinity } }, "x.high: high must be a finite number for 'x', got high=Infinity");
    expectOneProblem({ x: { type: "float", low: -Infinity, high: 0 } }, "x.low: low must be a finite number for 'x', got low=-Infinity");
    expectOneProblem({ x: { type: "float", low: 0, high: 1, step: Infinity } }, "x.step: step must be a finite number for 'x', got step=Infinity");
    expectOneProblem({ x: { type: "float", low: "0", high: 1 } }, 'x.low: must be a finite number, got "0"');
  });

  it("int bounds that are not (safe) integers", () => {
    expectOneProblem({ n: { type: "int", low: 0.5, high: 3 } }, "n.low: int bounds must be integers for 'n', got low=0.5");
    expectOneProblem({ n: { type: "int", low: 0, high: 2 ** 53 } }, "n.high: int bounds must lie within ±(2^53 - 1) for 'n', got high=9007199254740992");
  });

  it("empty choices", () => {
    expectOneProblem({ opt: { type: "categorical", choices: [] } }, "choices must be non-empty for 'opt', got []");
  });

  it("duplicate choices, compared by type and value", () => {
    expectOneProblem({ opt: { type: "categorical", choices: [1, "1", 1] } }, "choices must be unique for 'opt', got 1 more than once");
    expectOneProblem({ opt: { type: "categorical", choices: ["a", "b", "a"] } }, `choices must be unique for 'opt', got "a" more than once`);
    expectOneProblem({ opt: { type: "categorical", choices: [null, null] } }, "choices must be unique for 'opt', got null more than once");
    expectOneProblem({ opt: { type: "categorical", choices: [false, false] } }, "choices must be unique for 'opt', got false more than once");
  });

  it("choices that are not finite JSON scalars", () => {
    expectOneProblem({ opt: { type: "categorical", choices: ["a", {}] } }, "opt.choices.1: choices must be JSON scalars (string, finite number, boolean or null), got an object");
    expectOneProblem({ opt: { type: "categorical", choices: [[1]] } }, "opt.choices.0: choices must be JSON scalars (string, finite number, boolean or null), got an array");
    expectOneProblem({ opt: { type: "categorical", choices: [Number.NaN] } }, "got NaN");
    expectOneProblem({ opt: { type: "categorical", choices: [1, Infinity] } }, "choices must be finite numbers for 'opt', got Infinity");
  });

  it("unknown keys and unknown types", () => {
    expectOneProblem({ lr: { type: "float", low: 0, high: 1, logg: true } }, "lr: Unrecognized key(s) in object: 'logg'");
    expectOneProblem({ lr: { type: "double", low: 0, high: 1 } }, "lr.type: Invalid discriminator value");
  });

  it("an empty space and an empty name", () => {
    expectOneProblem({}, "a search space needs at least one parameter, got none");
    expectOneProblem({ "": { type: "int", low: 0, high: 1 } }, "parameter names must be non-empty");
  });

  it("reports every broken parameter, not just the first", () => {
    const found = problems({
      a: { type: "float", low: 1, high: 0 },
      ok: { type: "int", low: 0, high: 5 },
      b: { type: "float", low: 0, high: 1, log: true },
      c: { type: "categorical", choices: [] },
    });
    expect(found).toEqual([
      "a: low < high must hold for 'a', got low=1, high=0",
      "b.low: log scale needs low > 0 for 'b', got low=0",
      "c.choices: choices must be non-empty for 'c', got []",
    ]);
  });

  it("names the parameter when the space is nested in a larger config", () => {
    const Config = z.object({ study: z.object({ space: SpaceSpec }) });
    const result = Config.safeParse({ study: { space: { warmup: { type: "int", low: 10, high: 0 } } } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["study", "space", "warmup"]);
    expect(result.error?.issues[0]?.message).toBe("low < high must hold for 'warmup', got low=10, high=0");
  });

  it("says <unnamed> for a parameter parsed on its own", () => {
    const result = ParamSpec.safeParse({ type: "float", low: 1, high: 0 });
    expect(result.error?.issues[0]?.message).toBe("low < high must hold for '<unnamed>', got low=1, high=0");
  });
});

describe("formatZodIssues", () => {
  it("lists each issue with its path under one headline", () => {
    const result = SpaceSpec.safeParse({
      lr: { type: "float", low: 0.1, high: 0.01 },
      opt: { type: "categorical", choices: ["a", {}] },
    });
    expect(result.success).toBe(false);
    expect(formatZodIssues(result.error as z.ZodError, "config file study.json")).toBe(
      [
        "config file study.json is invalid (2 problems):",
        "  - lr: low < high must hold for 'lr', got low=0.1, high=0.01",
        "  - opt.choices[1]: choices must be JSON scalars (string, finite number, boolean or null), got an object",
      ].join("\n"),
    );
  });

  it("names the root and defaults the headline", () => {
    const result = SpaceSpec.safeParse({});
    expect(formatZodIssues(result.error as z.ZodError)).toBe(
      "input is invalid (1 problem):\n  - (root): a search space needs at least one parameter, got none",
    );
  });
});
