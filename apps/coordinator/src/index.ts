export { startCoordinator, type Coordinator, type CoordinatorOptions, type CoordinatorOutcome } from "./coordinator.js";
export { countWorkerSlots } from "./worker-slots.js";
export { loadStudyConfig } from "./load-config.js";
export { ConfigError } from "./config-error.js";
export { createHttpApi } from "./http-api.js";
export { serveHttpApi } from "./serve-http-api.js";
