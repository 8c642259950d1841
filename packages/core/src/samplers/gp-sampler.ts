import { createAcquisition, type AcquisitionName } from "../acquisition/acquisition.js";
import { fitGP } from "../gp/fit.js";
import { conditionGP, type GaussianProcess, type GPHyperparameters } from "../gp/gaussian-process.js";
import { OutputTransform } from "../gp/output-transform.js";
import { InvalidArgumentError } from "../errors.js";
import { constrainedAcquisition, gpAcquisition, restrictTo, restrictToAll, sumAcquisitions, type PointAcquisition } from "../optimize/point-acquisition.js";
import { defaultRestarts, drawRawCandidates, optimizeAcquisition, type AcquisitionOptimizerOptions } from "../optimize/acquisition-optimizer.js";
import { isFeasible, type ObservedTrial, type Sampler, type SamplerContext } from "./sampler.js";
import { chebyshevScalarize, drawChebyshevWeights } from "../multi-objective/parego.js";
import { scalarizedLogEI } from "../multi-objective/scalarized-acquisition.js";
import { RandomSampler } from "./random-sampler.js";
import { fitObjective, fitSideModels, fitStudyModels, probabilityAtMost0, type FitModel } from "./study-models.js";
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
 * the MAP estimate, and the fit is most of an ask (at 100 trials in 10-d, 37 ms
 * of a refit-every-ask median; 12 ms with this schedule). Lowering this from 200
 * to 50 changed no problem of the sampler bench's regret (all p > 0.15, paired,
 * 30–50 seeds). The posterior is still conditioned on every trial at every ask.
 */
const REFIT_EVERY_ASK_UP_TO = 50;
const REFIT_GROWTH = 1.05;
/**
 * Candidates the failure model gives less than this probability of running
 * through are not proposed while any candidate reaches it (a probabilistic
 * constraint, as in Gelbart et al. 2014). Without it, once the objective has
 * converged, LogEI's exploration returns to the crash region's unexplored
 * corners, whose modest failure probability its log term cannot outweigh. Of
 * 0.5, 0.8, 0.9 and 0.95 on four constructed crash problems (5 seeds, 48 trials),
 * 0.8 cut the crashes in the second half of the runs most (from 17, 9, 13 and 12
 * to 8, 7, 4 and 9), and on the constrained bench's Hartmann6 with a crash region
 * it kept the regret (0.120 against 0.129) and the crashes (7) where they were.
 */
const MIN_P_NO_FAILURE = 0.8;

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
 * **Failures.** Failed trials (crashed, out of memory, diverged) train a
 * failure model: a GP regression on the labels +1 (failed) and −1 (complete),
 * whose posterior gives P(no failure) = P(label ≤ 0) like any constraint's
 * (least-squares GP classification). The acquisition is multiplied by it (added
 * in log form), and candidates below MIN_P_NO_FAILURE are left out while any
 * reaches it, so the search learns the region that fails and stops proposing it.
 * Failed trials also enter the objective's model at the worst value seen.
 *
 * **Constraints.** With black-box constraints, one GP per constraint, and the
 * acquisition becomes LogEI + Σ log P(c_i ≤ 0) against the best *feasible*
 * value; while no trial is feasible, the search maximises the probability of
 * feasibility alone (see constrainedAcquisition).
 *
 * **Batches.** The Kriging believer: running trials and the points already
 * chosen are added to every model as fantasies at their posterior mean, which
 * shrinks the variance there and pushes the next point elsewhere.
 */
export class GPSampler implements Sampler {
  readonly name = "gp";
  private readonly initial: SobolSampler;
  /** Each model's last fit (objective, failure, constraint i): see {@link GPSamplerState}. */
  private fits = new Map<string, ModelFit>();
  /**
   * The posterior of each last fit's trials at its hyperparameters, while they
   * are kept (above REFIT_EVERY_ASK_UP_TO trials): every later ask appends its new
   * trials to this factor, so that the model of an ask depends only on the fit
   * and the history, never on which asks came between (a restart rebuilds it).
   */
  private readonly bases = new Map<string, { fit: ModelFit; gp: GaussianProcess }>();
  /**
   * The raw candidates of the current batch (one `sample` call: its context, and
   * the same incumbents): each model scores them once, and the fantasies of the
   * batch extend that posterior instead of solving it again.
   */
  private readonly batchCandidates = new WeakMap<SamplerContext, { incumbents: readonly Float64Array[]; candidates: Float64Array[] }>();

