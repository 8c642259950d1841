import { InvalidArgumentError } from "../errors.js";
import { Rng } from "../rng.js";
import {
  JOE_KUO_DIMENSIONS,
  JOE_KUO_INITIAL_M,
  JOE_KUO_POLYNOMIALS,
} from "./joe-kuo-directions.js";

/** The largest dimension a {@link SobolSequence} supports: the Joe–Kuo numbers shipped. */
export const MAX_SOBOL_DIMENSION: number = JOE_KUO_DIMENSIONS;

/** Options of a {@link SobolSequence}. */
export interface SobolOptions {
  /**
   * Apply a random linear matrix scramble and a random digital shift. Both keep every
   * (t, m, s)-net property of the unscrambled sequence, remove its bias towards the
   * origin and make independent replicates possible.
   * @defaultValue true
   */
  scramble?: boolean;
  /**
   * Seed of the scramble (truncated to an unsigned 32-bit integer, as by `Rng`); ignored
   * without scrambling.
   * @defaultValue 0
   */
  seed?: number;
}

/**
 * 32 digits per coordinate: enough for 2^32 points, and every point is an exact multiple
 * of 2^-32, so float64 holds it without rounding.
 */
const BITS = 32;
const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;

/**
 * A Sobol low-discrepancy sequence in [0, 1)^d (Joe–Kuo direction numbers, Gray-code
 * order, as SciPy's `qmc.Sobol`), optionally scrambled.
 *
 * The first 2^m points form a (t, m, d)-net: in particular every 1-D projection has exactly
 * one point in each interval [k / 2^m, (k + 1) / 2^m), with or without scrambling. Draw
 * powers of two to keep that balance. At most 2^32 points can be drawn.
 */
export class SobolSequence {
  readonly dimension: number;
  /** dimension × 32, row-major: direction number j of coordinate i at i * 32 + j. */
  private readonly directions: Uint32Array;
  /** Current point as integers: coordinate i is state[i] / 2^32 (plus the scramble's centring). */
  private readonly state: Uint32Array;
  private readonly cellOffset: number;
  private index = 0;

  constructor(dimension: number, options: SobolOptions = {}) {
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > MAX_SOBOL_DIMENSION) {
      throw new InvalidArgumentError(
        `dimension must be an integer in [1, ${MAX_SOBOL_DIMENSION}], got ${dimension}`,
      );
    }
    const scramble = options.scramble ?? true;
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) {
      throw new InvalidArgumentError(`seed must be an integer, got ${seed}`);
    }
    this.dimension = dimension;
    this.directions = joeKuoDirections(dimension);
    this.state = new Uint32Array(dimension);
    // Scrambled points sit in the middle of their 2^-32 cell, so none is exactly 0, which an
    // inverse-CDF transform downstream would send to -Infinity; the net balance is unchanged.
    this.cellOffset = scramble ? 0.5 : 0;
    if (scramble) scrambleInPlace(this.directions, this.state, new Rng(seed));
  }

  /** The next point: length d, in [0, 1)^d. */
  next(): Float64Array {
    this.requireRemaining(1);
    const point = new Float64Array(this.dimension);
    this.writeNext(point, 0);
    return point;
  }

  /**
   * The next n points: n × d. The rows are views into one contiguous row-major n × d buffer
   * (`points[0].buffer`), because allocating each row separately costs more than generating it.
   */
  draw(n: number): Float64Array[] {
    if (!Number.isInteger(n) || n < 0) {
      throw new InvalidArgumentError(`n must be a non-negative integer, got ${n}`);
    }
    this.requireRemaining(n);
    const d = this.dimension;
    const flat = new Float64Array(n * d);
    const points = new Array<Float64Array>(n);
    for (let k = 0; k < n; k++) {
      this.writeNext(flat, k * d);
      points[k] = flat.subarray(k * d, (k + 1) * d);
    }
    return points;
  }

  private requireRemaining(n: number): void {
    if (this.index + n > TWO_POW_32) {
      throw new InvalidArgumentError(
        `at most 2^32 points can be drawn from a SobolSequence, ${TWO_POW_32 - this.index} remain, got a request for ${n}`,
      );
    }
  }

  /** Writes the current point into target[offset .. offset + d) and advances. */
  private writeNext(target: Float64Array, offset: number): void {
    const d = this.dimension;
    const state = this.state;
    const cellOffset = this.cellOffset;
    for (let i = 0; i < d; i++) target[offset + i] = ((state[i] as number) + cellOffset) * INV_TWO_POW_32;
    this.index++;
    if (this.index < TWO_POW_32) {
      // Gray-code order: point k differs from point k - 1 by the direction number of the
      // lowest set bit of k, so each step costs one XOR per coordinate.
      const j = 31 - Math.clz32(this.index & -this.index);
      const directions = this.directions;
      for (let i = 0; i < d; i++) state[i] = (state[i] as number) ^ (directions[i * BITS + j] as number);
    }
  }
}

