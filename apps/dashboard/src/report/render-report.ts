import { readFileSync } from "node:fs";
import type { StudyPageData } from "../report/report-data.js";
import { inlineScript, page, plotlyBundlePath, scriptJson, STUDY_SECTIONS, studyPageScriptPath } from "../page/page-shell.js";

/** Read once: megabytes that do not change while the process runs. */
let scripts: { plotly: string; studyPage: string } | undefined;
function inlinedScripts(): { plotly: string; studyPage: string } {
  scripts ??= {
    plotly: inlineScript(readFileSync(plotlyBundlePath(), "utf8")),
    // The source map comment would point at a file the report does not carry.
    studyPage: inlineScript(readFileSync(studyPageScriptPath(), "utf8").replace(/\/\/# sourceMappingURL=.*$/m, "")),
  };
  return scripts;
}

/**
 * One self-contained HTML file with a study's views, drawn by the same browser
 * code as the live dashboard: the optimisation history, parallel coordinates,
 * parameter importance and model slices, learning curves with promotions, the
 * Pareto front, the constraints and failures, and the sortable trials table.
 * Plotly's JavaScript and the data are embedded, so the file opens offline.
 */
export function renderStudyReport(data: StudyPageData, generatedAt: Date): string {
  const { plotly, studyPage } = inlinedScripts();
  const head = `<script>${plotly}</script>
<script id="views" type="application/json">${scriptJson(data)}</script>
<script type="module">${studyPage}</script>`;
  const body = `<header><strong>bayestune report</strong><span class="updated">generated ${generatedAt.toISOString()} by <code>bayestune export --format html</code></span></header>
${STUDY_SECTIONS}`;
  return page(`bayestune: ${data.views.name}`, head, `data-mode="report"`, body);
}

