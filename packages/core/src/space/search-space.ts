import { formatZodIssues, SpaceSpec, type ParamSpec, type ParamSpecInput } from "@bayestune/protocol";
import { InvalidArgumentError, InvalidParamsError, InvalidSpaceError } from "../errors.js";
import type { EncodedDim } from "./encoded-dim.js";
import { createCodec, type ParamCodec } from "./param-codec.js";
import { formatValue, type Params } from "./params.js";

export type { ParamSpec, ParamSpecInput } from "@bayestune/protocol";
export type { ParamValue, Params } from "./params.js";

/**
 * A validated search space and its encoding into the unit cube [0, 1]^d, one
 * coordinate per parameter, in the order the parameters were given (as
 * `Object.keys` lists them: integer-like names first).
 *
 * Contract: decode(u) always belongs to the space (ints are integers, stepped
 * floats exact grid values, choices the very values given); decode(encode(p))
 * gives p back for every p the space contains (floats up to rounding);
 * snap(u) equals encode(decode(u)) and snap(snap(u)) equals snap(u).
 * Instances are immutable.
 */
export class SearchSpace {
  /** Parameter names, in encoding order. */
  readonly names: readonly string[];
  /** How each parameter appears in the unit cube; dims[j] is coordinate j. */
  readonly dims: readonly EncodedDim[];
  /** The validated specs, frozen; `SearchSpace.from(space.specs)` rebuilds an equal space. */
  readonly specs: Readonly<Record<string, Readonly<ParamSpec>>>;
  private readonly codecs: readonly ParamCodec[];

  private constructor(specs: SpaceSpec) {
    for (const spec of Object.values(specs)) {
      if (spec.type === "categorical") Object.freeze(spec.choices);
      Object.freeze(spec);
    }
    this.specs = Object.freeze(specs);
    this.names = Object.freeze(Object.keys(specs));
    this.codecs = this.names.map((name) => createCodec(name, specs[name] as ParamSpec));
    this.dims = Object.freeze(this.codecs.map((codec) => codec.dim));
  }

  /**
   * Validates `spec` (built with `float`, `int`, `categorical`, or read from a
   * config) and builds the space.
   * @throws InvalidSpaceError listing every problem, each naming its parameter.
   */
  static from(spec: Readonly<Record<string, ParamSpecInput>>): SearchSpace {
    const parsed = SpaceSpec.safeParse(spec);
    if (!parsed.success) {
      throw new InvalidSpaceError(formatZodIssues(parsed.error, "search space"), { cause: parsed.error });
    }
    return new SearchSpace(parsed.data);
  }

  /** d, the number of parameters and of coordinates. */
  get dimension(): number {
    return this.names.length;
  }

  /**
   * The coordinates of a configuration: a vector of length d in [0, 1]^d.
   * @throws InvalidParamsError listing every missing or unknown key and every
   *   value out of range, off the grid, not an integer, or not among the choices.
   */
  encode(params: Params): Float64Array {
    const problems = this.problems(params);
    if (problems.length > 0) {
      const noun = problems.length === 1 ? "problem" : "problems";
      throw new InvalidParamsError(`params do not belong to the space (${problems.length} ${noun}):\n  - ${problems.join("\n  - ")}`);
    }
    return Float64Array.from(this.codecs, (codec, j) => codec.encode(params[this.names[j] as string] as Params[string]));
  }

  /**
   * The configuration at u (length d); each coordinate is clamped to [0, 1]
   * first, so an optimiser's slight overshoot is harmless.
   * @throws InvalidArgumentError when u has the wrong length or holds NaN.
   */
  decode(u: Float64Array): Params {
    this.checkPoint(u);
    return Object.fromEntries(this.codecs.map((codec, j) => [this.names[j], codec.decode(clampUnit(u[j] as number))]));
  }

  /**
   * The canonical coordinates of decode(u) (length d): discrete and categorical
   * coordinates move to the centre of their level's cell, continuous ones are
   * only clamped to [0, 1].
   * @throws InvalidArgumentError when u has the wrong length or holds NaN.
   */
  snap(u: Float64Array): Float64Array {
    this.checkPoint(u);
    return Float64Array.from(this.codecs, (codec, j) => codec.snap(clampUnit(u[j] as number)));
  }

  /** Whether `encode(params)` would succeed. */
  contains(params: Params): boolean {
    return this.problems(params).length === 0;
  }

  toJSON(): Record<string, ParamSpec> {
    return this.specs;
  }

  private problems(params: Params): string[] {
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      return [`params must be an object of parameter name → value, got ${formatValue(params)}`];
    }
    const problems: string[] = [];
    this.codecs.forEach((codec, j) => {
      const name = this.names[j] as string;
      if (!Object.hasOwn(params, name)) {
        problems.push(`params lack '${name}': every parameter of the space needs a value`);
        return;
      }
      const problem = codec.problem(params[name]);
      if (problem !== undefined) problems.push(problem);
    });
    for (const key of Object.keys(params)) {
      if (!Object.hasOwn(this.specs, key)) {
        problems.push(`params have unknown key '${key}': the space has only ${this.names.map((n) => `'${n}'`).join(", ")}`);
      }
    }
    return problems;
  }

  private checkPoint(u: Float64Array): void {
    if (u.length !== this.dimension) {
      throw new InvalidArgumentError(`u must have length d=${this.dimension} (one coordinate per parameter), got ${u.length}`);
    }
    const j = u.findIndex(Number.isNaN);
    if (j >= 0) throw new InvalidArgumentError(`u[${j}] (parameter '${this.names[j]}') must be a number, got NaN`);
  }
}

function clampUnit(u: number): number {
  return u < 0 ? 0 : u > 1 ? 1 : u;
}
