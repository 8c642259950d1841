import { fitGP } from "../gp/fit.js";
import type { GaussianProcess } from "../gp/gaussian-process.js";
import type { EncodedDim } from "../space/encoded-dim.js";
import type { CurvePrediction, ObservedCurve } from "./freeze-thaw.js";

const BUDGET_DIM: EncodedDim = { name: "__budget", kind: "continuous", levels: Infinity, centers: new Float64Array(0) };

/**
 * The multi-fidelity GP as a curve model: one Matérn GP over (params, log
 * budget) fitted to every point of every curve (the model of proposeAtFullBudget,
 * given the curves instead of the rung results). A curve's own points inform its
 * extrapolation through the kernel, as near neighbours in budget; it is less
 * sharp than the freeze–thaw GP but calibrated (docs/benchmarks.md,
 * predict-final), which is what expected improvement needs.
 */
export class BudgetGpModel {
  readonly #gp: GaussianProcess;
  readonly #curves: readonly ObservedCurve[];
  readonly #logMin: number;

  /** @param minBudget - the smallest budget fraction a curve can have (the first increment): coordinate 0. */
  constructor(dims: readonly EncodedDim[], curves: readonly ObservedCurve[], minBudget: number, warmStart?: GaussianProcess) {
    this.#curves = curves;
    this.#logMin = Math.log(minBudget);
    const X: Float64Array[] = [];
    const y: number[] = [];
    for (const curve of curves) {
      for (const [s, value] of curve.points) {
        X.push(this.#at(curve.x, s));
        y.push(value);
      }
    }
    this.#gp = fitGP(X, Float64Array.from(y), { dims: [...dims, BUDGET_DIM], ...(warmStart !== undefined ? { warmStart: warmStart.hyperparameters } : {}) });
  }

  get gp(): GaussianProcess {
    return this.#gp;
  }

  /** The curve of conditioning curve `target` (by index) or of a new configuration x, at budget fraction s. */
  predict(target: number | Float64Array, s: number): CurvePrediction {
    const x = typeof target === "number" ? this.#curves[target]!.x : target;
    const { mean, variance } = this.#gp.predict([this.#at(x, s)]);
    return { mean: mean[0]!, variance: Math.max(1e-12, variance[0]!) };
  }

  /** (x, budget coordinate): log s from the first increment (0) to the full budget (1). */
  #at(x: Float64Array, s: number): Float64Array {
    const u = new Float64Array(x.length + 1);
    u.set(x);
    u[x.length] = this.#logMin === 0 ? 1 : Math.min(1, Math.max(0, 1 - Math.log(s) / this.#logMin));
    return u;
  }
}
