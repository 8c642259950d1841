export { optimizationHistory, type HistoryPoint } from "./plot-data/history.js";
export { parallelCoordinates, type Axis, type ParallelCoordinates } from "./plot-data/parallel-coordinates.js";
export { learningCurves, type LearningCurve } from "./plot-data/learning-curves.js";
export { paretoPlot, type ParetoPlot } from "./plot-data/pareto.js";
export { feasibilityPlot, type ConstraintPanel, type FeasibilityPlot } from "./plot-data/feasibility.js";
export { studyViews, type StudyViews } from "./report/report-data.js";
export { renderStudyReport } from "./report/render-report.js";
