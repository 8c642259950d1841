/* The worker thread behind createModelRunner: one model job in (see model-jobs.ts), its result out. */
import { parentPort } from "node:worker_threads";
import { runModelJob, type ModelJob } from "./model-jobs.js";

parentPort?.on("message", (job: ModelJob) => {
  runModelJob(job).then(
    (result) => parentPort?.postMessage({ result }),
    (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
});
