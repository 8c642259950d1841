export * from "./errors.js";
export { Rng } from "./rng.js";
export { float, int, categorical } from "./space/param-builders.js";
export { SearchSpace, type Params, type ParamValue } from "./space/search-space.js";
export { compileParamPredicate, type ParamPredicate } from "./space/param-predicate.js";
export type { EncodedDim } from "./space/encoded-dim.js";
export { SobolSequence, MAX_SOBOL_DIMENSION, type SobolOptions } from "./sobol/sobol-sequence.js";
export { minimizeBounded, type BoundedMinimizeOptions, type BoundedMinimizeResult } from "./optim/lbfgsb.js";
export { fitGP, type FitGPOptions } from "./gp/fit.js";
export { GaussianProcess, type GPHyperparameters } from "./gp/gaussian-process.js";
export {
  createAcquisition,
  ACQUISITION_NAMES,
  type AcquisitionName,
  type AcquisitionFunction,
  type AcquisitionParams,
} from "./acquisition/acquisition.js";
export { optimizeAcquisition, type AcquisitionOptimizerOptions } from "./optimize/acquisition-optimizer.js";
export type { Sampler, SamplerContext, ObservedTrial } from "./samplers/sampler.js";
export { RandomSampler } from "./samplers/random-sampler.js";
export { SobolSampler } from "./samplers/sobol-sampler.js";
export { GPSampler, type GPSamplerOptions } from "./samplers/gp-sampler.js";
export { proposeAtFullBudget, type FidelityObservation, type MultiFidelityProposal } from "./samplers/multi-fidelity.js";
export {
  decayKernel,
  decayShape,
  fitFreezeThaw,
  FreezeThawModel,
  type CurvePrediction,
  type FreezeThawHyperparameters,
  type ObservedCurve,
  type ValueScale,
} from "./curves/freeze-thaw.js";
export { FreezeThawSearch, type SearchChoice, type SearchInput, type SearchTrial } from "./curves/freeze-thaw-search.js";
export { BudgetGpModel } from "./curves/budget-gp.js";
export { CostModel, type CostObservation, type CostPrediction } from "./curves/cost-model.js";
export { Study, createStudy, type StudyOptions, type SamplerChoice, type Prediction, type ObjectiveModel } from "./study/study.js";
export { samplerChoiceFromSpec, studyOptionsFromConfig, tellOutcomeOf } from "./study/sampler-spec.js";
export { replayStudy, type RecordedTrial } from "./study/replay-study.js";
export type { Trial, TrialState, Direction, TellOutcome, ConstraintSpec } from "./study/trial.js";
export * from "./schedulers/index.js";
export { dominates, hypervolume, paretoFront } from "./multi-objective/pareto.js";
