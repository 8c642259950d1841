import { expect } from "vitest";
import type { Proc } from "./cluster.js";
import { cliErrorLines } from "./processes.js";

/**
 * The one line a CLI that failed prints on its own (its log lines are JSON):
 * exactly one, and no stack trace anywhere in its output.
 */
export function cliErrorLine(proc: Proc): string {
  const { own, stackTrace } = cliErrorLines(proc.output());
  expect(own, proc.output()).toHaveLength(1);
  expect(stackTrace, proc.output()).toBe(false);
  return own[0] ?? "";
}
