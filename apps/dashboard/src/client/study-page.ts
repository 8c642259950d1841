/*
 * The browser side of the study views, one implementation for both pages: the
 * offline report (the data embedded in #views, drawn once) and the live
 * dashboard (the data polled from the dashboard's API and redrawn in place).
 * It runs in the browser as a module; Plotly is the global its bundle defines.
 */
import type { WorkerPool } from "@bayestune/store";
import type { ModelViews } from "../plot-data/model-views.js";
import type { StudyPageData, StudyViews } from "../report/report-data.js";

type PoolRow = WorkerPool["workers"][number];

interface StudyRow {
  readonly name: string;
  readonly metric: string;
  readonly direction: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly best: number | null;
}

declare const Plotly: {
  react(element: HTMLElement, data: readonly object[], layout?: object, config?: object): Promise<unknown>;
};

const PLOT_CONFIG = { displaylogo: false, responsive: true };
const MARGIN = { l: 64, r: 24, t: 16, b: 48 };

function element(id: string): HTMLElement | null {
  return document.getElementById(id);
}

/** Shows or hides a section (`<section id="NAME-section">`) of the page. */
function show(name: string, visible: boolean): void {
  const section = element(`${name}-section`);
  if (section !== null) section.hidden = !visible;
}

/** A plot that took t ms to draw is redrawn no sooner than this many t after: no plot holds the page for long. */
const REDRAW_SPACING = 5;

/** What a plot last drew, when, and at what cost; and the newest drawing that waits for its turn. */
interface PlotState {
  drawnKey?: string;
  startedAt: number;
  costMs: number;
  pending?: (() => void) | undefined;
  timer?: ReturnType<typeof setTimeout> | undefined;
}
const plots = new WeakMap<HTMLElement, PlotState>();

/**
 * Draws a plot, or updates it in place. Plotly redraws a plot in full even for
 * equal data, so an unchanged plot is left alone. A plot slow to draw (parallel
 * coordinates of thousands of trials take seconds where WebGL has no GPU) is
 * redrawn at most every REDRAW_SPACING times its last drawing time, with its
 * newest data when its turn comes; `now` (a click) draws at once.
 */
function draw(target: HTMLElement | string, data: readonly object[], layout: object = {}, now = false): void {
  const el = typeof target === "string" ? element(target) : target;
  if (el === null) return;
  const fullLayout = { margin: MARGIN, ...layout };
  const key = JSON.stringify([data, fullLayout]);
  const state = plots.get(el) ?? { startedAt: Number.NEGATIVE_INFINITY, costMs: 0 };
  plots.set(el, state);
  if (state.drawnKey === key) {
    state.pending = undefined;
    return;
  }
  const render = (): void => {
    state.pending = undefined;
    state.drawnKey = key;
    state.startedAt = performance.now();
    void Plotly.react(el, data, fullLayout, PLOT_CONFIG);
    state.costMs = performance.now() - state.startedAt;
  };
  const wait = now ? 0 : state.startedAt + REDRAW_SPACING * state.costMs - performance.now();
  if (wait <= 0) {
    clearTimeout(state.timer);
    state.timer = undefined;
    render();
    return;
  }
  state.pending = render;
  state.timer ??= setTimeout(() => {
    state.timer = undefined;
    state.pending?.();
  }, wait);
}

/** The container's children, one div.plot per entry, created or removed to match `count`. */
function plotDivs(containerId: string, count: number, idPrefix: string): HTMLElement[] {
  const container = element(containerId);
  if (container === null) return [];
  while (container.children.length > count) container.lastElementChild!.remove();
  while (container.children.length < count) {
    const div = document.createElement("div");
    div.className = "plot small";
    div.id = `${idPrefix}-${container.children.length}`;
    container.append(div);
  }
  return [...container.children] as HTMLElement[];
}

function axisTitle(text: string): { title: { text: string } } {
  return { title: { text } };
}