  constructor(
    seed: number,
    private readonly options: GPSamplerOptions = {},
  ) {
    this.initial = new SobolSampler(seed);
  }

  sample(context: SamplerContext, q: number): Float64Array[] {
    const { space, trials } = context;
    const nInitial = this.options.nInitial ?? Math.max(5, Math.min(2 * space.dimension, 10));
    const completeCount = trials.filter((t) => t.state === "complete").length;
    if (trials.length < nInitial || completeCount < 2) {
      const initialCount = Math.min(q, completeCount < 2 ? q : nInitial - trials.length);
      const initial = this.initial.sample(context, initialCount);
      return initialCount === q ? initial : [...initial, ...this.sample({ ...context, trials: [...trials, ...initial.map(pending)] }, q - initialCount)];
    }
    if (trials.some((t) => t.objectives !== undefined)) return this.sampleParEGO(context, q);
    const complete = trials.filter((t): t is ObservedTrial & { y: number } => t.state === "complete");

    const fit: FitModel = (key, X, y, deterministic) => this.fitModel(context, key, X, y, deterministic);
    const models = fitStudyModels(trials, fit, this.options.deterministic);
    let objective = models.objective;
    const constraints = [models.failure, ...models.constraints].filter((gp): gp is GaussianProcess => gp !== undefined);

    // Kriging believer: each fantasy joins every model at its posterior mean.
    const believe = (points: Float64Array[]): void => {
      objective = objective.fantasize(points, FANTASY_NOISE);
      for (let i = 0; i < constraints.length; i++) constraints[i] = constraints[i]!.fantasize(points, FANTASY_NOISE);
    };
    const running = trials.filter((t) => t.state === "running").map((t) => t.x);
    if (running.length > 0) believe(running);
    const feasible = complete.filter(isFeasible).sort((a, b) => a.y - b.y);
    const incumbents = [...feasible, ...complete.filter((t) => !isFeasible(t))].map((t) => t.x);

    const chosen: Float64Array[] = [];
    for (let k = 0; k < q; k++) {
      const acquisition =
        feasible.length === 0
          ? undefined
          : createAcquisition(this.options.acquisition ?? "logEI", {
              // Unconstrained, the believed fantasies may set the bar too (as the Kriging believer does);
              // with constraints a fantasy's feasibility is unknown, so only an observed feasible value does.
              best: constraints.length === 0 ? objective.bestModel : objective.toModelUnits(feasible[0]!.y),
              ...(this.options.xi !== undefined ? { xi: this.options.xi } : {}),
              ...(this.options.kappa !== undefined ? { kappa: this.options.kappa } : {}),
            });
      const target =
        constraints.length === 0 && acquisition !== undefined
          ? gpAcquisition(objective, acquisition)
          : constrainedAcquisition(acquisition === undefined ? undefined : { gp: objective, acquisition }, constraints.map((gp) => ({ gp })));
      const x = this.maximize(context, target, incumbents, models.failure);
      chosen.push(x);
      if (k < q - 1) believe([x]);
    }
    return chosen;
  }

  /**
   * The point that maximises `target` under the known constraints, and where the
   * failure model (when there is one) expects the run to go through with
   * probability MIN_P_NO_FAILURE, unless no candidate does.
   */
  private maximize(context: SamplerContext, target: PointAcquisition, incumbents: readonly Float64Array[], failure?: GaussianProcess): Float64Array {
    const { space, rng, allowed } = context;
    const snap = (u: Float64Array): Float64Array => space.snap(u);
    let batch = this.batchCandidates.get(context);
    const laterInBatch = batch !== undefined && batch.incumbents === incumbents;
    if (!laterInBatch) {
      batch = { incumbents, candidates: drawRawCandidates(target, snap, incumbents, rng, this.options.optimizer) };
      this.batchCandidates.set(context, batch);
    }
    const { candidates } = batch!;
    const options = { ...this.options.optimizer, restarts: this.options.optimizer?.restarts ?? defaultRestarts(target.n, laterInBatch) };
    if (failure !== undefined) {
      const safe = (points: readonly Float64Array[]): boolean[] => {
        const pNoFailure = probabilityAtMost0(failure, points);
        return points.map((x, i) => pNoFailure[i]! >= MIN_P_NO_FAILURE && (allowed === undefined || allowed(x)));
      };
      const result = optimizeAcquisition(restrictToAll(target, safe), snap, incumbents, rng, options, candidates);
      if (Number.isFinite(result.value)) return result.x;
    }
    const { x } = optimizeAcquisition(allowed === undefined ? target : restrictTo(target, allowed), snap, incumbents, rng, options, candidates);
    // Every candidate broke a known constraint (a sliver of allowed space): draw one that keeps them.
    return allowed !== undefined && !allowed(x) ? new RandomSampler().sample(context, 1)[0]! : x;
  }

