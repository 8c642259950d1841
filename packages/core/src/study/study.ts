import { InvalidArgumentError, TrialStateError } from "../errors.js";
import { fitGP } from "../gp/fit.js";
import type { GaussianProcess } from "../gp/gaussian-process.js";
import { Rng } from "../rng.js";
import { paretoFront } from "../multi-objective/pareto.js";
import { fitObjective, fitSideModels, probabilityAtMost0, type FitModel } from "../samplers/study-models.js";
import { GPSampler, type GPSamplerOptions } from "../samplers/gp-sampler.js";
import { RandomSampler } from "../samplers/random-sampler.js";
import type { ObservedTrial, Sampler } from "../samplers/sampler.js";
import { SobolSampler } from "../samplers/sobol-sampler.js";
import type { ParamPredicate } from "../space/param-predicate.js";
import { SearchSpace, type ParamSpecInput, type Params } from "../space/search-space.js";
import type { ConstraintSpec, Direction, TellOutcome, Trial } from "./trial.js";

export type SamplerChoice = "gp" | "random" | "sobol" | ({ type: "gp" } & GPSamplerOptions) | Sampler;

export interface StudyOptions {
  /** Parameter name → spec built with `float`, `int`, `categorical`. */
  space: Record<string, ParamSpecInput> | SearchSpace;
  /** @defaultValue "minimize" */
  direction?: Direction;
  /**
   * Several objectives, one direction each (e.g. `["minimize", "minimize"]` for eval
   * loss and GPU-hours): `tell` then takes `{ values: [...] }`, `bestTrials` is the
   * Pareto front, and the GP sampler proposes by ParEGO. Replaces `direction`.
   */
  directions?: readonly Direction[];
  /** Seeds every random choice: the same seed and history give the same suggestions. @defaultValue 0 */
  seed?: number;
  /** @defaultValue "gp" (Sobol for the first `nInitial` trials, then the GP with LogEI) */
  sampler?: SamplerChoice;
  /**
   * Black-box constraints: metrics every `tell` reports beside the value; only
   * trials that satisfy all of them can be the best, and the GP sampler models
   * each one and steers towards where they hold. @defaultValue none
   */
  constraints?: readonly ConstraintSpec[];
  /**
   * Known constraints: a predicate over the params (a memory estimate from the batch
   * size and sequence length, say), checked before any point is proposed, so points
   * where it is false are never handed out by the sampler. Enqueued configurations
   * are the caller's choice and are not checked. `compileParamPredicate` builds one
   * from expressions. @defaultValue every point allowed
   */
  feasibleIf?: ParamPredicate;
  /** Receives warnings (a NaN objective turned into a failed trial). @defaultValue console.warn */
  onWarning?: (message: string) => void;
}

interface TrialRecord {
  number: number;
  params: Params;
  x: Float64Array;
  state: Trial["state"];
  value?: number;
  values?: readonly number[];
  reason?: string;
  constraints?: Record<string, number>;
  /** c_i = metric − max or min − metric per bound, feasible when every one is ≤ 0. */
  violations?: Float64Array;
  source: Trial["source"];
}

/**
 * An in-process ask/tell study. The search state is a pure function of the
 * history: samplers receive every trial and an RNG seeded from (seed, history length).
 */
export class Study {
  readonly space: SearchSpace;
  readonly direction: Direction;
  /** One direction per objective; a single-objective study has `[direction]`. */
  readonly directions: readonly Direction[];
  readonly seed: number;
  readonly sampler: Sampler;
  readonly constraints: readonly ConstraintSpec[];
  private readonly allowed: ((x: Float64Array) => boolean) | undefined;
  private readonly records: TrialRecord[] = [];
  private readonly queued: Params[] = [];
  private readonly onWarning: (message: string) => void;

