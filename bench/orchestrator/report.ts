import type { MachineInfo } from "../machine.js";

/** One run of the coordinator and its workers. */
export interface Scenario {
  readonly name: string;
  readonly sampler: "gp" | "sobol";
  readonly trialSeconds: number;
  readonly slots: number;
  readonly trials: number;
  readonly queueAhead: number;
  /** queueAhead as a share of the slots, rounded up. */
  readonly queueAheadShare: number;
}

export interface ScenarioResult extends Scenario {
  readonly trialsPerSecond: number;
  /** Scheduling latency: a slot's trial ended until its next one started, ms. */
  readonly gapP50Ms: number;
  readonly gapP95Ms: number;
  readonly gapMaxMs: number;
  readonly idleFraction: number;
  readonly rampUpMs: number;
  /** The coordinator's asks (fills) and their mean size. */
  readonly batches: number;
  readonly meanBatch: number;
  readonly askMsPerPointP50: number;
}

export interface AskLatency {
  readonly told: number;
  readonly running: number;
  readonly q: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

export interface OrchestratorReportContext {
  readonly command: string;
  readonly date: string;
  readonly wallMinutes: number;
  readonly machine: MachineInfo;
  readonly gpusPerWorker: number;
  readonly results: readonly ScenarioResult[];
  readonly asks: readonly AskLatency[];
}

/** Idle target: slots waiting under 2% of the time when trials take 10 s or more. */
const IDLE_TARGET = 0.02;
const ASK_TARGET_MS = 100;

/** The orchestrator section of docs/benchmarks.md. */
export function renderOrchestratorReport(c: OrchestratorReportContext): string {
  const m = c.machine;
  const out: string[] = [];
  out.push("## Distributed orchestrator");
  out.push("");
  out.push("<!-- Written by bench/orchestrator/run.ts from a real run; do not edit by hand. -->");
  out.push("");
  out.push(`- Command: \`${c.command}\``);
  out.push(`- Date: ${c.date} (wall time ${c.wallMinutes.toFixed(1)} min)`);
  out.push(`- Machine: ${m.nproc} CPUs, ${m.cpuModel}, ${m.os}, Node ${m.node}; Redis on 127.0.0.1. The coordinator, every worker process, every simulated trial and Redis share these CPUs.`);
  out.push(
    `- Setup: the real coordinator (\`startCoordinator\`, in the bench's process) and real worker processes (\`bayestune worker\`, one per ${c.gpusPerWorker} slots, slots given as fake GPUs). ` +
      "Each trial runs `bench/orchestrator/simulated-trial.sh`: it sleeps its duration (±20% per trial) in 5 steps, printing a learning curve (5 progress messages through Redis) and a final loss, and records its own start and end. " +
      "The space is LLM-like (lr log, batch size int log, warmup int, dropout, Adam β2, weight decay log: d = 6).",
  );
  out.push(
    "- Scheduling latency: from a trial's end on a slot to the start of the next trial on that slot (the result's trip to the coordinator, the tell, the ask, the new job's trip to the worker and the process start). " +
      "Idle fraction: those gaps over each slot's time from its first trial's start to its last trial's end (the ramp-up before the first trial and the tail after the study ran out of trials are left out; ramp-up is shown on its own). " +
      "`queue ahead`: jobs the coordinator keeps waiting beyond the free slots (`--queue-ahead`).",
  );
  out.push("");
  out.push("| scenario | sampler | trial length | slots | queue ahead | trials | trials/s | latency p50 (ms) | p95 (ms) | max (ms) | idle | ramp-up (s) | asks (mean size) | ask ms per point (p50) |");
  out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of c.results) {
    out.push(
      `| ${r.name} | ${r.sampler} | ${r.trialSeconds} s | ${r.slots} | ${r.queueAhead} | ${r.trials} | ${r.trialsPerSecond.toFixed(1)} | ${r.gapP50Ms.toFixed(0)} | ${r.gapP95Ms.toFixed(0)} | ${r.gapMaxMs.toFixed(0)} | ${pct(r.idleFraction)} | ${(r.rampUpMs / 1000).toFixed(1)} | ${r.batches} (${r.meanBatch.toFixed(1)}) | ${r.askMsPerPointP50.toFixed(1)} |`,
    );
  }
  out.push("");
  const told = c.asks[0]?.told ?? 0;
  out.push(`### Ask for a batch at ${told} trials`);
  out.push("");
  out.push(
    `The core's \`askBatch(q)\` as the coordinator calls it, on its own: a GP study with ${told} complete trials of the simulated curve (same space) and ${c.asks[0]?.running ?? 0} running; each batch is told before the next, so hyperparameter refits (every 5% of growth above 200 trials) fall among the timed asks as they do in a study.`,
  );
  out.push("");
  out.push("| told trials | q | median (ms) | slowest (ms) |");
  out.push("| ---: | ---: | ---: | ---: |");
  for (const a of c.asks) out.push(`| ${a.told} | ${a.q} | ${a.medianMs.toFixed(0)} | ${a.maxMs.toFixed(0)} |`);
  out.push("");
  out.push("### Targets");
  out.push("");
  const long = c.results.filter((r) => r.trialSeconds >= 10);
  if (long.length === 0) {
    out.push(`- slot idle time under ${pct(IDLE_TARGET)} with trials of 10 s or more: not measured (no such scenario in this run).`);
  } else {
    for (const share of [...new Set(long.map((r) => r.queueAheadShare))]) {
      const rows = long.filter((r) => r.queueAheadShare === share);
      const worst = rows.reduce((a, b) => (b.idleFraction > a.idleFraction ? b : a));
      const met = rows.every((r) => r.idleFraction < IDLE_TARGET);
      out.push(
        `- slot idle time under ${pct(IDLE_TARGET)} with trials of 10 s or more, ${share === 0 ? "no queue ahead" : `queue ahead = ${fraction(share)} of the slots`}: **${met ? "met" : "not met"}** — ` +
          rows.map((r) => `${r.slots} slots ${pct(r.idleFraction)}`).join(", ") +
          ` (worst: ${worst.slots} slots).`,
      );
    }
  }
  const single = c.asks.find((a) => a.q === 1);
  if (single !== undefined) {
    const sizes = c.asks.map((a) => `q = ${a.q}: ${a.medianMs.toFixed(0)} ms`).join(", ");
    out.push(
      `- coordinator ask for a batch under ${ASK_TARGET_MS} ms at ${single.told} trials: **${askVerdict(c.asks)}** — median ${sizes}.`,
    );
  }
  return out.join("\n");
}

/** "met", "not met", or which batch sizes met it: "met for q = 1, 4; not for q = 8". */
function askVerdict(asks: readonly AskLatency[]): string {
  const met = asks.filter((a) => a.medianMs < ASK_TARGET_MS).map((a) => a.q);
  const missed = asks.filter((a) => !(a.medianMs < ASK_TARGET_MS)).map((a) => a.q);
  if (missed.length === 0) return "met";
  if (met.length === 0) return "not met";
  return `met for q = ${met.join(", ")}; not for q = ${missed.join(", ")}`;
}

function fraction(share: number): string {
  const denominator = Math.round(1 / share);
  return Math.abs(1 / denominator - share) < 1e-12 ? `1/${denominator}` : share.toFixed(2);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
