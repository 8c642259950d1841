import { InvalidArgumentError } from "../errors.js";
import { LbfgsMemory } from "./lbfgs-memory.js";

/** Writes ∇f(x) into `grad` (length n) and returns f(x). May return NaN/Infinity for points it cannot evaluate. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

export interface BoundedMinimizeOptions {
  /** @defaultValue 100 */ maxIterations?: number;
  /** @defaultValue maxIterations * 3 (hard cap on objective calls) */ maxEvaluations?: number;
  /** Stop when the projected gradient's infinity norm is below this. @defaultValue 1e-5 */ gradientTolerance?: number;
  /** Stop when (f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= this. @defaultValue 1e-9 */ relativeTolerance?: number;
  /** Number of correction pairs kept. @defaultValue 10 */ memory?: number;
}

export interface BoundedMinimizeResult {
  x: Float64Array;
  value: number;
  gradient: Float64Array;
  iterations: number;
  evaluations: number;
  converged: boolean;
  reason: "gradient" | "relative-reduction" | "max-iterations" | "max-evaluations" | "line-search-failed";
}

type StopReason = BoundedMinimizeResult["reason"];

/** Sufficient-decrease constant of the Armijo test. */
const ARMIJO = 1e-4;
/** A step is extended while the slope along it is still steeper than this fraction of the initial slope. */
const CURVATURE = 0.9;
const MAX_EXPANSIONS = 10;
const MAX_TRIALS = 60;
/**
 * Largest distance to a bound at which a variable whose gradient pushes outward is
 * treated as active (Bertsekas' ε-active set). Without it a variable a hair inside
 * its bound would force tiny steps on the whole quasi-Newton direction.
 */
const MAX_ACTIVE_MARGIN = 1e-3;

/**
 * Minimises f over the box lower <= x <= upper by projected limited-memory BFGS
 * (Bertsekas' two-metric projection): variables at, or within a small margin of,
 * a bound that the gradient pushes against move by scaled steepest descent and
 * are clipped at the bound; the others follow the L-BFGS direction built from
 * correction pairs restricted to them. The step is found by an Armijo
 * backtracking search along the projected path, trying the quasi-Newton unit step
 * first and extending it while the slope stays steep.
 *
 * Contract: every point passed to f lies in the box; a point whose value or
 * gradient is not finite counts as "too far" and the search backtracks from it;
 * the returned point is the best one evaluated (never outside the box). When f(x0)
 * itself cannot be evaluated the call returns at once with value Infinity,
 * reason "line-search-failed" and the gradient as f left it. f must not modify x.
 *
 * @param f - objective writing its gradient (length n).
 * @param x0 - start, length n; projected into the box first.
 * @param lower - length n; -Infinity allowed; lower[i] == upper[i] fixes variable i.
 * @param upper - length n; Infinity allowed.
 * @returns x, gradient: length n (fresh arrays owned by the caller).
 */
export function minimizeBounded(
  f: ObjectiveWithGradient,
  x0: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  options: BoundedMinimizeOptions = {},
): BoundedMinimizeResult {
  validateBounds(x0, lower, upper);
  return new ProjectedLbfgs(f, x0, lower, upper, resolveOptions(options)).run();
}

interface ResolvedOptions {
  maxIterations: number;
  maxEvaluations: number;
  gradientTolerance: number;
  relativeTolerance: number;
  memory: number;
}

