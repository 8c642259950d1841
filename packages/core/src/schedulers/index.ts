export { rungLadder, type FidelityRange } from "./rung-ladder.js";
export type { RungTrial, Scheduler, SchedulerDecision } from "./scheduler.js";
export { SuccessiveHalving, type SuccessiveHalvingOptions } from "./successive-halving.js";
export { StagedScreen, type ScreenStage } from "./staged-screen.js";
export { MedianStoppingScheduler, type MedianStoppingSchedulerOptions } from "./median-stopping-scheduler.js";
export { medianStoppingDecision, type LearningCurve, type MedianStoppingOptions } from "./median-stopping.js";
export { schedulerFromSpec } from "./scheduler-spec.js";