function drawHistory(views: StudyViews): void {
  const h = views.history;
  const best = h.filter((p) => p.bestSoFar !== undefined);
  show("history", h.length > 0);
  draw(
    "history",
    [
      { x: h.filter((p) => p.feasible).map((p) => p.trial), y: h.filter((p) => p.feasible).map((p) => p.value), mode: "markers", type: "scatter", name: views.metric },
      { x: h.filter((p) => !p.feasible).map((p) => p.trial), y: h.filter((p) => !p.feasible).map((p) => p.value), mode: "markers", type: "scatter", marker: { symbol: "x" }, name: "infeasible" },
      { x: best.map((p) => p.trial), y: best.map((p) => p.bestSoFar), mode: "lines", type: "scatter", line: { shape: "hv" }, name: "best so far" },
    ],
    { xaxis: axisTitle("trial"), yaxis: axisTitle(views.metric) },
  );
}

function drawParallel(views: StudyViews): void {
  const pc = views.parallel;
  show("parallel", pc.lines.length > 0);
  const dimensions = pc.axes.map((axis, k) => {
    const values = pc.lines.map((l) => l.values[k]!);
    if (axis.kind === "categorical") return { label: axis.name, values, tickvals: axis.choices.map((_, i) => i), ticktext: axis.choices };
    if (axis.kind === "log") return { label: `log10 ${axis.name}`, values: values.map((v) => Math.log10(v)) };
    return { label: axis.name, values };
  });
  const objective = pc.lines.map((l) => l.objective);
  draw("parallel", [{ type: "parcoords", line: { color: objective, showscale: true }, dimensions: [...dimensions, { label: views.metric, values: objective }] }], {
    margin: { l: 64, r: 64, t: 48, b: 24 },
  });
}

function drawModel(views: StudyViews, model: ModelViews): void {
  const note = element("model-note");
  if (note !== null) note.textContent = model.available ? `The model of ${model.objective} is the optimiser's own: a failed trial counts at the worst value seen, so a parameter that makes runs fail looks important. The slices pass through trial ${model.anchorTrial}, the best so far; the band is the model's mean ± 2 std.` : `No model yet: ${model.reason}`;
  show("importance", model.available);
  show("slices", model.available);
  if (!model.available) return;
  const ranked = [...model.importance].reverse();
  draw("importance", [{ type: "bar", orientation: "h", x: ranked.map((p) => p.importance), y: ranked.map((p) => p.name) }], {
    xaxis: axisTitle("share of the model's main-effect variance"),
    margin: { ...MARGIN, l: 120 },
  });
  const divs = plotDivs("slices", model.slices.length, "slice");
  model.slices.forEach((slice, i) => {
    const band = { x: [...slice.x, ...[...slice.x].reverse()], y: [...slice.upper, ...[...slice.lower].reverse()], fill: "toself", type: "scatter", mode: "lines", line: { width: 0 }, fillcolor: "rgba(31,119,180,0.2)", name: "± 2 std", hoverinfo: "skip" };
    draw(
      divs[i]!,
      [
        band,
        { x: slice.x, y: slice.mean, type: "scatter", mode: "lines", name: "model mean" },
        { x: slice.observed.map((o) => o.x), y: slice.observed.map((o) => o.value), type: "scatter", mode: "markers", marker: { size: 5, color: "#444" }, name: "trials" },
      ],
      { xaxis: { ...axisTitle(slice.name), ...(slice.kind === "log" ? { type: "log" } : slice.kind === "categorical" ? { type: "category" } : {}) }, yaxis: axisTitle(views.metric), showlegend: false },
    );
  });
}

/** Up to this many learning curves, each is a trace of its own, named in the legend; beyond it they share one. */
const MANY_CURVES = 30;

type Curve = StudyViews["curves"][number];

function curveTrace(c: Curve): { x: number[]; y: number[]; type: string; mode: string; name: string } {
  return { x: c.points.map((p) => p.step), y: c.points.map((p) => p.value), type: "scatter", mode: "lines", name: `trial ${c.trial}` };
}

/**
 * Every curve in one trace, broken by gaps, the trial in each point's hover text,
 * with the selected trial's curve drawn over it: a trace per curve makes Plotly
 * take seconds a redraw at a thousand trials, and their legend says nothing.
 */
