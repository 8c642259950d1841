/**
 * How one parameter appears in the unit cube that the GP and the acquisition
 * optimiser work in. Every parameter takes exactly one coordinate u in [0, 1].
 *
 * - "continuous": a float without step; u is linear (or logarithmic) in the value.
 * - "discrete": an int, or a float with step; `levels` distinct values, each
 *   owning a slice of [0, 1] and encoded at its centre. The slices are equal
 *   (u = (i + 0.5) / levels), except for a log int, where integer v owns
 *   [v - 0.5, v + 0.5] on a log axis, a slice of width proportional to
 *   ln((v + 0.5) / (v - 0.5)). Decoding picks the slice, so the GP sees the
 *   relaxed coordinate but the user gets an exact grid value.
 * - "categorical": `levels` choices; choice i sits at u = (i + 0.5) / levels. The
 *   GP never treats this coordinate as ordered: it only compares level indices.
 */
export interface EncodedDim {
  readonly name: string;
  readonly kind: "continuous" | "discrete" | "categorical";
  /** Number of distinct values; Infinity for "continuous". */
  readonly levels: number;
  /**
   * Encoded positions of the levels, ascending; empty for "continuous", and
   * also empty when `levels` exceeds 1024 (`MAX_ENUMERATED_LEVELS` in
   * param-codec.ts): the acquisition optimiser then treats the coordinate as
   * relaxed-continuous and snaps its result to a level, instead of enumerating.
   */
  readonly centers: Float64Array;
}

/** The level index a categorical coordinate u encodes: floor(u * levels), clamped. */
export function categoryIndex(u: number, levels: number): number {
  const i = Math.floor(u * levels);
  return i < 0 ? 0 : i >= levels ? levels - 1 : i;
}
