import type { FailureReason } from "@bayestune/protocol";
import { findOutOfMemoryLine } from "./out-of-memory.js";
import type { ParsedMetricLine } from "./parse-metric-line.js";

/** What was seen of a training process that started and has ended. */
export interface ProcessOutcome {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /**
   * Set when the worker itself ended the process: "diverged" after a progress line whose
   * objective was NaN or ±Infinity, "stopped" when it outlived the grace period of a stop request.
   */
  stoppedBy?: "timeout" | "cancelled" | "diverged" | "stopped";
  /** The engine asked the run to stop early before it ended for another reason (the stop file was created). */
  stopRequested: boolean;
  /** The worker escalated to SIGKILL after the grace period. */
  sentSigkill: boolean;
  /** The last line with `final: true`. */
  final?: ParsedMetricLine;
  /** The step of the first progress line whose objective was NaN or ±Infinity. */
  divergedAt?: number;
  /** The last intermediate line whose objective was a finite number, and that number. */
  lastReport?: { value: number; line: ParsedMetricLine };
  /** Metric lines seen without `final: true`. */
  intermediateLines: number;
  lastStep?: number;
  stderrTail: string;
}

/** How a trial ended, before the job's identity and timings are added. */
export type Verdict =
  | {
      state: "complete";
      value: number;
      /** The metrics of the line `value` comes from. */
      metrics: Record<string, number | null>;
      /** The engine asked the run to stop early. */
      stopped?: true;
    }
  | { state: "failed"; reason: FailureReason; message: string };

/** What {@link classifyOutcome} needs of the job. */
export interface ClassifiedJob {
  metric: string;
  timeoutSeconds: number;
  objectiveMetrics?: readonly string[] | undefined;
  constraintMetrics?: readonly string[] | undefined;
}

/** The grace periods the run was given, for the messages. */
export interface GracePeriods {
  /** Between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Between a stop request and SIGTERM. */
  stopGraceMs: number;
}

/** A metric the final line (or the report standing for it) must hold, beside the objective. */
interface RequiredMetric {
  name: string;
  kind: "objective" | "constraint";
}

/**
 * Classifies an ended training process. The worker's own stop comes first (a script
 * may exit 0 on SIGTERM, yet it did not finish): a cancel, a divergence, then a stop
 * request (a timeout within its grace period counts as part of the stop: the engine
 * wanted the run ended anyway); then a failed exit, where out-of-memory is told apart
 * from other crashes; then the final metrics.
 */
export function classifyOutcome(outcome: ProcessOutcome, job: ClassifiedJob, grace: GracePeriods): Verdict {
  if (outcome.stoppedBy === "cancelled") {
    return { state: "failed", reason: "cancelled", message: "cancelled; the process group was terminated" };
  }
  // A run whose objective turned NaN, even during a stop's grace period, has no value worth keeping.
  if (outcome.stoppedBy === "diverged" || (outcome.stopRequested && outcome.divergedAt !== undefined)) {
    return {
      state: "failed",
      reason: "non-finite-metric",
      message: `diverged: '${job.metric}' was not finite at step ${outcome.divergedAt ?? outcome.lastStep ?? "?"}; the run was stopped there`,
    };
  }
  const required: RequiredMetric[] = [
    ...(job.objectiveMetrics ?? []).map((name) => ({ name, kind: "objective" as const })),
    ...(job.constraintMetrics ?? []).map((name) => ({ name, kind: "constraint" as const })),
  ];
  if (outcome.stopRequested) return classifyStopped(outcome, job.metric, required, grace);
  if (outcome.stoppedBy === "timeout") {
    const escalation = outcome.sentSigkill ? `, with SIGKILL after it ignored SIGTERM for ${grace.killGraceMs} ms` : "";
    return {
      state: "failed",
      reason: "timeout",
      message: `killed after the ${job.timeoutSeconds} s timeout${escalation}`,
    };
  }
  if (outcome.code !== 0) return classifyFailedExit(outcome);
  return classifyMetrics(outcome, job.metric, required);
}

/**
 * A run the engine asked to stop: its final line is the result when it printed one,
 * however it then exited (it may have been terminated while cleaning up); else its
 * last finite report of the objective; else it failed "stopped".
 */
