/** A child process of the batch bench: runs the jobs it is sent and sends each run back. */
import { PROBLEMS } from "../problems.js";
import { runAsync } from "./simulate.js";

export interface Job {
  readonly problem: string;
  readonly seed: number;
  readonly slots: number;
  readonly trials: number;
}

process.on("message", async (job: Job | { done: true }) => {
  if ("done" in job) return void process.disconnect();
  const problem = PROBLEMS.find((p) => p.name === job.problem)!;
  process.send!(await runAsync(problem, job.seed, job.slots, job.trials));
});
