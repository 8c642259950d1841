import { STEP_TOLERANCE, type ChoiceValue, type ParamSpec } from "@bayestune/protocol";
import { categoryIndex, type EncodedDim } from "./encoded-dim.js";
import { formatValue, type ParamValue } from "./params.js";

/**
 * Above this many levels a discrete or categorical dim gets no `centers`: the
 * acquisition optimiser would not enumerate them anyway, so it searches the
 * relaxed coordinate and snaps, and the space does not hold a huge array.
 */
export const MAX_ENUMERATED_LEVELS = 1024;

/**
 * How one validated parameter maps to and from its unit-cube coordinate.
 * Every discrete level (int, stepped float, choice) owns an equal slice of
 * [0, 1] and sits at its centre, so a uniform u picks every level equally often.
 */
export interface ParamCodec {
  readonly dim: EncodedDim;
  /** Why `value` does not belong to the parameter (the message names it), or undefined when it does. */
  problem(value: unknown): string | undefined;
  /** The coordinate of a value for which `problem` returned undefined. */
  encode(value: ParamValue): number;
  /** The value at coordinate u, which must lie in [0, 1]. */
  decode(u: number): ParamValue;
  /** The canonical coordinate of decode(u); snap(snap(u)) === snap(u). */
  snap(u: number): number;
}

/** The codec of a spec that `ParamSpec` has accepted (bounds ordered, step dividing the range, ...). */
export function createCodec(name: string, spec: ParamSpec): ParamCodec {
  switch (spec.type) {
    case "categorical":
      return new CategoricalCodec(name, spec.choices);
    case "int":
      return spec.log === true
        ? new LogIntCodec(name, spec.low, spec.high)
        : new GridCodec(name, spec.low, spec.high, spec.step ?? 1, true);
    case "float":
      return spec.step !== undefined
        ? new GridCodec(name, spec.low, spec.high, spec.step, false)
        : new ContinuousCodec(name, spec.low, spec.high, spec.log === true);
  }
}

function clamp(x: number, low: number, high: number): number {
  return x < low ? low : x > high ? high : x;
}

function cellCenters(levels: number): Float64Array {
  if (levels > MAX_ENUMERATED_LEVELS) return new Float64Array(0);
  return Float64Array.from({ length: levels }, (_, i) => (i + 0.5) / levels);
}

function numberProblem(name: string, value: unknown, low: number, high: number): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return `'${name}' must be a finite number, got ${formatValue(value)}`;
  }
  if (!(value >= low && value <= high)) {
    return `'${name}' must lie in [${low}, ${high}], got ${value}`;
  }
  return undefined;
}

class ContinuousCodec implements ParamCodec {
  readonly dim: EncodedDim;
  private readonly lowT: number;
  private readonly highT: number;

  constructor(
    private readonly name: string,
    private readonly low: number,
    private readonly high: number,
    private readonly log: boolean,
  ) {
    this.dim = { name, kind: "continuous", levels: Infinity, centers: new Float64Array(0) };
    this.lowT = log ? Math.log(low) : low;
    this.highT = log ? Math.log(high) : high;
  }

  problem(value: unknown): string | undefined {
    return numberProblem(this.name, value, this.low, this.high);
  }

  encode(value: ParamValue): number {
    const t = this.log ? Math.log(value as number) : (value as number);
    return clamp((t - this.lowT) / (this.highT - this.lowT), 0, 1);
  }

  decode(u: number): number {
    // The endpoints are exact: exp(log(low)) need not give low back.
    if (u <= 0) return this.low;
    if (u >= 1) return this.high;
    const t = this.lowT + u * (this.highT - this.lowT);
    return clamp(this.log ? Math.exp(t) : t, this.low, this.high);
  }

  /** A continuous coordinate is already canonical; re-encoding would only add rounding noise. */
  snap(u: number): number {
    return u;
  }
}

/**
 * An int, or a float with step: levels low + i * step, the top one exactly high.
 * Stepped floats come out as the decimal grid value (0.3, not 0.30000000000000004).
 */
class GridCodec implements ParamCodec {
  readonly dim: EncodedDim;
  private readonly levels: number;
  private readonly tolerance: number;
  private readonly gridValue: (i: number) => number;

  constructor(
    private readonly name: string,
    private readonly low: number,
    private readonly high: number,
    private readonly step: number,
    private readonly integer: boolean,
  ) {
    this.levels = Math.round((high - low) / step) + 1;
    this.dim = { name, kind: "discrete", levels: this.levels, centers: cellCenters(this.levels) };
    this.tolerance = integer ? 0 : STEP_TOLERANCE * step;
    this.gridValue = integer ? (i) => low + i * step : decimalGrid(low, step, this.levels);
  }

  problem(value: unknown): string | undefined {
    const outside = numberProblem(this.name, value, this.low, this.high);
    if (outside !== undefined) return outside;
    const v = value as number;
    if (this.integer && !Number.isInteger(v)) return `'${this.name}' must be an integer, got ${v}`;
    if (Math.abs(v - this.valueAt(this.indexOf(v))) > this.tolerance) {
      return `'${this.name}' must lie on the grid low + k * step (low=${this.low}, step=${this.step}), got ${v}`;
    }
    return undefined;
  }

