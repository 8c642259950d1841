export { StudyEngine, type Decision, type StudyOutcome } from "./study-engine.js";
export { StudyDriver, type TrialSlots, type DriverLogger } from "./study-driver.js";
export { RungSchedule } from "./rung-schedule.js";
export { nextConfiguration } from "./next-configuration.js";
export { bestTrial, isBetter, lowerIsBetterSign, paretoTrials } from "./best-trial.js";
export { budgetSpent } from "./budget-spent.js";
export { FreezeThawSchedule, budgetLadder } from "./freeze-thaw-schedule.js";
export type { ScheduledJob, TrialSchedule } from "./trial-schedule.js";