  constructor(options: StudyOptions) {
    this.space = options.space instanceof SearchSpace ? options.space : SearchSpace.from(options.space);
    if (options.directions !== undefined && options.direction !== undefined) {
      throw new InvalidArgumentError("give direction (one objective) or directions (several), not both");
    }
    this.directions = Object.freeze([...(options.directions ?? [options.direction ?? "minimize"])]);
    if (this.directions.length === 0) throw new InvalidArgumentError("directions must name at least one direction");
    for (const direction of this.directions) {
      if (direction !== "minimize" && direction !== "maximize") {
        throw new InvalidArgumentError(`direction must be "minimize" or "maximize", got ${JSON.stringify(direction)}`);
      }
    }
    this.direction = this.directions[0]!;
    this.seed = options.seed ?? 0;
    if (!Number.isInteger(this.seed)) throw new InvalidArgumentError(`seed must be an integer, got ${this.seed}`);
    this.sampler = resolveSampler(options.sampler ?? "gp", this.seed);
    this.constraints = Object.freeze((options.constraints ?? []).map(validateConstraint));
    const feasibleIf = options.feasibleIf;
    this.allowed = feasibleIf === undefined ? undefined : (x) => feasibleIf(this.space.decode(x));
    this.onWarning = options.onWarning ?? ((message) => console.warn(message));
  }

  /** One new trial: an enqueued configuration if any, else the sampler's proposal. */
  async ask(): Promise<Trial> {
    const [trial] = await this.askBatch(1);
    return trial as Trial;
  }

  /**
   * q new trials at once, for q free workers. Enqueued configurations come first;
   * the sampler treats running trials and the points it already chose as pending,
   * so the batch is diverse.
   */
  async askBatch(q: number): Promise<Trial[]> {
    if (!Number.isInteger(q) || q < 1) throw new InvalidArgumentError(`q >= 1 must hold for askBatch, got q=${q}`);
    const batch: Trial[] = [];
    while (batch.length < q && this.queued.length > 0) {
      batch.push(this.createTrial(this.queued.shift() as Params, "enqueued"));
    }
    const remaining = q - batch.length;
    if (remaining > 0) {
      const context = {
        space: this.space,
        trials: this.observed(),
        rng: historyRng(this.seed, this.records.length),
        ...(this.allowed !== undefined ? { allowed: this.allowed } : {}),
      };
      for (const x of this.sampler.sample(context, remaining)) {
        if (this.allowed !== undefined && !this.allowed(x)) {
          throw new InvalidArgumentError(`sampler "${this.sampler.name}" proposed params that break the known constraints: ${JSON.stringify(this.space.decode(x))}`);
        }
        batch.push(this.createTrial(this.space.decode(x), "sampler"));
      }
    }
    return batch;
  }

  /**
   * What the sampler carries between asks, after the last one (JSON; undefined
   * for a stateless sampler). A driver stores it with the trials an ask created;
   * a study rebuilt from the store takes it back with {@link restoreSamplerState}
   * and then proposes what this one would.
   */
  samplerState(): unknown {
    return this.sampler.exportState?.();
  }

  /** Continues the sampler from a state {@link samplerState} returned (a no-op when undefined). */
  restoreSamplerState(state: unknown): void {
    if (state === undefined) return;
    if (this.sampler.importState === undefined) throw new InvalidArgumentError(`sampler "${this.sampler.name}" keeps no state to restore`);
    this.sampler.importState(state);
  }

