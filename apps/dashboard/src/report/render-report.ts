import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { StudyViews } from "./report-data.js";

const require = createRequire(import.meta.url);

/** Plotly's bundle, read once: the report embeds it so that it opens offline. */
let plotly: string | undefined;
function plotlySource(): string {
  // "</script" cannot occur in the bundle today; escaped anyway, it still means the same inside JS.
  plotly ??= readFileSync(require.resolve("plotly.js-dist-min"), "utf8").replaceAll("</script", "<\\/script");
  return plotly;
}

/** JSON safe inside a <script> element: no "</script>" or "<!--" can end it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c");
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/**
 * One self-contained HTML file with a study's views: the trials table, the
 * optimisation history, parallel coordinates, learning curves with promotions,
 * the Pareto front for several objectives, each constraint against the
 * objective, and the failed trials by reason. Plotly's JavaScript and the data
 * are embedded, so the file opens without a network.
 */
export function renderStudyReport(views: StudyViews, generatedAt: Date): string {
  const rows = views.trials
    .map((t) => `<tr><td>${t.number}</td><td>${t.state}</td><td>${t.value ?? ""}</td><td>${t.fidelity ?? ""}</td><td>${escapeHtml(t.reason ?? "")}</td></tr>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>bayestune: ${escapeHtml(views.name)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}.plot{width:100%;max-width:960px;height:420px}</style>
<script>${plotlySource()}</script>
</head>
<body>
<h1>${escapeHtml(views.name)}</h1>
<p>${views.trials.length} trials; objective <code>${escapeHtml(views.metric)}</code> (${views.direction}). Generated ${generatedAt.toISOString()} by <code>bayestune export --format html</code>.</p>
<h2>Optimisation history</h2><div id="history" class="plot"></div>
<h2>Parallel coordinates</h2><div id="parallel" class="plot"></div>
<h2>Learning curves</h2><div id="curves" class="plot"></div>
${views.pareto.objectives.length > 0 ? '<h2>Pareto front</h2><div id="pareto" class="plot"></div>' : ""}
${views.feasibility.panels.map((_, i) => `<h2>Constraint ${i + 1}</h2><div id="constraint-${i}" class="plot"></div>`).join("\n")}
${Object.keys(views.feasibility.failures).length > 0 ? '<h2>Failed trials by reason</h2><div id="failures" class="plot"></div>' : ""}
<h2>Trials</h2>
<table><thead><tr><th>trial</th><th>state</th><th>value</th><th>fidelity</th><th>failure</th></tr></thead><tbody>
${rows}
</tbody></table>
<script id="views" type="application/json">${scriptJson(views)}</script>
<script>
const views = JSON.parse(document.getElementById("views").textContent);
const h = views.history;
Plotly.newPlot("history", [
  { x: h.map((p) => p.trial), y: h.map((p) => p.value), mode: "markers", name: views.metric },
  { x: h.filter((p) => p.bestSoFar !== undefined).map((p) => p.trial), y: h.filter((p) => p.bestSoFar !== undefined).map((p) => p.bestSoFar), mode: "lines", line: { shape: "hv" }, name: "best so far" },
], { xaxis: { title: { text: "trial" } }, yaxis: { title: { text: views.metric } } });
const pc = views.parallel;
Plotly.newPlot("parallel", [{
  type: "parcoords",
  line: { color: pc.lines.map((l) => l.objective), showscale: true },
  dimensions: [
    ...pc.axes.map((axis, k) => ({
      label: axis.name,
      values: pc.lines.map((l) => (axis.kind === "log" ? Math.log10(l.values[k]) : l.values[k])),
      ...(axis.kind === "categorical" ? { tickvals: axis.choices.map((_, i) => i), ticktext: axis.choices } : {}),
      ...(axis.kind === "log" ? { label: "log10 " + axis.name } : {}),
    })),
    { label: views.metric, values: pc.lines.map((l) => l.objective) },
  ],
}]);
Plotly.newPlot("curves", [
  ...views.curves.filter((c) => c.points.length > 0).map((c) => ({ x: c.points.map((p) => p.step), y: c.points.map((p) => p.value), mode: "lines", name: "trial " + c.trial })),
  { x: views.curves.flatMap((c) => c.promotions.map((p) => p.step)), y: views.curves.flatMap((c) => c.promotions.map((p) => c.points.find((q) => q.step === p.step).value)), mode: "markers", marker: { symbol: "triangle-up", size: 10 }, name: "promotion" },
], { xaxis: { title: { text: "step" } }, yaxis: { title: { text: views.metric } } });
if (views.pareto.objectives.length > 0) {
  const pts = views.pareto.points;
  Plotly.newPlot("pareto", [
    { x: pts.filter((p) => !p.onFront).map((p) => p.values[0]), y: pts.filter((p) => !p.onFront).map((p) => p.values[1]), mode: "markers", name: "trials" },
    { x: pts.filter((p) => p.onFront).map((p) => p.values[0]), y: pts.filter((p) => p.onFront).map((p) => p.values[1]), mode: "markers", marker: { size: 11 }, name: "Pareto front" },
  ], { xaxis: { title: { text: views.pareto.objectives[0] } }, yaxis: { title: { text: views.pareto.objectives[1] } } });
}
views.feasibility.panels.forEach((panel, i) => {
  const side = (feasible) => ({ x: panel.points.filter((p) => p.feasible === feasible).map((p) => p.value), y: panel.points.filter((p) => p.feasible === feasible).map((p) => p.objective), mode: "markers", name: feasible ? "within the bound" : "outside it" });
  const bounds = [panel.min, panel.max].filter((b) => b !== undefined).map((b) => ({ type: "line", x0: b, x1: b, yref: "paper", y0: 0, y1: 1, line: { dash: "dash" } }));
  Plotly.newPlot("constraint-" + i, [side(true), side(false)], { shapes: bounds, xaxis: { title: { text: panel.metric } }, yaxis: { title: { text: views.metric } } });
});
const failures = views.feasibility.failures;
if (Object.keys(failures).length > 0) Plotly.newPlot("failures", [{ type: "bar", x: Object.keys(failures), y: Object.values(failures) }]);
</script>
</body>
</html>
`;
}
