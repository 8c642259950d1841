/* Checks on processes that tests and benches share; free of vitest. */
import { readFileSync } from "node:fs";

/**
 * Whether `pid` is gone. A zombie counts as gone: a process whose parent died first
 * is reparented to PID 1, and in some containers PID 1 never reaps, so its zombie
 * stays visible to kill(pid, 0) though it holds no memory and runs nothing.
 */
export function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") === true;
  } catch {
    return true;
  }
}

/** The lines a CLI's output holds as its own error messages ("bayestune: ..."; its log lines are JSON), and whether it printed a stack trace. */
export function cliErrorLines(output: string): { own: string[]; stackTrace: boolean } {
  const lines = output.split("\n");
  return { own: lines.filter((line) => line.startsWith("bayestune: ")), stackTrace: lines.some((line) => /^\s+at /.test(line)) };
}