/**
 * Direction numbers v_j = m_j · 2^(31 - j) of the first `dimension` Joe–Kuo coordinates:
 * dimension × 32, row-major. The m-values beyond the initial ones follow Bratley and Fox's
 * recurrence (ACM TOMS 14, 88–100, 1988), written on the v's so that no step overflows 32 bits.
 */
function joeKuoDirections(dimension: number): Uint32Array {
  const directions = new Uint32Array(dimension * BITS);
  let initialOffset = 0;
  for (let i = 0; i < dimension; i++) {
    const row = i * BITS;
    const poly = JOE_KUO_POLYNOMIALS[i] as number;
    const degree = 31 - Math.clz32(poly);
    if (degree === 0) {
      // The polynomial 1 stands for van der Corput's sequence: the identity generator matrix.
      for (let j = 0; j < BITS; j++) directions[row + j] = 2 ** (31 - j);
      continue;
    }
    for (let j = 0; j < degree; j++) {
      directions[row + j] = (JOE_KUO_INITIAL_M[initialOffset + j] as number) * 2 ** (31 - j);
    }
    initialOffset += degree;
    for (let j = degree; j < BITS; j++) {
      const far = directions[row + j - degree] as number;
      let v = far ^ (far >>> degree);
      for (let k = 1; k < degree; k++) {
        if ((poly >>> (degree - k)) & 1) v ^= directions[row + j - k] as number;
      }
      directions[row + j] = v;
    }
  }
  return directions;
}

/**
 * Random linear matrix scramble plus digital shift, in place. Digit k of each scrambled
 * coordinate (k = 1 most significant) is digit k XOR a random combination of digits 1..k - 1
 * (a lower-triangular binary matrix with unit diagonal), so the first m digits of the output
 * depend invertibly on the first m digits of the input and every elementary interval keeps
 * its point count. Since the map is linear it applies to the direction numbers once; the
 * shift becomes the starting state. directions: d × 32; state: length d, all zero.
 */
function scrambleInPlace(directions: Uint32Array, state: Uint32Array, rng: Rng): void {
  // Column l of the matrix: its unit diagonal at digit l, random entries at the less
  // significant digits below it. L·v is then the XOR of the columns of v's set digits.
  const columns = new Uint32Array(BITS);
  for (let i = 0; i < state.length; i++) {
    for (let l = 0; l < BITS; l++) {
      const diagonal = 2 ** (31 - l);
      columns[l] = ((rng.nextUint32() & (diagonal - 1)) | diagonal) >>> 0;
    }
    const row = i * BITS;
    for (let j = 0; j < BITS; j++) {
      const v = directions[row + j] as number;
      let scrambled = 0;
      for (let l = 0; l < BITS; l++) {
        if ((v >>> (31 - l)) & 1) scrambled ^= columns[l] as number;
      }
      directions[row + j] = scrambled >>> 0;
    }
    state[i] = rng.nextUint32();
  }
}