  /**
   * Finishes a trial. A NaN or infinite value becomes a failed trial with a
   * warning; telling a finished or unknown trial is a `TrialStateError`.
   */
  async tell(number: number, outcome: TellOutcome): Promise<Trial> {
    const record = this.records[number];
    if (record === undefined || !Number.isInteger(number)) {
      throw new TrialStateError("UNKNOWN_TRIAL", `trial ${number} does not exist (this study has ${this.records.length} trials)`);
    }
    if (record.state !== "running") {
      throw new TrialStateError("TRIAL_ALREADY_FINISHED", `trial ${number} is already ${record.state}; a finished trial cannot be told again`);
    }
    if (typeof outcome === "object" && outcome !== null && "state" in outcome && outcome.state === "failed") {
      record.state = "failed";
      record.reason = outcome.reason;
      return freeze(record);
    }
    if (typeof outcome === "object" && outcome !== null && "state" in outcome && outcome.state === "pruned") {
      record.state = "pruned";
      return freeze(record);
    }
    if (this.directions.length > 1) return this.tellObjectives(number, record, outcome);
    const value = typeof outcome === "number" ? outcome : (outcome as { value?: unknown } | null)?.value;
    if (typeof value !== "number") {
      throw new InvalidArgumentError(`tell expects a number, { value, constraints } or { state: "failed", reason }, got ${JSON.stringify(outcome)}`);
    }
    if (!Number.isFinite(value)) return this.failNonFinite(number, record, String(value), `non-finite objective: ${value}`);
    const told = typeof outcome === "number" ? {} : ((outcome as { constraints?: Readonly<Record<string, number>> }).constraints ?? {});
    return this.complete(number, record, told, { value });
  }

  /** `tell` for several objectives: every value finite (else a failed trial), one per direction. */
  private tellObjectives(number: number, record: TrialRecord, outcome: TellOutcome): Trial {
    const values = typeof outcome === "object" && outcome !== null ? (outcome as { values?: unknown }).values : undefined;
    if (!Array.isArray(values) || values.length !== this.directions.length || values.some((v) => typeof v !== "number")) {
      throw new InvalidArgumentError(`this study has ${this.directions.length} objectives: tell expects { values: [${this.directions.length} numbers], constraints } or { state: "failed", reason }, got ${JSON.stringify(outcome)}`);
    }
    if (values.some((v) => !Number.isFinite(v))) {
      return this.failNonFinite(number, record, values.join(", "), `non-finite objective: ${JSON.stringify(values.map(String))}`);
    }
    const told = (outcome as { constraints?: Readonly<Record<string, number>> }).constraints ?? {};
    return this.complete(number, record, told, { values: Object.freeze([...(values as number[])]) });
  }

  /** A NaN or infinite objective: the trial failed, with a warning naming what it reported. */
  private failNonFinite(number: number, record: TrialRecord, reported: string, reason: string): Trial {
    record.state = "failed";
    record.reason = reason;
    this.onWarning(`bayestune: trial ${number} reported ${reported}; recorded as failed`);
    return freeze(record);
  }

  /**
   * Completes a trial with its objective(s) and the constraint metrics told.
   * @throws InvalidArgumentError, leaving the trial running, when a constraint metric is missing.
   */
  private complete(number: number, record: TrialRecord, told: Readonly<Record<string, number>>, objective: { value: number } | { values: readonly number[] }): Trial {
    const violations = this.violationsOf(number, told);
    record.state = "complete";
    if ("value" in objective) record.value = objective.value;
    else record.values = objective.values;
    if (this.constraints.length > 0) {
      record.constraints = Object.fromEntries(this.constraints.map((c) => [c.name, told[c.name] as number]));
      record.violations = violations;
    }
    return freeze(record);
  }

  /**
   * The Pareto front of the complete, feasible trials: those no other such trial
   * beats in every objective (for the study's directions). With one objective,
   * the best trial alone (or nothing).
   */
  get bestTrials(): Trial[] {
    if (this.directions.length === 1) {
      const best = this.bestTrial;
      return best === undefined ? [] : [best];
    }
    const candidates = this.records.filter((r) => r.state === "complete" && r.values !== undefined && recordFeasible(r));
    const signs = this.directions.map((d) => (d === "minimize" ? 1 : -1));
    return paretoFront(candidates.map((r) => r.values!.map((v, k) => signs[k]! * v))).map((i) => freeze(candidates[i]!));
  }

  /** Queues a known configuration (validated now) to be handed out by the next ask. */
  enqueue(params: Params): void {
    this.space.encode(params);
    this.queued.push({ ...params });
  }

