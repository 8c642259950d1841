import type { FidelitySpec, SchedulerSpec } from "@bayestune/protocol";
import { InvalidArgumentError } from "../errors.js";
import type { Scheduler } from "./scheduler.js";
import { MedianStoppingScheduler } from "./median-stopping-scheduler.js";
import { StagedScreen } from "./staged-screen.js";
import { SuccessiveHalving } from "./successive-halving.js";

/**
 * A study config's scheduler (protocol) as a core Scheduler over the study's
 * fidelity rungs (the staged screen brings its own budgets).
 * @throws InvalidArgumentError when ASHA, Hyperband or median stopping has no fidelity to climb.
 */
export function schedulerFromSpec(spec: SchedulerSpec, fidelity: FidelitySpec | undefined): Scheduler {
  if (spec.type === "staged") return new StagedScreen(spec.stages);
  if (spec.type === "freeze-thaw") throw new InvalidArgumentError("freeze-thaw is not a rung scheduler: the engine decides it from the trials' curves (FreezeThawSchedule)");
  if (fidelity === undefined) throw new InvalidArgumentError(`scheduler "${spec.type}" needs the study's fidelity (min, max)`);
  const range = { min: fidelity.min, max: fidelity.max, reductionFactor: fidelity.reductionFactor, integer: fidelity.integer };
  if (spec.type === "asha") return new SuccessiveHalving(range);
  if (spec.type === "median") return new MedianStoppingScheduler({ ...range, ...(spec.minTrials !== undefined ? { minTrials: spec.minTrials } : {}) });
  const rungs = new SuccessiveHalving(range).rungs.length;
  return new SuccessiveHalving({ ...range, brackets: spec.brackets ?? rungs });
}
