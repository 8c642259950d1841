import type { FailureReason } from "@bayestune/protocol";
import { findOutOfMemoryLine } from "./out-of-memory.js";
import type { ParsedMetricLine } from "./parse-metric-line.js";

/** What was seen of a training process that started and has ended. */
export interface ProcessOutcome {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the worker itself ended the process: "diverged" after a progress line whose objective was NaN or ±Infinity. */
  stoppedBy?: "timeout" | "cancelled" | "diverged";
  /** The worker escalated to SIGKILL after the grace period. */
  sentSigkill: boolean;
  /** The last line with `final: true`. */
  final?: ParsedMetricLine;
  /** Metric lines seen without `final: true`. */
  intermediateLines: number;
  lastStep?: number;
  stderrTail: string;
}

/** How a trial ended, before the job's identity and timings are added. */
export type Verdict =
  | { state: "complete"; value: number }
  | { state: "failed"; reason: FailureReason; message: string };

/**
 * Classifies an ended training process. The worker's own stop comes first (a script
 * may exit 0 on SIGTERM, yet it did not finish); then a failed exit, where
 * out-of-memory is told apart from other crashes; then the final metrics.
 */
export function classifyOutcome(
  outcome: ProcessOutcome,
  job: { metric: string; timeoutSeconds: number; objectiveMetrics?: readonly string[] | undefined; constraintMetrics?: readonly string[] | undefined },
  killGraceMs: number,
): Verdict {
  if (outcome.stoppedBy === "cancelled") {
    return { state: "failed", reason: "cancelled", message: "cancelled; the process group was terminated" };
  }
  if (outcome.stoppedBy === "diverged") {
    return {
      state: "failed",
      reason: "non-finite-metric",
      message: `diverged: '${job.metric}' was not finite at step ${outcome.lastStep ?? "?"}; the run was stopped there`,
    };
  }
  if (outcome.stoppedBy === "timeout") {
    const escalation = outcome.sentSigkill ? `, with SIGKILL after it ignored SIGTERM for ${killGraceMs} ms` : "";
    return {
      state: "failed",
      reason: "timeout",
      message: `killed after the ${job.timeoutSeconds} s timeout${escalation}`,
    };
  }
  if (outcome.code !== 0) return classifyFailedExit(outcome);
  return classifyMetrics(outcome, job.metric, [...(job.objectiveMetrics ?? []).map((name) => ({ name, kind: "objective" })), ...(job.constraintMetrics ?? []).map((name) => ({ name, kind: "constraint" }))]);
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

function classifyMetrics(outcome: ProcessOutcome, metric: string, required: readonly { name: string; kind: string }[]): Verdict {
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
  // Another objective or a constraint metric that is missing or not finite leaves the trial
  // unranked (or its feasibility unknown): it cannot be on the front, and no model can learn from it.
  for (const { name, kind } of required) {
    const other = Object.hasOwn(final.metrics, name) ? final.metrics[name] : undefined;
    if (other === undefined) {
      return { state: "failed", reason: "no-metric", message: `the final metrics line must hold the ${kind} metric '${name}'` };
    }
    if (other === null) {
      return { state: "failed", reason: "non-finite-metric", message: `${kind} metric '${name}' must be a finite number, got ${final.nonFinite[name] ?? "null"}` };
    }
  }
  return { state: "complete", value };
}