  encode(value: ParamValue): number {
    return (this.indexOf(value as number) + 0.5) / this.levels;
  }

  decode(u: number): number {
    return this.valueAt(categoryIndex(u, this.levels));
  }

  snap(u: number): number {
    return (categoryIndex(u, this.levels) + 0.5) / this.levels;
  }

  private indexOf(v: number): number {
    return clamp(Math.round((v - this.low) / this.step), 0, this.levels - 1);
  }

  private valueAt(i: number): number {
    return i === this.levels - 1 ? this.high : clamp(this.gridValue(i), this.low, this.high);
  }
}

/**
 * low + i * step computed as (lowInt + i * stepInt) / 10^decimals: an exact
 * integer divided by an exact power of ten rounds once, to the double nearest
 * the decimal, which is what the user typed. Falls back to low + i * step when
 * low or step has no short decimal form (1 / 3) or the integers would be unsafe.
 */
function decimalGrid(low: number, step: number, levels: number): (i: number) => number {
  const decimals = Math.max(decimalPlaces(low), decimalPlaces(step));
  if (decimals <= 15) {
    const scale = 10 ** decimals;
    const lowInt = Math.round(low * scale);
    const stepInt = Math.round(step * scale);
    const exact = lowInt / scale === low && stepInt / scale === step;
    if (exact && Number.isSafeInteger(lowInt) && Number.isSafeInteger(lowInt + (levels - 1) * stepInt)) {
      return (i) => (lowInt + i * stepInt) / scale;
    }
  }
  return (i) => low + i * step;
}

/** Digits after the decimal point in the shortest representation of x (1e-7 → 7, 1.5e-7 → 8, 0.25 → 2). */
function decimalPlaces(x: number): number {
  const [mantissa = "", exponent = "0"] = String(Math.abs(x)).split("e");
  const fraction = mantissa.split(".")[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/**
 * An int on a log scale: integer v owns [v - 0.5, v + 0.5], and the coordinate
 * is linear in ln between ln(low - 0.5) and ln(high + 0.5), so every decade gets
 * the same share of [0, 1] while every integer stays reachable. v is encoded at
 * the centre of its cell in u, which decodes to sqrt(v² - 1/4), rounding to v.
 */
class LogIntCodec implements ParamCodec {
  readonly dim: EncodedDim;
  private readonly lnLow: number;
  private readonly lnHigh: number;

  constructor(
    private readonly name: string,
    private readonly low: number,
    private readonly high: number,
  ) {
    const levels = high - low + 1;
    this.lnLow = Math.log(low - 0.5);
    this.lnHigh = Math.log(high + 0.5);
    const centers = levels > MAX_ENUMERATED_LEVELS ? new Float64Array(0) : Float64Array.from({ length: levels }, (_, i) => this.encode(low + i));
    this.dim = { name, kind: "discrete", levels, centers };
  }

  problem(value: unknown): string | undefined {
    const outside = numberProblem(this.name, value, this.low, this.high);
    if (outside !== undefined) return outside;
    return Number.isInteger(value) ? undefined : `'${this.name}' must be an integer, got ${value as number}`;
  }

  encode(value: ParamValue): number {
    const v = value as number;
    const lnCenter = 0.5 * (Math.log(v - 0.5) + Math.log(v + 0.5));
    return (lnCenter - this.lnLow) / (this.lnHigh - this.lnLow);
  }

  decode(u: number): number {
    const x = Math.exp(this.lnLow + u * (this.lnHigh - this.lnLow));
    return clamp(Math.round(x), this.low, this.high);
  }

  snap(u: number): number {
    return this.encode(this.decode(u));
  }
}

/** Choice i at the centre of the i-th of `levels` equal cells; the order carries no meaning. */
class CategoricalCodec implements ParamCodec {
  readonly dim: EncodedDim;
  private readonly index = new Map<string, number>();

  constructor(
    private readonly name: string,
    private readonly choices: readonly ChoiceValue[],
  ) {
    this.dim = { name, kind: "categorical", levels: choices.length, centers: cellCenters(choices.length) };
    choices.forEach((choice, i) => this.index.set(choiceKey(choice) ?? "", i));
  }

  problem(value: unknown): string | undefined {
    const key = choiceKey(value);
    if (key !== undefined && this.index.has(key)) return undefined;
    const listed = this.choices.length <= 20 ? JSON.stringify(this.choices) : `${this.choices.length} choices`;
    return `'${this.name}' must be one of ${listed}, got ${formatValue(value)}`;
  }

  encode(value: ParamValue): number {
    return ((this.index.get(choiceKey(value) ?? "") ?? 0) + 0.5) / this.choices.length;
  }

  decode(u: number): ChoiceValue {
    return this.choices[categoryIndex(u, this.choices.length)] as ChoiceValue;
  }

  snap(u: number): number {
    return (categoryIndex(u, this.choices.length) + 0.5) / this.choices.length;
  }
}

/** Type and value, as in the protocol's uniqueness check: 1 and "1" differ; anything but a JSON scalar matches nothing. */
function choiceKey(value: unknown): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return `${typeof value}:${String(value)}`;
    default:
      return undefined;
  }
}
