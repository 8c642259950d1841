import { createAcquisition, type AcquisitionName } from "../acquisition/acquisition.js";
import { fitGP } from "../gp/fit.js";
import type { GPHyperparameters } from "../gp/gaussian-process.js";
import { optimizeAcquisition, type AcquisitionOptimizerOptions } from "../optimize/acquisition-optimizer.js";
import type { ObservedTrial, Sampler, SamplerContext } from "./sampler.js";
import { SobolSampler } from "./sobol-sampler.js";

/**
 * Noise variance (model units) of Kriging-believer fantasies: small, so a pending
 * point is "known" and the batch spreads out, yet large enough to keep the
 * appended Cholesky factor well conditioned.
 */
export const FANTASY_NOISE = 1e-6;

/**
 * Above this many modelled trials the hyperparameters are refitted only once the
 * data has grown by REFIT_GROWTH since the last fit: one trial more barely moves
 * the MAP estimate of a GP on hundreds, and the fit is a third of an ask there.
 * The posterior is still conditioned on every trial at every ask.
 */
const REFIT_EVERY_ASK_UP_TO = 200;
const REFIT_GROWTH = 1.05;

export interface GPSamplerOptions {
  /** Scrambled-Sobol trials before the GP takes over. @defaultValue max(5, min(2·d, 10)) */
  nInitial?: number;
  /** @defaultValue "logEI" */
  acquisition?: AcquisitionName;
  /** Improvement margin of EI, LogEI and PI (model units). @defaultValue 0 */
  xi?: number;
  /** Exploration weight of UCB. @defaultValue 2 */
  kappa?: number;
  /** Hyperparameters are fitted on at most this many trials; the posterior uses all. @defaultValue 128 */
  maxFitPoints?: number;
  /**
   * The objective is a deterministic function of the params (no seed noise):
   * the GP interpolates instead of fitting an observation noise. Leave it off
   * for training runs, whose losses vary from seed to seed.
   * @defaultValue false
   */
  deterministic?: boolean;
  optimizer?: AcquisitionOptimizerOptions;
}

/**
 * Gaussian-process Bayesian optimisation: Sobol for the initial design, then a
 * Matérn-5/2 GP fitted by MAP and the acquisition maximised over the space.
 *
 * Failed trials enter the model at the worst observed value, so the search
 * moves away from a region that keeps failing instead of retrying it. Batches
 * use the Kriging believer: running trials and the points already chosen are
 * added as fantasies at their posterior mean, which shrinks the variance there
 * and pushes the next point elsewhere.
 */
export class GPSampler implements Sampler {
  readonly name = "gp";
  private readonly initial: SobolSampler;
  private warmStart: GPHyperparameters | undefined;
  /** Modelled trials at the last hyperparameter fit. */
  private fittedOn = 0;

  constructor(
    seed: number,
    private readonly options: GPSamplerOptions = {},
  ) {
    this.initial = new SobolSampler(seed);
  }

  sample(context: SamplerContext, q: number): Float64Array[] {
    const { space, trials, rng } = context;
    const d = space.dimension;
    const nInitial = this.options.nInitial ?? Math.max(5, Math.min(2 * d, 10));
    const complete = trials.filter((t): t is ObservedTrial & { y: number } => t.state === "complete");
    if (trials.length < nInitial || complete.length < 2) {
      const initialCount = Math.min(q, complete.length < 2 ? q : nInitial - trials.length);
      const initial = this.initial.points(d, trials.length, initialCount).map((u) => space.snap(u));
      return initialCount === q ? initial : [...initial, ...this.sample({ ...context, trials: [...trials, ...initial.map(pending)] }, q - initialCount)];
    }

    const worst = Math.max(...complete.map((t) => t.y));
    const modelled = trials.filter((t) => t.state !== "running");
    const X = modelled.map((t) => t.x);
    const y = Float64Array.from(modelled, (t) => (t.state === "complete" ? (t.y as number) : worst));
    const warmStart = this.warmStart !== undefined && this.warmStart.lengthscales.length === d ? this.warmStart : undefined;
    const reuse = warmStart !== undefined && X.length > REFIT_EVERY_ASK_UP_TO && X.length < this.fittedOn * REFIT_GROWTH;
    let gp = fitGP(X, y, {
      dims: space.dims,
      ...(warmStart !== undefined ? { warmStart } : {}),
      ...(reuse ? { maxIterations: 0 } : {}),
      ...(this.options.maxFitPoints !== undefined ? { maxFitPoints: this.options.maxFitPoints } : {}),
      ...(this.options.deterministic !== undefined ? { deterministic: this.options.deterministic } : {}),
    });
    this.warmStart = gp.hyperparameters;
    if (!reuse) this.fittedOn = X.length;

    // Kriging believer: each fantasy joins the data at its posterior mean, so the
    // incumbent is recomputed from the fantasised model as well.
    const running = trials.filter((t) => t.state === "running").map((t) => t.x);
    if (running.length > 0) gp = gp.fantasize(running, FANTASY_NOISE);
    const incumbents = complete
      .slice()
      .sort((a, b) => a.y - b.y)
      .map((t) => t.x);

    const chosen: Float64Array[] = [];
    for (let k = 0; k < q; k++) {
      const acquisition = createAcquisition(this.options.acquisition ?? "logEI", {
        best: gp.bestModel,
        ...(this.options.xi !== undefined ? { xi: this.options.xi } : {}),
        ...(this.options.kappa !== undefined ? { kappa: this.options.kappa } : {}),
      });
      const { x } = optimizeAcquisition(gp, acquisition, (u) => space.snap(u), incumbents, rng, this.options.optimizer);
      chosen.push(x);
      if (k < q - 1) gp = gp.fantasize([x], FANTASY_NOISE);
    }
    return chosen;
  }
}

function pending(x: Float64Array): ObservedTrial {
  return { x, state: "running" };
}