  /**
   * Fits one model, warm-started from its last fit; above REFIT_EVERY_ASK_UP_TO
   * trials, while the data grew by less than REFIT_GROWTH since that fit, its
   * hyperparameters are kept and the posterior extends the fit's own.
   */
  private fitModel(context: SamplerContext, key: string, X: Float64Array[], y: Float64Array, deterministic = false): GaussianProcess {
    const dims = context.space.dims;
    const last = this.fits.get(key);
    const warmStart = last !== undefined && last.hyperparameters.lengthscales.length === dims.length ? last.hyperparameters : undefined;
    const common = {
      dims,
      ...(this.options.maxFitPoints !== undefined ? { maxFitPoints: this.options.maxFitPoints } : {}),
      ...(deterministic ? { deterministic } : {}),
    };
    const keep = warmStart !== undefined && X.length > REFIT_EVERY_ASK_UP_TO && X.length < last!.trials.length * REFIT_GROWTH;
    if (keep && last!.trials.every((i) => i < context.trials.length)) {
      return fitGP(X, y, { ...common, warmStart, maxIterations: 0, previous: this.baseOf(context, key, last!) });
    }
    const gp = fitGP(X, y, { ...common, ...(warmStart !== undefined ? { warmStart } : {}) });
    const rowOf = new Map(context.trials.map((t, i) => [t.x, i]));
    const fit: ModelFit = { hyperparameters: gp.hyperparameters, trials: X.map((x) => rowOf.get(x)!) };
    this.fits.set(key, fit);
    this.bases.set(key, { fit, gp });
    return gp;
  }

  /** The posterior of `fit`'s trials at its hyperparameters: the one this process built, or the same rebuilt from the history. */
  private baseOf(context: SamplerContext, key: string, fit: ModelFit): GaussianProcess {
    const kept = this.bases.get(key);
    if (kept?.fit === fit) return kept.gp;
    // Only the factor of the base is used (it depends on the points and the hyperparameters alone); targets come with the extension.
    const X = fit.trials.map((i) => context.trials[i]!.x);
    const zeros = new Float64Array(X.length);
    const gp = conditionGP(X, zeros, context.space.dims, fit.hyperparameters, OutputTransform.fit(zeros));
    this.bases.set(key, { fit, gp });
    return gp;
  }

  /** The state after the last ask (JSON); see {@link GPSamplerState}. */
  exportState(): GPSamplerState {
    return {
      models: Object.fromEntries(
        [...this.fits].map(([key, { hyperparameters: h, trials }]) => [key, { lengthscales: [...h.lengthscales], outputscale: h.outputscale, noise: h.noise, trials: [...trials] }]),
      ),
    };
  }

  /** Continues from a state {@link exportState} gave, as if this sampler had made the asks behind it. */
  importState(state: unknown): void {
    this.fits = parseGPSamplerState(state);
    this.bases.clear();
  }