  /**
   * The best complete trial for the study's direction that satisfies every
   * constraint; undefined when none is complete, or none of them is feasible
   * (`feasibleCount` tells the two apart). Undefined for a multi-objective study:
   * see `bestTrials`.
   */
  get bestTrial(): Trial | undefined {
    if (this.directions.length > 1) return undefined;
    let best: TrialRecord | undefined;
    for (const r of this.records) {
      if (r.state !== "complete" || r.value === undefined || !recordFeasible(r)) continue;
      if (best === undefined || this.isBetter(r.value, best.value as number)) best = r;
    }
    return best === undefined ? undefined : freeze(best);
  }

  /** How many complete trials satisfy every constraint (every complete one without constraints). */
  get feasibleCount(): number {
    return this.records.filter((r) => r.state === "complete" && recordFeasible(r)).length;
  }

  /**
   * What the models fitted to the history so far predict for each params: the
   * objective, each constraint's metric and its probability of holding, the
   * probability that the run does not fail, and that it is feasible overall.
   * Needs at least two complete trials. For several objectives, `objectives`
   * holds each (and `objective` the first).
   * @throws InvalidArgumentError before that, or for params outside the space.
   */
  predict(params: readonly Params[]): Prediction[] {
    const trials = this.observed();
    if (trials.filter((t) => t.state === "complete").length < 2) {
      throw new InvalidArgumentError(`predict needs at least 2 complete trials to fit a model, got ${trials.filter((t) => t.state === "complete").length}`);
    }
    const fit: FitModel = (_key, X, y, deterministic) => fitGP(X, y, { dims: this.space.dims, ...(deterministic ? { deterministic } : {}) });
    const models = fitSideModels(trials, fit);
    const objectiveModels = this.directions.map((_, k) =>
      fitObjective(trials, `objective ${k}`, (t) => (t.objectives !== undefined ? t.objectives[k]! : t.y!), fit),
    );
    const points = params.map((p) => this.space.encode(p));
    const perObjective = objectiveModels.map((gp, k) => {
      const sign = this.directions[k] === "minimize" ? 1 : -1;
      return inRawUnits(gp, points).map(({ mean, std }) => ({ mean: sign * mean, std }));
    });
    const failure = models.failure === undefined ? undefined : probabilityAtMost0(models.failure, points);
    const bounds = this.constraints.flatMap((c) => [
      ...(c.max !== undefined ? [{ name: c.name, toMetric: (v: number) => v + (c.max as number) }] : []),
      ...(c.min !== undefined ? [{ name: c.name, toMetric: (v: number) => (c.min as number) - v }] : []),
    ]);
    const perBound = bounds.map((bound, i) => {
      const gp = models.constraints[i];
      if (gp === undefined) return undefined;
      const raw = inRawUnits(gp, points).map(({ mean, std }) => ({ mean: bound.toMetric(mean), std }));
      return { name: bound.name, raw, probability: probabilityAtMost0(gp, points) };
    });
    return points.map((_, k) => {
      const constraints: Record<string, { mean: number; std: number; probability: number }> = {};
      for (const bound of perBound) {
        if (bound === undefined) continue;
        const seen = constraints[bound.name];
        // A constraint with both bounds has two models: the metric from the first, the probability of both.
        if (seen === undefined) constraints[bound.name] = { ...bound.raw[k]!, probability: bound.probability[k]! };
        else seen.probability *= bound.probability[k]!;
      }
      const pNoFailure = failure?.[k] ?? 1;
      const pFeasible = Object.values(constraints).reduce((p, c) => p * c.probability, pNoFailure);
      const objectives = perObjective.map((predictions) => predictions[k]!);
      return { objective: objectives[0]!, objectives, constraints, pNoFailure, pFeasible };
    });
  }

