import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChoiceValue, ParamSpecInput } from "@bayestune/protocol";
import { InvalidParamsError } from "../../src/errors.js";
import { categorical, float, int } from "../../src/space/param-builders.js";
import { SearchSpace, type ParamValue, type Params } from "../../src/space/search-space.js";

/**
 * A spec together with what the test knows about it independently of the code
 * under test: the decimal grid of a stepped float, and a generator of values
 * that the parameter must accept.
 */
interface Case {
  readonly spec: ParamSpecInput;
  readonly grid?: { readonly lowInt: number; readonly stepInt: number; readonly decimals: number; readonly steps: number };
  readonly value: fc.Arbitrary<ParamValue>;
}

// Width at least 1e-3 of the bounds' magnitude, so a coordinate carries at least ~13 significant digits.
const linearFloat: fc.Arbitrary<Case> = fc
  .tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }))
  .map(([low, relativeWidth]) => {
    const high = low + relativeWidth * Math.max(1, Math.abs(low));
    return { spec: float(low, high), value: fc.double({ min: low, max: high, noNaN: true }) };
  });

const logFloat: fc.Arbitrary<Case> = fc
  .tuple(fc.double({ min: -10, max: 3, noNaN: true }), fc.double({ min: 0.1, max: 8, noNaN: true }))
  .map(([lowExp, decades]) => {
    const low = 10 ** lowExp;
    const high = 10 ** (lowExp + decades);
    return { spec: float(low, high, { log: true }), value: fc.double({ min: low, max: high, noNaN: true }) };
  });

const steppedFloat: fc.Arbitrary<Case> = fc
  .tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 1500 }))
  .map(([lowInt, stepInt, decimals, steps]) => {
    const scale = 10 ** decimals;
    return {
      spec: float(lowInt / scale, (lowInt + steps * stepInt) / scale, { step: stepInt / scale }),
      grid: { lowInt, stepInt, decimals, steps },
      value: fc.integer({ min: 0, max: steps }).map((k) => (lowInt + k * stepInt) / scale),
    };
  });

const linearInt: fc.Arbitrary<Case> = fc
  .tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 3000 }))
  .map(([low, step, steps]) => ({
    spec: int(low, low + steps * step, { step }),
    value: fc.integer({ min: 0, max: steps }).map((k) => low + k * step),
  }));

const logInt: fc.Arbitrary<Case> = fc
  .tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1_000_000 }))
  .map(([low, width]) => ({ spec: int(low, low + width, { log: true }), value: fc.integer({ min: low, max: low + width }) }));

const choice: fc.Arbitrary<ChoiceValue> = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

const categoricalCase: fc.Arbitrary<Case> = fc
  .uniqueArray(choice, { minLength: 1, maxLength: 12, selector: (c) => `${typeof c}:${JSON.stringify(c)}` })
  .map((choices) => ({ spec: categorical(choices), value: fc.constantFrom(...choices) }));

const anyCase = fc.oneof(linearFloat, logFloat, steppedFloat, linearInt, logInt, categoricalCase);

/**
 * A coordinate: mostly spread over [0, 1] (fc.double alone favours the ends,
 * which only ever decode to low and high), sometimes outside, to exercise the clamp.
 */
const coordinate = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 2 ** 30 }).map((i) => i / 2 ** 30) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: -0.25, max: 1.25, noNaN: true }) },
);

/** A space of 1 to 5 parameters, a point u to decode, and params the space must accept. */
const spaceWithPoint = fc.array(anyCase, { minLength: 1, maxLength: 5 }).chain((cases) =>
  fc.record({
    cases: fc.constant(cases),
    u: fc.array(coordinate, { minLength: cases.length, maxLength: cases.length }),
    params: fc.tuple(...cases.map((c) => c.value)),
  }),
);

function build(cases: readonly Case[]): SearchSpace {
  return SearchSpace.from(Object.fromEntries(cases.map((c, j) => [`p${j}`, c.spec])));
}

