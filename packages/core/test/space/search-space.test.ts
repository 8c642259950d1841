import { describe, expect, it } from "vitest";
import { InvalidArgumentError, InvalidParamsError, InvalidSpaceError } from "../../src/errors.js";
import { MAX_ENUMERATED_LEVELS } from "../../src/space/param-codec.js";
import { categorical, float, int } from "../../src/space/param-builders.js";
import { SearchSpace, type Params } from "../../src/space/search-space.js";

function one(spec: Parameters<typeof SearchSpace.from>[0][string]): SearchSpace {
  return SearchSpace.from({ p: spec });
}

function decodeAt(space: SearchSpace, u: number): unknown {
  return space.decode(Float64Array.of(u))["p"];
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

describe("SearchSpace.from", () => {
  it("keeps the parameters in insertion order, one dim each", () => {
    const space = SearchSpace.from({
      lr: float(1e-6, 1e-2, { log: true }),
      batchSize: int(8, 512, { log: true }),
      warmupSteps: int(0, 2000),
      optimizer: categorical(["adamw", "lion"]),
    });
    expect(space.names).toEqual(["lr", "batchSize", "warmupSteps", "optimizer"]);
    expect(space.dimension).toBe(4);
    expect(space.dims.map((dim) => [dim.name, dim.kind, dim.levels])).toEqual([
      ["lr", "continuous", Infinity],
      ["batchSize", "discrete", 505],
      ["warmupSteps", "discrete", 2001],
      ["optimizer", "categorical", 2],
    ]);
  });

  it("throws InvalidSpaceError listing every problem, each naming its parameter", () => {
    const error = thrown(() =>
      SearchSpace.from({ lr: float(0.1, 0.01), x: float(0, 1, { step: 0.3 }), opt: categorical([]), n: int(0, 10) }),
    );
    expect(error).toBeInstanceOf(InvalidSpaceError);
    expect((error as InvalidSpaceError).code).toBe("INVALID_SPACE");
    expect(error.message).toBe(
      [
        "bayestune: search space is invalid (3 problems):",
        "  - lr: low < high must hold for 'lr', got low=0.1, high=0.01",
        "  - x.step: step must divide high - low for 'x', got step=0.3, high - low=1",
        "  - opt.choices: choices must be non-empty for 'opt', got []",
      ].join("\n"),
    );
  });

  it("freezes its specs and rebuilds an equal space from their JSON", () => {
    const space = SearchSpace.from({ lr: float(1e-4, 1, { log: true }), k: int(1, 9, { step: 2 }), c: categorical([null, true, "x"]) });
    expect(Object.isFrozen(space.specs)).toBe(true);
    expect(Object.isFrozen(space.specs["c"])).toBe(true);
    const again = SearchSpace.from(JSON.parse(JSON.stringify(space)));
    expect(again.specs).toEqual(space.specs);
    expect(again.dims).toEqual(space.dims);
  });
});

describe("continuous floats", () => {
  it("spread a log scale evenly over decades", () => {
    const space = one(float(1e-6, 1e-2, { log: true }));
    expect(decodeAt(space, 0)).toBe(1e-6);
    expect(decodeAt(space, 1)).toBe(1e-2);
    expect(decodeAt(space, 0.5) as number).toBeCloseTo(1e-4, 16);
    expect(Math.abs((decodeAt(space, 0.5) as number) / 1e-4 - 1)).toBeLessThan(1e-12);
    expect(Math.abs((decodeAt(space, 0.25) as number) / 1e-5 - 1)).toBeLessThan(1e-12);
    // 4000 evenly spaced u: each of the four decades receives exactly a quarter.
    const perDecade = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const v = decodeAt(space, (i + 0.5) / 4000) as number;
      perDecade[Math.floor(Math.log10(v) + 6)]! += 1;
    }
    expect(perDecade).toEqual([1000, 1000, 1000, 1000]);
    expect(space.encode({ p: 1e-3 })[0]).toBeCloseTo(0.75, 14);
  });

  it("are linear without log, exact at both ends", () => {
    const space = one(float(0.1, 0.7));
    expect(decodeAt(space, 0)).toBe(0.1);
    expect(decodeAt(space, 1)).toBe(0.7);
    expect(decodeAt(space, 0.5) as number).toBeCloseTo(0.4, 15);
    expect(space.encode({ p: 0.25 })[0]).toBeCloseTo(0.25, 15);
  });

  it("clamp u into [0, 1] before decoding", () => {
    const space = one(float(-2, 3));
    expect(decodeAt(space, -5)).toBe(-2);
    expect(decodeAt(space, 1.2)).toBe(3);
    expect(decodeAt(space, -Infinity)).toBe(-2);
    expect(space.snap(Float64Array.of(1.5))).toEqual(Float64Array.of(1));
  });
});