  /**
   * The GP of objective `k` (the first by default) fitted once to the history
   * so far, the one {@link predict} uses, for callers that query it at many
   * points: `mean` alone (O(n) a point) or `predict` (mean and std, O(n²)), in
   * the objective's units and direction, as {@link predict} gives them.
   * @throws InvalidArgumentError before 2 complete trials, for k out of range, or for params outside the space.
   */
  objectiveModel(k = 0): ObjectiveModel {
    const trials = this.observed();
    const complete = trials.filter((t) => t.state === "complete").length;
    if (complete < 2) throw new InvalidArgumentError(`objectiveModel needs at least 2 complete trials to fit a model, got ${complete}`);
    if (!Number.isInteger(k) || k < 0 || k >= this.directions.length) throw new InvalidArgumentError(`objective ${k} does not exist: the study has ${this.directions.length}`);
    const fit: FitModel = (_key, X, y, deterministic) => fitGP(X, y, { dims: this.space.dims, ...(deterministic ? { deterministic } : {}) });
    const gp = fitObjective(trials, `objective ${k}`, (t) => (t.objectives !== undefined ? t.objectives[k]! : t.y!), fit);
    const sign = this.directions[k] === "minimize" ? 1 : -1;
    const encode = (params: readonly Params[]) => params.map((p) => this.space.encode(p));
    return {
      mean: (params) => Array.from(gp.predictMean(encode(params)), (m) => sign * gp.fromModelUnits(m)),
      predict: (params) => inRawUnits(gp, encode(params)).map(({ mean, std }) => ({ mean: sign * mean, std })),
      noiseStd: (gp.fromModelUnits(gp.bestModel + Math.sqrt(gp.hyperparameters.noise)) - gp.fromModelUnits(gp.bestModel)),
    };
  }

  /** Snapshots of every trial, in creation order. */
  get trials(): Trial[] {
    return this.records.map(freeze);
  }

  /** Trial `number` as a snapshot (undefined when there is none): one trial, without copying them all as `trials` does. */
  trial(number: number): Trial | undefined {
    const record = this.records[number];
    return record === undefined ? undefined : freeze(record);
  }

  private isBetter(a: number, b: number): boolean {
    return this.direction === "minimize" ? a < b : a > b;
  }

  /** The constraint metrics told for a trial as c ≤ 0 values, one per bound; throws for a missing or non-finite one. */
  private violationsOf(number: number, told: Readonly<Record<string, number>>): Float64Array {
    const values: number[] = [];
    for (const c of this.constraints) {
      const metric = told[c.name];
      if (typeof metric !== "number" || !Number.isFinite(metric)) {
        throw new InvalidArgumentError(`trial ${number}: constraint '${c.name}' needs a finite number with the value, got ${JSON.stringify(metric ?? null)}`);
      }
      if (c.max !== undefined) values.push(metric - c.max);
      if (c.min !== undefined) values.push(c.min - metric);
    }
    return Float64Array.from(values);
  }

  private createTrial(params: Params, source: Trial["source"]): Trial {
    const record: TrialRecord = { number: this.records.length, params, x: this.space.encode(params), state: "running", source };
    this.records.push(record);
    return freeze(record);
  }

  private observed(): ObservedTrial[] {
    const sign = this.direction === "minimize" ? 1 : -1;
    const signs = this.directions.map((d) => (d === "minimize" ? 1 : -1));
    return this.records.map((r) => {
      if (r.state !== "complete") return { x: r.x, state: r.state };
      const constraints = r.violations !== undefined ? { constraints: r.violations } : {};
      if (r.values !== undefined) return { x: r.x, state: r.state, objectives: Float64Array.from(r.values, (v, k) => signs[k]! * v), ...constraints };
      return { x: r.x, state: r.state, y: sign * (r.value as number), ...constraints };
    });
  }
}

