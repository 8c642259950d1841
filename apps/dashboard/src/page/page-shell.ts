import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/** The package's root: this file sits one folder below src/ or dist/. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Plotly's bundle on disk: the report inlines it, the dashboard serves it. */
export function plotlyBundlePath(): string {
  return require.resolve("plotly.js-dist-min");
}

/** The compiled browser module that draws the views (src/client/study-page.ts), shared by both pages. */
export function studyPageScriptPath(): string {
  const path = `${PACKAGE_ROOT}dist/client/study-page.js`;
  if (!existsSync(path)) throw new Error(`${path} is missing: build the dashboard first (npm run build)`);
  return path;
}

export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** Source safe inside an inline <script>: "</script" cannot end it early (escaped, it means the same in JS and JSON). */
export function inlineScript(source: string): string {
  return source.replaceAll("</script", "<\\/script").replaceAll("<!--", "<\\!--");
}

/** JSON safe inside a <script> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c");
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem 2rem;color:#222}
header{display:flex;gap:1.5rem;align-items:baseline;border-bottom:1px solid #ddd;padding-bottom:.5rem}
header .updated{color:#666;font-size:.9em}
table{border-collapse:collapse;font-size:.9em}td,th{padding:2px 8px;border-bottom:1px solid #e4e4e4;text-align:right}
th{cursor:pointer;user-select:none;background:#f6f6f6}
.plot{width:100%;max-width:1000px;height:400px}.plot.small{display:inline-block;width:480px;height:300px}
.note{color:#555}#trials tr.selected td{background:#fff3c4}#trials td{cursor:pointer}#trial-detail th{text-align:left;cursor:default}`;

/** The sections of a study page; the client shows those that have data. */
export const STUDY_SECTIONS = `<h1 id="study-name"></h1>
<p id="summary"></p>
<section id="history-section"><h2>Optimisation history</h2><div id="history" class="plot"></div></section>
<section id="parallel-section"><h2>Parallel coordinates</h2><div id="parallel" class="plot"></div></section>
<p id="model-note" class="note"></p>
<section id="importance-section"><h2>Parameter importance</h2><div id="importance" class="plot"></div></section>
<section id="slices-section"><h2>Model slices</h2><div id="slices"></div></section>
<section id="curves-section"><h2>Learning curves</h2><div id="curves" class="plot"></div></section>
<section id="pareto-section" hidden><h2>Pareto front</h2><div id="pareto" class="plot"></div></section>
<section id="feasibility-section" hidden><h2>Constraints</h2><div id="feasibility"></div></section>
<section id="failures-section" hidden><h2>Failed trials by reason</h2><div id="failures" class="plot small"></div></section>
<section id="trials-section"><h2>Trials</h2><p class="note">Click a trial for its details; click a column's header to sort by it.</p><table id="trials"></table></section>
<section id="trial-section" hidden><h2 id="trial-title"></h2><table id="trial-detail"></table></section>`;

/** One HTML page around a body; `head` holds the scripts. */
export function page(title: string, head: string, bodyAttributes: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${head}
</head>
<body ${bodyAttributes}>
${body}
</body>
</html>
`;
}