function sharedCurveTraces(curves: readonly Curve[]): object[] {
  const x: Array<number | null> = [];
  const y: Array<number | null> = [];
  const text: string[] = [];
  for (const c of curves) {
    for (const p of c.points) {
      x.push(p.step);
      y.push(p.value);
      text.push(`trial ${c.trial}`);
    }
    x.push(null);
    y.push(null);
    text.push("");
  }
  const all = { x, y, text, type: "scatter", mode: "lines", name: `${curves.length} trials`, line: { width: 1, color: "rgba(31,119,180,0.35)" }, hoverinfo: "x+y+text" };
  const chosen = curves.find((c) => c.trial === selection.trial);
  return chosen === undefined ? [all] : [all, { ...curveTrace(chosen), line: { width: 4, color: "#d62728" } }];
}

function drawCurves(views: StudyViews, now = false): void {
  const curves = views.curves.filter((c) => c.points.length > 0);
  show("curves", curves.length > 0);
  const promotions = curves.flatMap((c) => c.promotions.map((p) => ({ step: p.step, value: c.points.find((q) => q.step === p.step && q.rung === p.rung)?.value })));
  const lines =
    curves.length > MANY_CURVES
      ? sharedCurveTraces(curves)
      : curves.map((c) => ({
          ...curveTrace(c),
          // The selected trial's curve stands out; the others step back while one is selected.
          ...(selection.trial === undefined ? {} : c.trial === selection.trial ? { line: { width: 4 } } : { opacity: 0.3 }),
        }));
  draw(
    "curves",
    [...lines, { x: promotions.map((p) => p.step), y: promotions.map((p) => p.value), type: "scatter", mode: "markers", marker: { symbol: "triangle-up", size: 10, color: "black" }, name: "promotion" }],
    { xaxis: axisTitle("step"), yaxis: axisTitle(views.metric) },
    now,
  );
}

function drawPareto(views: StudyViews): void {
  const { objectives, points } = views.pareto;
  show("pareto", objectives.length >= 2);
  if (objectives.length < 2) return;
  const trace = (onFront: boolean) => {
    const chosen = points.filter((p) => p.onFront === onFront);
    return { x: chosen.map((p) => p.values[0]), y: chosen.map((p) => p.values[1]), type: "scatter", mode: "markers", marker: { size: onFront ? 11 : 7 }, name: onFront ? "Pareto front" : "trials" };
  };
  draw("pareto", [trace(false), trace(true)], { xaxis: axisTitle(objectives[0]!), yaxis: axisTitle(objectives[1]!) });
}

function drawFeasibility(views: StudyViews): void {
  const { panels, failures } = views.feasibility;
  show("feasibility", panels.length > 0);
  const divs = plotDivs("feasibility", panels.length, "constraint");
  panels.forEach((panel, i) => {
    const side = (feasible: boolean) => {
      const chosen = panel.points.filter((p) => p.feasible === feasible);
      return { x: chosen.map((p) => p.value), y: chosen.map((p) => p.objective), type: "scatter", mode: "markers", name: feasible ? "within the bound" : "outside it" };
    };
    const bounds = [panel.min, panel.max].filter((b) => b !== undefined).map((b) => ({ type: "line", x0: b, x1: b, yref: "paper", y0: 0, y1: 1, line: { dash: "dash" } }));
    draw(divs[i]!, [side(true), side(false)], { shapes: bounds, xaxis: axisTitle(panel.metric), yaxis: axisTitle(views.metric) });
  });
  const reasons = Object.keys(failures);
  show("failures", reasons.length > 0);
  if (reasons.length > 0) draw("failures", [{ type: "bar", x: reasons, y: reasons.map((r) => failures[r]) }], { yaxis: axisTitle("failed trials") });
}

/** The trials table's sort: a column and its order, kept across redraws. */
const sorting = { column: "trial", descending: false };
/** The trial whose details are shown, kept across redraws. */
const selection: { trial: number | undefined } = { trial: undefined };
/** The views last drawn, for the table's click handlers: the table is not rebuilt while its rows stay the same. */
let latest: StudyViews | undefined;
/** The table's rows, sort and selection when it was last built. */
let tableKey: string | undefined;

type Cell = string | number | boolean | null;

function trialRows(views: StudyViews): { columns: string[]; rows: Cell[][] } {
  const params = views.parallel.axes.map((a) => a.name);
  const columns = ["trial", "state", views.metric, "rung", "fidelity", ...params, "failure"];
  const rows = views.trials.map((t) => [t.number, t.state, t.value, t.rung, t.fidelity, ...params.map((p) => t.params[p] ?? null), t.reason]);
  return { columns, rows };
}