describe("discrete parameters", () => {
  it("put level i at the centre of its cell, (i + 0.5) / L", () => {
    const space = one(int(0, 3));
    expect(space.dims[0]?.centers).toEqual(Float64Array.of(0.125, 0.375, 0.625, 0.875));
    expect([0, 0.2499, 0.25, 0.5, 0.74, 0.75, 1].map((u) => decodeAt(space, u))).toEqual([0, 0, 1, 2, 2, 3, 3]);
    expect(space.encode({ p: 2 })).toEqual(Float64Array.of(0.625));
    expect(space.snap(Float64Array.of(0.3))).toEqual(Float64Array.of(0.375));
  });

  it("give exact decimal grid values for stepped floats", () => {
    const tenths = one(float(0, 1, { step: 0.1 }));
    const values = Array.from({ length: 11 }, (_, i) => decodeAt(tenths, (i + 0.5) / 11));
    expect(values).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(decodeAt(tenths, 0.3)).toBe(0.3);
    expect(tenths.encode({ p: 0.30000000000000004 })).toEqual(tenths.encode({ p: 0.3 }));

    const offset = one(float(0.1, 0.7, { step: 0.1 }));
    expect(offset.dims[0]?.levels).toBe(7);
    expect(Array.from(offset.dims[0]!.centers, (u) => decodeAt(offset, u))).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);

    const fine = one(float(-0.05, 0.05, { step: 0.025 }));
    expect(Array.from(fine.dims[0]!.centers, (u) => decodeAt(fine, u))).toEqual([-0.05, -0.025, 0, 0.025, 0.05]);
  });

  it("fall back to low + i * step for a step without a short decimal form, ending exactly at high", () => {
    const thirds = one(float(0, 1, { step: 1 / 3 }));
    const values = Array.from(thirds.dims[0]!.centers, (u) => decodeAt(thirds, u) as number);
    expect(values).toEqual([0, 1 / 3, 2 / 3, 1]);
  });

  it("step ints by their step", () => {
    const space = one(int(16, 128, { step: 16 }));
    expect(space.dims[0]?.levels).toBe(8);
    expect(Array.from(space.dims[0]!.centers, (u) => decodeAt(space, u))).toEqual([16, 32, 48, 64, 80, 96, 112, 128]);
  });

  it("spread a log int over decades with cells equal in log space", () => {
    const space = one(int(8, 512, { log: true }));
    expect(decodeAt(space, 0)).toBe(8);
    expect(decodeAt(space, 1)).toBe(512);
    const centers = space.dims[0]!.centers;
    expect(centers).toHaveLength(505);
    expect(Array.from(centers, (u) => decodeAt(space, u))).toEqual(Array.from({ length: 505 }, (_, i) => 8 + i));
    // Integer v owns [v - 0.5, v + 0.5], so a uniform u lands below 64 with
    // probability ln(63.5 / 7.5) / ln(512.5 / 7.5) = 0.50523...; 10^5 evenly spaced u
    // reproduce it to within a cell-boundary rounding of 1e-5.
    let below = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) if ((decodeAt(space, (i + 0.5) / n) as number) < 64) below += 1;
    expect(below / n).toBeCloseTo(Math.log(63.5 / 7.5) / Math.log(512.5 / 7.5), 4);
    // The centre of 8's cell is ln(sqrt(7.5 * 8.5)), mapped linearly from [ln 7.5, ln 512.5].
    expect(centers[0]).toBeCloseTo((0.5 * Math.log(8.5 / 7.5)) / Math.log(512.5 / 7.5), 15);
  });

  it(`enumerate centers only up to ${MAX_ENUMERATED_LEVELS} levels`, () => {
    expect(MAX_ENUMERATED_LEVELS).toBe(1024);
    expect(one(int(0, 1023)).dims[0]?.centers).toHaveLength(1024);
    const wide = one(int(0, 1024)).dims[0]!;
    expect(wide.levels).toBe(1025);
    expect(wide.centers).toHaveLength(0);
    expect(one(int(1, 5000, { log: true })).dims[0]?.centers).toHaveLength(0);
    expect(one(categorical(Array.from({ length: 1025 }, (_, i) => i))).dims[0]?.centers).toHaveLength(0);
  });
});

