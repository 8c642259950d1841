import { describe, expect, it } from "vitest";
import { InvalidSpaceError } from "../../src/errors.js";
import { categorical, float, int } from "../../src/space/param-builders.js";
import { SearchSpace } from "../../src/space/search-space.js";

describe("builders", () => {
  it("assemble plain spec objects without validating", () => {
    expect(float(1e-6, 1e-2, { log: true })).toEqual({ type: "float", low: 1e-6, high: 1e-2, log: true });
    expect(float(0, 1)).toEqual({ type: "float", low: 0, high: 1 });
    expect(int(0, 100, { step: 10 })).toEqual({ type: "int", low: 0, high: 100, step: 10 });
    expect(int(5, 1)).toEqual({ type: "int", low: 5, high: 1 });
    expect(categorical(["adamw", null, 1])).toEqual({ type: "categorical", choices: ["adamw", null, 1] });
  });

  it("copy the choices, so that a later change to the caller's array does not alter the spec", () => {
    const choices = ["a", "b"];
    const spec = categorical(choices);
    choices.push("c");
    expect(spec.choices).toEqual(["a", "b"]);
  });

  it("let a misspelt option reach the strict schema instead of dropping it", () => {
    const options = { logg: true } as unknown as { log?: boolean };
    expect(() => SearchSpace.from({ lr: float(1e-5, 1, options) })).toThrow(/lr: Unrecognized key\(s\) in object: 'logg'/);
    expect(() => SearchSpace.from({ lr: float(1e-5, 1, options) })).toThrow(InvalidSpaceError);
  });
});