function classifyStopped(outcome: ProcessOutcome, metric: string, required: readonly RequiredMetric[], grace: GracePeriods): Verdict {
  if (outcome.final !== undefined) {
    const verdict = classifyMetrics(outcome, metric, required);
    return verdict.state === "complete" ? { ...verdict, stopped: true } : verdict;
  }
  const report = outcome.lastReport;
  if (report === undefined) {
    return { state: "failed", reason: "stopped", message: `stopped by the engine before it reported a value of '${metric}' (${howStoppedRunEnded(outcome, grace)})` };
  }
  const missing = checkRequired(report.line, required, `the last report before the stop (step ${report.line.step ?? "?"})`);
  if (missing !== undefined) return missing;
  return { state: "complete", value: report.value, metrics: report.line.metrics, stopped: true };
}

function howStoppedRunEnded(outcome: ProcessOutcome, grace: GracePeriods): string {
  if (outcome.stoppedBy === "stopped") {
    const escalation = outcome.sentSigkill ? `, with SIGKILL after it ignored SIGTERM for ${grace.killGraceMs} ms` : "";
    return `terminated ${grace.stopGraceMs} ms after the stop request${escalation}`;
  }
  if (outcome.stoppedBy === "timeout") return "killed at its timeout, within the stop grace period";
  return outcome.signal === null ? `exited with code ${outcome.code} without a final line` : `was killed by ${outcome.signal}`;
}

function classifyFailedExit(outcome: ProcessOutcome): Verdict {
  const oomLine = findOutOfMemoryLine(outcome.stderrTail);
  const how = outcome.signal === null ? `exited with code ${outcome.code}` : `was killed by ${outcome.signal}`;
  if (oomLine !== undefined) {
    return { state: "failed", reason: "out-of-memory", message: `out of memory (${how}): ${oomLine}` };
  }
  if (outcome.signal === "SIGKILL") {
    return {
      state: "failed",
      reason: "out-of-memory",
      message: "was killed by SIGKILL, which the worker did not send: most likely the kernel's out-of-memory killer",
    };
  }
  const lastLine = outcome.stderrTail.trimEnd().split("\n").at(-1)?.trim() ?? "";
  return {
    state: "failed",
    reason: "nonzero-exit",
    message: lastLine === "" ? how : `${how}; last stderr line: ${lastLine}`,
  };
}

function classifyMetrics(outcome: ProcessOutcome, metric: string, required: readonly RequiredMetric[]): Verdict {
  const final = outcome.final;
  if (final === undefined) {
    const seen =
      outcome.intermediateLines === 0
        ? "no metric line at all"
        : `only ${outcome.intermediateLines} intermediate metric line(s)${outcome.lastStep === undefined ? "" : ` (last step ${outcome.lastStep})`}`;
    return {
      state: "failed",
      reason: "no-metric",
      message: `exited 0 without a final metrics line ({"final": true, "${metric}": ...}); saw ${seen}`,
    };
  }
  const value = Object.hasOwn(final.metrics, metric) ? final.metrics[metric] : undefined;
  if (value === undefined) {
    const keys = Object.keys(final.metrics);
    return {
      state: "failed",
      reason: "no-metric",
      message: `the final metrics line must hold '${metric}', got ${keys.length === 0 ? "no metrics" : `only ${keys.map((k) => `'${k}'`).join(", ")}`}`,
    };
  }
  if (value === null) {
    return {
      state: "failed",
      reason: "non-finite-metric",
      message: `metric '${metric}' must be a finite number, got ${final.nonFinite[metric] ?? "null"}`,
    };
  }
  return checkRequired(final, required, "the final metrics line") ?? { state: "complete", value, metrics: final.metrics };
}

/**
 * The failure when `line` lacks another objective or a constraint metric, or holds a
 * non-finite one: the trial would be unranked (or its feasibility unknown), so it
 * cannot be on the front, and no model can learn from it. `where` names the line.
 */
function checkRequired(line: ParsedMetricLine, required: readonly RequiredMetric[], where: string): Verdict | undefined {
  for (const { name, kind } of required) {
    const other = Object.hasOwn(line.metrics, name) ? line.metrics[name] : undefined;
    if (other === undefined) {
      return { state: "failed", reason: "no-metric", message: `${where} must hold the ${kind} metric '${name}'` };
    }
    if (other === null) {
      return { state: "failed", reason: "non-finite-metric", message: `${kind} metric '${name}' must be a finite number, got ${line.nonFinite[name] ?? "null"}` };
    }
  }
  return undefined;
}