function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
}

function formatCell(cell: Cell): string {
  if (cell === null) return "";
  return typeof cell === "number" && !Number.isInteger(cell) ? cell.toPrecision(5) : String(cell);
}

function drawTrialsTable(views: StudyViews): void {
  const table = element("trials");
  if (table === null) return;
  const { columns, rows } = trialRows(views);
  // Thousands of rows take a while to build: a refresh that changed none of them (progress reports) keeps the table.
  const key = JSON.stringify([rows, sorting, selection.trial]);
  if (key === tableKey) return;
  tableKey = key;
  const k = Math.max(0, columns.indexOf(sorting.column));
  const sorted = [...rows].sort((a, b) => compareCells(a[k]!, b[k]!) * (sorting.descending ? -1 : 1));
  const head = document.createElement("tr");
  for (const column of columns) {
    const th = document.createElement("th");
    th.textContent = column + (column === columns[k] ? (sorting.descending ? " ▼" : " ▲") : "");
    th.dataset["column"] = column;
    th.addEventListener("click", () => {
      sorting.descending = sorting.column === column ? !sorting.descending : false;
      sorting.column = column;
      drawTrialsTable(latest ?? views);
    });
    head.append(th);
  }
  const body = sorted.map((row) => {
    const tr = document.createElement("tr");
    const trial = row[0] as number;
    tr.dataset["trial"] = String(trial);
    if (trial === selection.trial) tr.className = "selected";
    for (const cell of row) {
      const td = document.createElement("td");
      td.textContent = formatCell(cell);
      tr.append(td);
    }
    tr.addEventListener("click", () => {
      selection.trial = selection.trial === trial ? undefined : trial;
      const current = latest ?? views;
      drawTrialsTable(current);
      drawTrialDetail(current);
      drawCurves(current, true);
    });
    return tr;
  });
  table.replaceChildren(head, ...body);
}

/** The selected trial: every parameter, every final metric, and its failure; a second click on its row hides it. */
function drawTrialDetail(views: StudyViews): void {
  const trial = views.trials.find((t) => t.number === selection.trial);
  show("trial", trial !== undefined);
  const title = element("trial-title");
  const table = element("trial-detail");
  if (trial === undefined || title === null || table === null) return;
  title.textContent = `Trial ${trial.number}: ${trial.state}`;
  const rows: Array<[string, Cell]> = [
    ...views.parallel.axes.map((axis): [string, Cell] => [axis.name, trial.params[axis.name] ?? null]),
    ...Object.entries(trial.metrics ?? {}).map(([name, value]): [string, Cell] => [`${name} (final)`, value]),
    ["rung", trial.rung],
    ...(trial.fidelity !== null ? [["fidelity", trial.fidelity] as [string, Cell]] : []),
    ...(trial.reason !== null ? [["failure", trial.reason] as [string, Cell]] : []),
  ];
  table.replaceChildren(
    ...rows.map(([name, value]) => {
      const tr = document.createElement("tr");
      const th = Object.assign(document.createElement("th"), { textContent: name });
      const td = Object.assign(document.createElement("td"), { textContent: formatCell(value) });
      tr.append(th, td);
      return tr;
    }),
  );
}

