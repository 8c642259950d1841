export { StudyEngine, type Decision, type StudyOutcome } from "./study-engine.js";
export { StudyDriver, type TrialSlots, type DriverLogger } from "./study-driver.js";
export { RungSchedule, type ScheduledJob } from "./rung-schedule.js";
export { nextConfiguration } from "./next-configuration.js";
export { bestTrial, isBetter, lowerIsBetterSign, paretoTrials } from "./best-trial.js";
export { budgetSpent } from "./budget-spent.js";