/** One objective's fitted GP; see {@link Study.objectiveModel}. */
export interface ObjectiveModel {
  /** The posterior mean at each params, in the objective's units. */
  mean(params: readonly Params[]): number[];
  /** The mean and std at each params, as {@link Study.predict} gives the objective. */
  predict(params: readonly Params[]): { mean: number; std: number }[];
  /**
   * The observation noise the model learned, as a standard deviation in the
   * objective's units (near the best observed value): close to 0 for a
   * deterministic objective, about the seed-to-seed spread for a training loss.
   */
  readonly noiseStd: number;
}

/** A model's prediction for one configuration; see {@link Study.predict}. */
export interface Prediction {
  /**
   * The objective in its own units: the posterior median, and as std half the
   * width of the ±1σ band (the std itself where the output transform is linear,
   * which is everywhere but the far bad tail).
   */
  readonly objective: { readonly mean: number; readonly std: number };
  /** Every objective, in the order of the study's directions (`[objective]` for one). */
  readonly objectives: readonly { readonly mean: number; readonly std: number }[];
  /** Per constraint: its metric, predicted as the objective is, and the probability that it holds. */
  readonly constraints: Readonly<Record<string, { mean: number; std: number; probability: number }>>;
  /** P(the run does not fail), from the failure model; 1 while nothing has failed. */
  readonly pNoFailure: number;
  /** P(no failure and every constraint holds), the models taken as independent. */
  readonly pFeasible: number;
}

function inRawUnits(gp: GaussianProcess, points: readonly Float64Array[]): { mean: number; std: number }[] {
  const { mean, variance } = gp.predict(points);
  return points.map((_, i) => {
    const sd = Math.sqrt(Math.max(variance[i]!, 0));
    return { mean: gp.fromModelUnits(mean[i]!), std: (gp.fromModelUnits(mean[i]! + sd) - gp.fromModelUnits(mean[i]! - sd)) / 2 };
  });
}


/** Creates an in-process study; see `StudyOptions`. */
export function createStudy(options: StudyOptions): Study {
  return new Study(options);
}

function resolveSampler(choice: SamplerChoice, seed: number): Sampler {
  if (typeof choice === "object") return "sample" in choice ? choice : new GPSampler(seed, choice);
  switch (choice) {
    case "gp":
      return new GPSampler(seed);
    case "random":
      return new RandomSampler();
    case "sobol":
      return new SobolSampler(seed);
    default:
      throw new InvalidArgumentError(`sampler must be one of "gp", "random", "sobol" or a Sampler, got ${JSON.stringify(choice)}`);
  }
}

/** An RNG that depends only on the seed and how many trials exist. */
function historyRng(seed: number, historyLength: number): Rng {
  return new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(historyLength + 1, 0x85ebca77)) >>> 0);
}

function recordFeasible(r: TrialRecord): boolean {
  return r.violations === undefined || r.violations.every((c) => c <= 0);
}

function validateConstraint(c: ConstraintSpec): ConstraintSpec {
  const bound = (b: number | undefined): boolean => b === undefined || Number.isFinite(b);
  if (typeof c?.name !== "string" || c.name === "") throw new InvalidArgumentError(`a constraint needs a name, got ${JSON.stringify(c)}`);
  if ((c.min === undefined && c.max === undefined) || !bound(c.min) || !bound(c.max) || (c.min !== undefined && c.max !== undefined && c.min > c.max)) {
    throw new InvalidArgumentError(`constraint '${c.name}' needs a finite min or max (min ≤ max when both), got ${JSON.stringify(c)}`);
  }
  return Object.freeze({ ...c });
}

function freeze(r: TrialRecord): Trial {
  const trial: Trial = {
    number: r.number,
    params: Object.freeze({ ...r.params }),
    state: r.state,
    source: r.source,
    ...(r.value !== undefined ? { value: r.value } : {}),
    ...(r.values !== undefined ? { values: r.values } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.constraints !== undefined ? { constraints: Object.freeze({ ...r.constraints }), feasible: recordFeasible(r) } : {}),
  };
  return Object.freeze(trial);
}
