export { StoreError, type StoreErrorCode } from "./errors.js";
export type {
  Store,
  StoredStudy,
  StoredTrial,
  TrialState,
  TrialSource,
  Metrics,
  IntermediateValue,
  FinishTrialInput,
  FinishTrialOutcome,
  PromoteTrialInput,
  PromoteTrialOutcome,
  RungResult,
  NewTrial,
} from "./store.js";
export { createTrial } from "./create-trial.js";
export { MemoryStore } from "./memory-store.js";
export { RedisStore, type RedisStoreOptions } from "./redis-store.js";
export { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
export { checkRedisDurability } from "./redis-durability.js";
export { countTrialStates } from "./count-states.js";
export { readWorkerPool, type PoolWorker, type WorkerPool } from "./worker-pool.js";
export { refreshTrials } from "./refresh-trials.js";
export { StudyLease, StudyLeaseError, type LeaseHolder, type StudyLeaseErrorCode, type StudyLeaseOptions } from "./study-lease.js";
export { requestTrialStop, STOP_REQUEST_TTL_MS, type TrialStopInput } from "./request-trial-stop.js";