function resolveOptions(options: BoundedMinimizeOptions): ResolvedOptions {
  const maxIterations = options.maxIterations ?? 100;
  requireInteger("maxIterations", maxIterations, 0);
  const maxEvaluations = options.maxEvaluations ?? maxIterations * 3;
  requireInteger("maxEvaluations", maxEvaluations, 1);
  const gradientTolerance = options.gradientTolerance ?? 1e-5;
  if (!(gradientTolerance >= 0)) {
    throw new InvalidArgumentError(`gradientTolerance >= 0 must hold, got ${gradientTolerance}`);
  }
  const relativeTolerance = options.relativeTolerance ?? 1e-9;
  if (!(relativeTolerance >= 0)) {
    throw new InvalidArgumentError(`relativeTolerance >= 0 must hold, got ${relativeTolerance}`);
  }
  const memory = options.memory ?? 10;
  requireInteger("memory", memory, 1);
  return { maxIterations, maxEvaluations, gradientTolerance, relativeTolerance, memory };
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

function validateBounds(x0: Float64Array, lower: Float64Array, upper: Float64Array): void {
  if (lower.length !== x0.length || upper.length !== x0.length) {
    throw new InvalidArgumentError(
      `lower, upper and x0 must have the same length, got ${lower.length}, ${upper.length} and ${x0.length}`,
    );
  }
  for (let i = 0; i < x0.length; i++) {
    const lo = lower[i] as number;
    const hi = upper[i] as number;
    if (!(lo <= hi)) {
      throw new InvalidArgumentError(`lower <= upper must hold at index ${i}, got lower=${lo}, upper=${hi}`);
    }
    if (lo === Infinity || hi === -Infinity) {
      throw new InvalidArgumentError(
        `lower < Infinity and upper > -Infinity must hold at index ${i}, got lower=${lo}, upper=${hi}`,
      );
    }
    if (Number.isNaN(x0[i])) {
      throw new InvalidArgumentError(`x0 must not contain NaN, got NaN at index ${i}`);
    }
  }
}

/** One run's state; buffers are swapped rather than copied between iterations. */
class ProjectedLbfgs {
  private readonly n: number;
  private x: Float64Array;
  private g: Float64Array;
  private fx = Infinity;
  /** The point under trial in the line search. */
  private xTrial: Float64Array;
  private gTrial: Float64Array;
  /** The last trial that passed the Armijo test in the current line search. */
  private xAccepted: Float64Array;
  private gAccepted: Float64Array;
  private fAccepted = Infinity;
  private trialMoved = false;
  private trialClipped = false;
  private readonly xBest: Float64Array;
  private readonly gBest: Float64Array;
  private fBest = Infinity;
  private readonly d: Float64Array;
  private readonly free: Int32Array;
  private readonly memory: LbfgsMemory;
  /** Largest first move (∞-norm) when there is no curvature information to size the step. */
  private readonly firstMove: number;
  private evaluations = 0;
  private iterations = 0;

  constructor(
    private readonly f: ObjectiveWithGradient,
    x0: Float64Array,
    private readonly lower: Float64Array,
    private readonly upper: Float64Array,
    private readonly options: ResolvedOptions,
  ) {
    const n = x0.length;
    this.n = n;
    this.x = new Float64Array(n);
    this.g = new Float64Array(n);
    this.xTrial = new Float64Array(n);
    this.gTrial = new Float64Array(n);
    this.xAccepted = new Float64Array(n);
    this.gAccepted = new Float64Array(n);
    this.xBest = new Float64Array(n);
    this.gBest = new Float64Array(n);
    this.d = new Float64Array(n);
    this.free = new Int32Array(n);
    this.memory = new LbfgsMemory(n, options.memory);
    let widest = 0;
    for (let i = 0; i < n; i++) {
      this.x[i] = Math.min(Math.max(x0[i] as number, lower[i] as number), upper[i] as number);
      const width = (upper[i] as number) - (lower[i] as number);
      if (Number.isFinite(width)) widest = Math.max(widest, width);
    }
    this.firstMove = widest > 0 ? Math.min(1, widest) : 1;
  }

  run(): BoundedMinimizeResult {
    this.fx = this.evaluate(this.x, this.g);
    if (this.fx === Infinity) {
      return {
        x: this.x,
        value: Infinity,
        gradient: this.g,
        iterations: 0,
        evaluations: this.evaluations,
        converged: false,
        reason: "line-search-failed",
      };
    }
    let lastReduction = Infinity;
    for (;;) {
      const projectedGradient = this.projectedGradientNorm();
      if (projectedGradient <= this.options.gradientTolerance) return this.finish("gradient");
      if (lastReduction <= this.options.relativeTolerance) return this.finish("relative-reduction");
      if (this.iterations >= this.options.maxIterations) return this.finish("max-iterations");
      if (this.evaluations >= this.options.maxEvaluations) return this.finish("max-evaluations");

      let initialStep = this.quasiNewtonDirection(projectedGradient);
      let outcome = this.lineSearch(initialStep);
      if (outcome === "failed" && this.memory.size > 0) {
        // The quasi-Newton model misled us; start over from the gradient.
        this.memory.reset();
        initialStep = this.steepestDescentDirection();
        outcome = this.lineSearch(initialStep);
      }
      if (outcome === "failed") return this.finish("line-search-failed");
      if (outcome === "out-of-evaluations") return this.finish("max-evaluations");

      this.memory.push(this.xAccepted, this.x, this.gAccepted, this.g);
      const previous = this.fx;
      [this.x, this.xAccepted] = [this.xAccepted, this.x];
      [this.g, this.gAccepted] = [this.gAccepted, this.g];
      this.fx = this.fAccepted;
      this.iterations++;
      lastReduction = (previous - this.fx) / Math.max(Math.abs(previous), Math.abs(this.fx), 1);
    }
  }

  private finish(reason: StopReason): BoundedMinimizeResult {
    const converged = reason === "gradient" || reason === "relative-reduction";
    return {
      x: this.xBest,
      value: this.fBest,
      gradient: this.gBest,
      iterations: this.iterations,
      evaluations: this.evaluations,
      converged,
      reason,
    };
  }

  /** Counts the call, keeps the best point, and maps unevaluable points to Infinity. */
  private evaluate(x: Float64Array, grad: Float64Array): number {
    this.evaluations++;
    let value = this.f(x, grad);
    if (!Number.isFinite(value)) value = Infinity;
    else {
      for (let i = 0; i < this.n; i++) {
        if (!Number.isFinite(grad[i])) {
          value = Infinity;
          break;
        }
      }
    }
    if (value < this.fBest) {
      this.fBest = value;
      this.xBest.set(x);
      this.gBest.set(grad);
    }
    return value;
  }

  /** ‖P(x − g) − x‖∞, the first-order optimality measure of L-BFGS-B. */
  private projectedGradientNorm(): number {
    let norm = 0;
    for (let i = 0; i < this.n; i++) {
      const xi = this.x[i] as number;
      const moved = Math.min(Math.max(xi - (this.g[i] as number), this.lower[i] as number), this.upper[i] as number);
      norm = Math.max(norm, Math.abs(moved - xi));
    }
    return norm;
  }

  /**
   * Fills this.d with the two-metric direction and returns the first step length to try.
   * Falls back to steepest descent (and clears the memory) when the result is not a descent direction.
   */
  private quasiNewtonDirection(projectedGradient: number): number {
    const { x, g, d, lower, upper, free } = this;
    const margin = Math.min(projectedGradient, MAX_ACTIVE_MARGIN);
    let freeCount = 0;
    for (let i = 0; i < this.n; i++) {
      const xi = x[i] as number;
      const gi = g[i] as number;
      const lo = lower[i] as number;
      const hi = upper[i] as number;
      const active = lo === hi || (xi - lo <= margin && gi > 0) || (hi - xi <= margin && gi < 0);
      if (!active) free[freeCount++] = i;
    }
    const gamma = this.memory.descentDirection(g, free, freeCount, d);
    if (gamma === 0) return this.steepestDescentDirection();
    let next = 0;
    for (let i = 0; i < this.n; i++) {
      if (next < freeCount && free[next] === i) next++;
      else d[i] = -gamma * (g[i] as number);
    }
    const slope = this.dropBlockedComponents();
    if (!(slope < 0)) {
      this.memory.reset();
      return this.steepestDescentDirection();
    }
    return 1;
  }

  private steepestDescentDirection(): number {
    const { g, d } = this;
    for (let i = 0; i < this.n; i++) d[i] = -(g[i] as number);
    this.dropBlockedComponents();
    let largest = 0;
    for (let i = 0; i < this.n; i++) largest = Math.max(largest, Math.abs(d[i] as number));
    return largest > 0 ? Math.min(1, this.firstMove / largest) : 1;
  }

  /**
   * Zeroes the components of d that the projection would clip at every step length
   * (a variable on its bound with d pointing out, or a fixed variable), so that
   * "the path bends" means a bound was reached along the way. Returns g·d.
   */
  private dropBlockedComponents(): number {
    const { x, g, d, lower, upper } = this;
    let slope = 0;
    for (let i = 0; i < this.n; i++) {
      const xi = x[i] as number;
      const di = d[i] as number;
      if ((di < 0 && xi <= (lower[i] as number)) || (di > 0 && xi >= (upper[i] as number)) || !Number.isFinite(di)) {
        d[i] = 0;
      } else {
        slope += (g[i] as number) * di;
      }
    }
    return slope;
  }

  /**
   * Armijo backtracking along the projected path P(x + αd), starting at α = initialStep.
   * The accepted point ends in xAccepted/gAccepted/fAccepted.
   */
  private lineSearch(initialStep: number): "accepted" | "failed" | "out-of-evaluations" {
    const { d } = this;
    let initialSlope = 0;
    for (let i = 0; i < this.n; i++) initialSlope += (this.g[i] as number) * (d[i] as number);
    if (!(initialSlope < 0)) return "failed";

    let step = initialStep;
    let accepted = false;
    let expansions = 0;
    for (let trial = 0; trial < MAX_TRIALS; trial++) {
      if (this.evaluations >= this.options.maxEvaluations) return accepted ? "accepted" : "out-of-evaluations";
      const linearChange = this.projectStep(step);
      if (!this.trialMoved) return accepted ? "accepted" : "failed";
      const value = this.evaluate(this.xTrial, this.gTrial);
      if (value > this.fx + ARMIJO * linearChange || value === Infinity) {
        if (accepted) return "accepted";
        step = value === Infinity ? step * 0.5 : backtrackStep(step, this.fx, value, linearChange / step);
        continue;
      }
      [this.xAccepted, this.xTrial] = [this.xTrial, this.xAccepted];
      [this.gAccepted, this.gTrial] = [this.gTrial, this.gAccepted];
      this.fAccepted = value;
      accepted = true;
      if (this.trialClipped || expansions >= MAX_EXPANSIONS) return "accepted";
      let slope = 0;
      for (let i = 0; i < this.n; i++) slope += (this.gAccepted[i] as number) * (d[i] as number);
      if (slope >= CURVATURE * initialSlope) return "accepted";
      step *= 4;
      expansions++;
    }
    return accepted ? "accepted" : "failed";
  }

  /**
   * xTrial = P(x + step·d); returns g·(xTrial − x), the linear model's change, and sets
   * trialMoved (some coordinate changed) and trialClipped (a bound was hit: the path bent).
   */
  private projectStep(step: number): number {
    const { x, g, d, lower, upper, xTrial } = this;
    let moved = false;
    let clipped = false;
    let linearChange = 0;
    for (let i = 0; i < this.n; i++) {
      const xi = x[i] as number;
      const unclipped = xi + step * (d[i] as number);
      const lo = lower[i] as number;
      const hi = upper[i] as number;
      let t = unclipped;
      if (unclipped < lo) {
        t = lo;
        clipped = true;
      } else if (unclipped > hi) {
        t = hi;
        clipped = true;
      }
      xTrial[i] = t;
      if (t !== xi) moved = true;
      linearChange += (g[i] as number) * (t - xi);
    }
    this.trialMoved = moved;
    this.trialClipped = clipped;
    return linearChange;
  }
}

/**
 * Minimiser of the quadratic through φ(0), φ'(0) and φ(step), kept within
 * [0.1, 0.5]·step so that a poor model neither stalls nor barely moves.
 */
function backtrackStep(step: number, f0: number, fStep: number, slope: number): number {
  const curvature = fStep - f0 - slope * step;
  const candidate = curvature > 0 ? (-slope * step * step) / (2 * curvature) : 0.5 * step;
  return Math.min(Math.max(candidate, 0.1 * step), 0.5 * step);
}