  /**
   * Several objectives, past the initial design: composite ParEGO. One GP per objective (and the failure
   * and constraint models as for one objective); each proposal draws new
   * Chebyshev weights and maximises the log expected improvement of the
   * scalarised posterior samples (scalarizedLogEI) against the best scalarised
   * feasible value, times P(feasible). Points already chosen in the batch join
   * every model as Kriging-believer fantasies.
   */
  private sampleParEGO(context: SamplerContext, q: number): Float64Array[] {
    const { trials, rng } = context;
    const complete = trials.filter((t): t is ObservedTrial & { objectives: Float64Array } => t.state === "complete" && t.objectives !== undefined);
    const fit: FitModel = (key, X, y, deterministic) => this.fitModel(context, key, X, y, deterministic);
    const m = complete[0]!.objectives.length;
    let objectives = Array.from({ length: m }, (_, k) =>
      fitObjective(trials, `objective ${k}`, (t) => t.objectives![k]!, fit, this.options.deterministic),
    );
    const side = fitSideModels(trials, fit);
    let constraints = [side.failure, ...side.constraints].filter((gp): gp is GaussianProcess => gp !== undefined);
    const believe = (points: Float64Array[]): void => {
      objectives = objectives.map((gp) => gp.fantasize(points, FANTASY_NOISE));
      constraints = constraints.map((gp) => gp.fantasize(points, FANTASY_NOISE));
    };
    const running = trials.filter((t) => t.state === "running").map((t) => t.x);
    if (running.length > 0) believe(running);
    const feasible = complete.filter(isFeasible);
    const chosen: Float64Array[] = [];
    for (let k = 0; k < q; k++) {
      const weights = drawChebyshevWeights(complete.map((t) => t.objectives), rng);
      const scalarized = feasible.map((t) => ({ x: t.x, s: chebyshevScalarize(t.objectives, weights) })).sort((a, b) => a.s - b.s);
      const feasibility = constraints.length === 0 ? undefined : constrainedAcquisition(undefined, constraints.map((gp) => ({ gp })));
      const improvement = scalarized.length === 0 ? undefined : scalarizedLogEI(objectives, weights, scalarized[0]!.s, rng);
      const target = improvement === undefined ? feasibility! : feasibility === undefined ? improvement : sumAcquisitions(improvement, feasibility);
      const incumbents = scalarized;
      const x = this.maximize(context, target, incumbents.map((c) => c.x), side.failure);
      chosen.push(x);
      if (k < q - 1) believe([x]);
    }
    return chosen;
  }
}

/** One model's last MAP fit: its hyperparameters, and the trials (indices into the history) it modelled, in its row order. */
interface ModelFit {
  readonly hyperparameters: GPHyperparameters;
  readonly trials: readonly number[];
}

/**
 * What a GP sampler carries from one ask to the next, as JSON: per model (the
 * objective, the failure model, each constraint), the hyperparameters of its last
 * MAP fit, which warm-start the next fit, and the trials that fit modelled, whose
 * posterior later asks extend while its hyperparameters are kept. A study stores
 * it with the trials an ask creates, so that one restarted from its store
 * proposes exactly what the uninterrupted one would have.
 */
export interface GPSamplerState {
  readonly models: Readonly<
    Record<string, { readonly lengthscales: readonly number[]; readonly outputscale: number; readonly noise: number; readonly trials: readonly number[] }>
  >;
}

function parseGPSamplerState(state: unknown): Map<string, ModelFit> {
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`not a GP sampler state: ${why}`);
  };
  const models = (state as { models?: unknown } | null)?.models;
  if (typeof models !== "object" || models === null) return fail("no models object");
  const positive = (v: unknown): v is number => typeof v === "number" && v > 0 && Number.isFinite(v);
  const fits = new Map<string, ModelFit>();
  for (const [key, value] of Object.entries(models)) {
    const { lengthscales, outputscale, noise, trials } = (value ?? {}) as Record<string, unknown>;
    if (!Array.isArray(lengthscales) || !lengthscales.every(positive)) fail(`${key}: lengthscales must be positive numbers`);
    if (!positive(outputscale) || !positive(noise)) fail(`${key}: outputscale and noise must be positive numbers`);
    if (!Array.isArray(trials) || !trials.every((i) => Number.isInteger(i) && i >= 0)) fail(`${key}: trials must be trial numbers`);
    fits.set(key, {
      hyperparameters: { lengthscales: Float64Array.from(lengthscales as number[]), outputscale: outputscale as number, noise: noise as number },
      trials: [...(trials as number[])],
    });
  }
  return fits;
}

function pending(x: Float64Array): ObservedTrial {
  return { x, state: "running" };
}
