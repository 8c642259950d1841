import { InvalidArgumentError, type Params, type ParamValue, type SearchSpace } from "@bayestune/core";

export interface SliceOptions {
  /**
   * Points along each float or int parameter, both ends included (an int or
   * stepped float with fewer levels gets each level once).
   * @defaultValue 40
   */
  gridPoints?: number;
}

/** The model's prediction at one configuration, in the objective's own units. */
export interface SlicePrediction {
  readonly mean: number;
  readonly std: number;
}

/** A complete trial, drawn as a point over each slice. */
export interface ObservedPoint {
  readonly params: Readonly<Params>;
  readonly value: number;
}

/**
 * The model along one parameter, the others held at the anchor. A categorical's
 * values are its choices as strings, as on the parallel-coordinates axes.
 */
export interface ModelSlice {
  readonly name: string;
  /** How to draw the x axis: "log" for a log-scaled float or int. */
  readonly kind: "linear" | "log" | "categorical";
  /**
   * The parameter's values, ascending (choices in the space's order); the
   * anchor's own value is one of them, so the curve passes through the anchor.
   */
  readonly x: readonly (number | string)[];
  /** The model's mean at each x (same length as x). */
  readonly mean: readonly number[];
  /** mean − 2·std and mean + 2·std at each x: the ≈95% band of the model's std, in the objective's units. */
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  /** The anchor's value of this parameter. */
  readonly anchor: number | string;
  /** Every observed trial's value of this parameter and its objective value. */
  readonly observed: readonly { readonly x: number | string; readonly value: number }[];
}

/** One slice's x values as params take them, and as the plot shows them. */
interface Axis {
  readonly name: string;
  readonly kind: ModelSlice["kind"];
  readonly values: readonly ParamValue[];
  readonly label: (value: ParamValue | undefined) => number | string;
}

/** The points the slices need, and the slices from the predictions there. */
export interface SliceDesign {
  /** Σ_i |x_i| configurations: parameter by parameter (the space's order), x by x. */
  readonly points: readonly Params[];
  /** The slices, in the space's order, from the predictions at `points` (same order and length). */
  slices(predictions: readonly SlicePrediction[]): ModelSlice[];
}

/**
 * One-dimensional slices of the model through `anchor` (the best trial's
 * params): each parameter varied over a grid (evenly spaced in its unit-cube
 * coordinate, so geometric for a log parameter; integers without repeats for an
 * int; every choice for a categorical) while every other one keeps the anchor's
 * value. A slice shows how the objective responds near the best configuration,
 * not averaged over the space (for that, see `parameterImportance`).
 *
 * `predict` is called once, with every point.
 * @throws InvalidParamsError when the anchor is not in the space;
 *   InvalidArgumentError for options out of range, or predictions of the wrong length.
 */
export function modelSlices(
  space: SearchSpace,
  predict: (params: readonly Params[]) => SlicePrediction[],
  anchor: Readonly<Params>,
  observed: readonly ObservedPoint[],
  options: SliceOptions = {},
): ModelSlice[] {
  const design = sliceDesign(space, anchor, observed, options);
  return design.slices(predict(design.points));
}

/**
 * The design behind {@link modelSlices}, for a caller that batches its points
 * with others into one prediction (each prediction refits the model).
 */
export function sliceDesign(space: SearchSpace, anchor: Readonly<Params>, observed: readonly ObservedPoint[], options: SliceOptions = {}): SliceDesign {
  const gridPoints = options.gridPoints ?? 40;
  if (!Number.isInteger(gridPoints) || gridPoints < 2) throw new InvalidArgumentError(`gridPoints >= 2 must hold (an integer), got gridPoints=${gridPoints}`);
  const anchorU = space.encode(anchor);

  const axes = space.names.map((name, j): Axis => {
    const spec = space.specs[name]!;
    if (spec.type === "categorical") {
      return { name, kind: "categorical", values: [...spec.choices], label: (v) => String(v) };
    }
    const values = new Set<number>([anchor[name] as number]);
    const point = Float64Array.from(anchorU);
    for (let k = 0; k < gridPoints; k++) {
      point[j] = k / (gridPoints - 1);
      values.add(space.decode(point)[name] as number);
    }
    return { name, kind: spec.log === true ? "log" : "linear", values: [...values].sort((a, b) => a - b), label: (v) => v as number };
  });
  const points = axes.flatMap(({ name, values }) => values.map((value) => ({ ...anchor, [name]: value })));

  return {
    points,
    slices(predictions) {
      if (predictions.length !== points.length) {
        throw new InvalidArgumentError(`predict must return one prediction per point (${points.length}), got ${predictions.length}`);
      }
      let offset = 0;
      return axes.map(({ name, kind, values, label }) => {
        const along = predictions.slice(offset, offset + values.length);
        offset += values.length;
        return {
          name,
          kind,
          x: values.map(label),
          mean: along.map((p) => p.mean),
          lower: along.map((p) => p.mean - 2 * p.std),
          upper: along.map((p) => p.mean + 2 * p.std),
          anchor: label(anchor[name]),
          observed: observed.map((o) => ({ x: label(o.params[name]), value: o.value })),
        };
      });
    },
  };
}