function drawSummary(views: StudyViews): void {
  const summary = element("summary");
  if (summary === null) return;
  const counts: Record<string, number> = {};
  for (const t of views.trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
  const best = views.history.at(-1)?.bestSoFar;
  const states = Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(", ");
  summary.textContent = `${views.trials.length} trials (${states}); objective ${views.metric} (${views.direction})${best !== undefined ? `; best feasible ${formatCell(best)}` : ""}.`;
}

/** Draws every view of one study; called again with newer data, it updates them in place. */
export function drawStudyPage(data: StudyPageData): void {
  const { views, model } = data;
  latest = views;
  const title = element("study-name");
  if (title !== null) title.textContent = views.name;
  drawSummary(views);
  drawHistory(views);
  drawParallel(views);
  drawModel(views, model);
  drawCurves(views);
  drawPareto(views);
  drawFeasibility(views);
  drawTrialsTable(views);
  drawTrialDetail(views);
}

function drawWorkers(workers: readonly PoolRow[]): void {
  show("workers", true);
  const text = element("workers-summary");
  const slots = workers.reduce((sum, w) => sum + w.slots, 0);
  const busy = workers.reduce((sum, w) => sum + (w.busy ?? 0), 0);
  if (text !== null) text.textContent = workers.length === 0 ? "No worker is registered." : `${workers.length} ${workers.length === 1 ? "worker" : "workers"}: ${busy} of ${slots} slots busy.`;
  draw(
    "workers",
    [
      { type: "bar", orientation: "h", y: workers.map((w) => w.id), x: workers.map((w) => w.busy ?? 0), name: "busy" },
      { type: "bar", orientation: "h", y: workers.map((w) => w.id), x: workers.map((w) => w.slots - (w.busy ?? 0)), name: "idle" },
    ],
    { barmode: "stack", xaxis: { ...axisTitle("slots"), dtick: 1 }, margin: { ...MARGIN, l: 160 }, height: 80 + 28 * Math.max(1, workers.length) },
  );
}

function drawStudyList(studies: readonly StudyRow[]): void {
  const table = element("studies");
  if (table === null) return;
  const head = document.createElement("tr");
  for (const column of ["study", "objective", "complete", "running", "paused", "pruned", "failed", "best feasible"]) {
    const th = document.createElement("th");
    th.textContent = column;
    head.append(th);
  }
  const rows = studies.map((s) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    const link = document.createElement("a");
    link.href = `/studies/${encodeURIComponent(s.name)}`;
    link.textContent = s.name;
    name.append(link);
    const cells = [`${s.metric} (${s.direction})`, s.counts["complete"] ?? 0, s.counts["running"] ?? 0, s.counts["paused"] ?? 0, s.counts["pruned"] ?? 0, s.counts["failed"] ?? 0, s.best];
    tr.append(name, ...cells.map((c) => Object.assign(document.createElement("td"), { textContent: formatCell(c) })));
    return tr;
  });
  table.replaceChildren(head, ...rows);
}

async function getText(path: string): Promise<string> {
  // A hung request must not stop the polling: it fails after 10 s and the next poll tries again.
  const response = await fetch(path, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.text();
}

/** Calls `draw` with the parsed answer when it differs from the last one: an unchanged study is not redrawn. */
function redrawOnChange<T>(draw: (data: T) => void): (text: string) => void {
  let last: string | undefined;
  return (text) => {
    if (text === last) return;
    last = text;
    draw(JSON.parse(text) as T);
  };
}

/** The live dashboard: polls the API every `data-refresh` ms and redraws what changed; a failed poll is shown, and the next one retries. */
function runDashboard(): void {
  const body = document.body;
  const refreshMs = Number(body.dataset["refresh"] ?? "2000");
  const study = body.dataset["study"];
  const status = element("updated");
  const showStudy = redrawOnChange<StudyPageData>(drawStudyPage);
  const showList = redrawOnChange<{ studies: StudyRow[] }>((data) => drawStudyList(data.studies));
  const showWorkers = redrawOnChange<{ workers: PoolRow[] }>((data) => drawWorkers(data.workers));
  let updates = 0;
  const poll = async (): Promise<void> => {
    try {
      const [main, workers] = await Promise.all([
        getText(study !== undefined ? `/api/dashboard/studies/${encodeURIComponent(study)}` : "/api/dashboard/studies"),
        getText("/api/dashboard/workers"),
      ]);
      (study !== undefined ? showStudy : showList)(main);
      showWorkers(workers);
      updates += 1;
      if (status !== null) {
        status.textContent = `updated ${new Date().toLocaleTimeString()}`;
        status.dataset["updates"] = String(updates);
      }
    } catch (error) {
      if (status !== null) status.textContent = `not updated: ${(error as Error).message}; retrying`;
    } finally {
      setTimeout(() => void poll(), refreshMs);
    }
  };
  void poll();
}

const embedded = element("views");
if (embedded !== null) drawStudyPage(JSON.parse(embedded.textContent ?? "null") as StudyPageData);
else runDashboard();