describe("categoricals", () => {
  it("round-trip every kind of choice, telling 1 from '1' and true from 'true'", () => {
    const choices = ["adamw", 1, "1", true, "true", null, "null", 0.5];
    const space = one(categorical(choices));
    const encoded = choices.map((choice) => space.encode({ p: choice })[0]);
    expect(encoded).toEqual(choices.map((_, i) => (i + 0.5) / choices.length));
    for (const choice of choices) expect(space.decode(space.encode({ p: choice }))).toEqual({ p: choice });
    expect(space.contains({ p: "0.5" })).toBe(false);
    expect(space.contains({ p: false })).toBe(false);
  });
});

describe("encode rejects params outside the space, naming the parameter", () => {
  const space = SearchSpace.from({
    lr: float(1e-5, 1e-1, { log: true }),
    frac: float(0, 1, { step: 0.25 }),
    layers: int(1, 8),
    bs: int(8, 512, { log: true }),
    opt: categorical(["adamw", "lion"]),
  });
  const valid: Params = { lr: 1e-3, frac: 0.5, layers: 4, bs: 64, opt: "lion" };

  it.each<[string, Params, string]>([
    ["a missing key", { lr: 1e-3, frac: 0.5, layers: 4, opt: "lion" }, "params lack 'bs': every parameter of the space needs a value"],
    ["an unknown key", { ...valid, momentum: 0.9 }, "params have unknown key 'momentum': the space has only 'lr', 'frac', 'layers', 'bs', 'opt'"],
    ["a value below range", { ...valid, lr: 1e-6 }, "'lr' must lie in [0.00001, 0.1], got 0.000001"],
    ["a value above range", { ...valid, layers: 9 }, "'layers' must lie in [1, 8], got 9"],
    ["an off-grid value", { ...valid, frac: 0.3 }, "'frac' must lie on the grid low + k * step (low=0, step=0.25), got 0.3"],
    ["a non-integer int", { ...valid, layers: 2.5 }, "'layers' must be an integer, got 2.5"],
    ["a non-integer log int", { ...valid, bs: 64.5 }, "'bs' must be an integer, got 64.5"],
    ["an unknown choice", { ...valid, opt: "sgd" }, `'opt' must be one of ["adamw","lion"], got "sgd"`],
    ["a string for a number", { ...valid, lr: "0.001" }, `'lr' must be a finite number, got "0.001"`],
    ["NaN", { ...valid, lr: Number.NaN }, "'lr' must be a finite number, got NaN"],
    ["null for a number", { ...valid, layers: null }, "'layers' must be a finite number, got null"],
  ])("%s", (_label, params, message) => {
    expect(space.contains(params)).toBe(false);
    const error = thrown(() => space.encode(params));
    expect(error).toBeInstanceOf(InvalidParamsError);
    expect((error as InvalidParamsError).code).toBe("INVALID_PARAMS");
    expect(error.message).toBe(`bayestune: params do not belong to the space (1 problem):\n  - ${message}`);
  });

  it("lists every problem at once", () => {
    const error = thrown(() => space.encode({ lr: 2, frac: 0.5, layers: 0, opt: "adamw" }));
    expect(error.message.split("\n").slice(1)).toEqual([
      "  - 'lr' must lie in [0.00001, 0.1], got 2",
      "  - 'layers' must lie in [1, 8], got 0",
      "  - params lack 'bs': every parameter of the space needs a value",
    ]);
  });

  it("rejects something that is not an object", () => {
    expect(space.contains(null as unknown as Params)).toBe(false);
    expect(() => space.encode([] as unknown as Params)).toThrow("params must be an object of parameter name → value, got []");
  });

  it("accepts the valid params", () => {
    expect(space.contains(valid)).toBe(true);
    const back = space.decode(space.encode(valid));
    expect({ ...back, lr: 0 }).toEqual({ ...valid, lr: 0 });
    expect(Math.abs((back["lr"] as number) / 1e-3 - 1)).toBeLessThan(1e-12);
  });
});

describe("decode and snap check the point's shape", () => {
  const space = SearchSpace.from({ a: float(0, 1), b: int(0, 3) });

  it("reject a vector of the wrong length", () => {
    expect(() => space.decode(new Float64Array(3))).toThrow(InvalidArgumentError);
    expect(() => space.snap(new Float64Array(1))).toThrow("u must have length d=2 (one coordinate per parameter), got 1");
  });

  it("reject NaN, naming the parameter", () => {
    expect(() => space.decode(Float64Array.of(0.5, Number.NaN))).toThrow("u[1] (parameter 'b') must be a number, got NaN");
  });
});