describe("SearchSpace properties", () => {
  it("decodes every u to params of the space: ints integers, stepped floats exact decimal grid values", () => {
    fc.assert(
      fc.property(spaceWithPoint, ({ cases, u }) => {
        const space = build(cases);
        const params = space.decode(Float64Array.from(u));
        expect(space.contains(params)).toBe(true);
        cases.forEach((c, j) => {
          const v = params[`p${j}`];
          if (c.spec.type === "int") expect(Number.isInteger(v)).toBe(true);
          if (c.grid !== undefined) {
            const { lowInt, stepInt, decimals } = c.grid;
            const k = Math.round(((v as number) * 10 ** decimals - lowInt) / stepInt);
            expect(v).toBe((lowInt + k * stepInt) / 10 ** decimals);
            expect(v).toBe(Number((v as number).toFixed(decimals)));
          }
          if (c.spec.type === "categorical") expect(c.spec.choices).toContain(v);
        });
      }),
    );
  });

  it("has encode(decode(u)) == snap(u), exactly on discrete and categorical coordinates, and snap idempotent", () => {
    fc.assert(
      fc.property(spaceWithPoint, ({ cases, u }) => {
        const space = build(cases);
        const x = Float64Array.from(u);
        const snapped = space.snap(x);
        const reencoded = space.encode(space.decode(x));
        expect(space.snap(snapped)).toEqual(snapped);
        expect(space.decode(snapped)).toEqual(space.decode(x));
        space.dims.forEach((dim, j) => {
          expect(snapped[j]).toBeGreaterThanOrEqual(0);
          expect(snapped[j]).toBeLessThanOrEqual(1);
          if (dim.kind === "continuous") {
            expect(Math.abs((reencoded[j] as number) - (snapped[j] as number))).toBeLessThan(1e-9);
          } else {
            expect(reencoded[j]).toBe(snapped[j]);
            if (dim.centers.length > 0) expect(Array.from(dim.centers)).toContain(snapped[j]);
          }
        });
      }),
    );
  });

  it("gives valid params back from decode(encode(p)): exactly, or for continuous floats to 1e-12 of the bounds' scale", () => {
    fc.assert(
      fc.property(spaceWithPoint, ({ cases, params: values }) => {
        const space = build(cases);
        const params: Params = Object.fromEntries(values.map((v, j) => [`p${j}`, v]));
        const x = space.encode(params);
        const back = space.decode(x);
        cases.forEach((c, j) => {
          const name = `p${j}`;
          const expected = params[name];
          if (c.spec.type === "float" && c.spec.step === undefined) {
            const scale = c.spec.log === true ? Math.abs(expected as number) : Math.max(Math.abs(c.spec.low), Math.abs(c.spec.high));
            expect(Math.abs((back[name] as number) - (expected as number))).toBeLessThanOrEqual(1e-12 * scale);
          } else {
            expect(back[name]).toBe(expected);
          }
        });
      }),
    );
  });

  it("lists the centres ascending, one per level, each decoding to a different value", () => {
    fc.assert(
      fc.property(anyCase, (c) => {
        const space = build([c]);
        const dim = space.dims[0]!;
        if (dim.kind === "continuous") {
          expect(dim.centers).toHaveLength(0);
          return;
        }
        if (dim.levels > 1024) {
          expect(dim.centers).toHaveLength(0);
          return;
        }
        expect(dim.centers).toHaveLength(dim.levels);
        const centers = Array.from(dim.centers);
        for (let i = 1; i < centers.length; i++) expect(centers[i]).toBeGreaterThan(centers[i - 1] as number);
        const decoded = centers.map((u) => JSON.stringify(space.decode(Float64Array.of(u))));
        expect(new Set(decoded).size).toBe(dim.levels);
      }),
      { numRuns: 60 },
    );
  });

  it("names the parameter in every rejection", () => {
    const junk = fc.oneof(
      fc.double(),
      fc.string({ maxLength: 3 }),
      fc.constant(null),
      fc.boolean(),
      fc.constant(undefined),
      fc.constant({}),
    ) as fc.Arbitrary<ParamValue>;
    fc.assert(
      fc.property(fc.array(anyCase, { minLength: 1, maxLength: 4 }), fc.nat(), junk, (cases, pick, value) => {
        const space = build(cases);
        const target = `p${pick % cases.length}`;
        const params = space.decode(new Float64Array(cases.length).fill(0.5));
        params[target] = value;
        if (space.contains(params)) return;
        let message = "";
        try {
          space.encode(params);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidParamsError);
          message = (error as Error).message;
        }
        expect(message).toContain(`'${target}'`);
      }),
    );
  });
});
