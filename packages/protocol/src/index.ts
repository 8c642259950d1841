export {
  CategoricalParamSpec,
  FloatParamSpec,
  IntParamSpec,
  ParamSpec,
  SpaceSpec,
  STEP_TOLERANCE,
  ChoiceValue,
  type ParamSpecInput,
  type SpaceSpecInput,
} from "./param-spec.js";
export { formatZodIssues } from "./format-zod-issues.js";
export { REDACTED, redactCommandEnv, redactRedisUrl } from "./redact-secrets.js";
export { screenJob, type ScreenedJob } from "./screen-job.js";
export { RedisOutageLog, type OutageLogger, type RedisEventSource } from "./redis-outage-log.js";
export { StudyName, TRIALS_QUEUE, TrialRef, resultsQueueName, trialJobId } from "./names.js";
export {
  canonicalJson,
  checkSecret,
  hasValidSignature,
  MIN_SECRET_LENGTH,
  SECRET_ENV,
  signMessage,
  trialQueueIds,
  type Signed,
  type TrialQueueIds,
  type SignaturePurpose,
} from "./message-signature.js";
export { CommandSpec, ConstraintConfig, FidelitySpec, PrunerSpec, SamplerSpec, SchedulerSpec, StudyConfig, type StudyConfigInput } from "./study-config.js";
export {
  TrialJob,
  FailureReason,
  ProgressEvent,
  TrialResult,
  WorkerMessage,
  MetricLine,
  type TrialJobInput,
  type TrialResultInput,
} from "./trial-messages.js";
export { CHILD_ENV, CHILD_PARAM_PREFIX, childParamVariable } from "./child-env.js";
export { trialJobFor } from "./trial-job-for.js";
export {
  WorkerRegistration,
  parseWorkerRegistration,
  workerIdFromKey,
  workerKeyPattern,
  workerRegistrationKey,
  type LegacyWorkerRegistration,
} from "./worker-registration.js";
export { constraintViolations } from "./constraint-check.js";
export { StopRequest, screenStopRequest, stopRequestKey, type ScreenedStopRequest } from "./stop-request.js";
