/* The worker thread behind createModelRunner: one message in (a study's config and trials), its model views out. */
import { parentPort } from "node:worker_threads";
import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { modelViews } from "../plot-data/model-views.js";

parentPort?.on("message", (message: { config: StudyConfig; trials: StoredTrial[] }) => {
  modelViews(message.config, message.trials).then(
    (views) => parentPort?.postMessage({ views }),
    (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
});
