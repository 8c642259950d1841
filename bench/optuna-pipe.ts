import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const VENV_PYTHON = join(root, "bench/.venv/bin/python");
const DRIVER = join(root, "bench/optuna/pipe_driver.py");

/** What this process answers for one of Optuna's points (see bench/optuna/pipe_driver.py). */
export type PipeOutcome =
  | { readonly value: number; readonly constraints: readonly number[] }
  | { readonly values: readonly number[] }
  | { readonly crashed: true };

/**
 * Runs an Optuna sampler for `budget` evaluations: Optuna asks over the driver's
 * stdout, `evaluate` answers on its stdin, so Optuna optimises exactly the
 * problem code the TypeScript engines see. Resolves with Optuna's ask latencies.
 */
export function runOptunaOverPipe(
  engine: "gp" | "tpe" | "nsga2",
  seed: number,
  space: object,
  budget: number,
  objectives: number,
  evaluate: (params: Record<string, number>) => PipeOutcome,
): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(VENV_PYTHON, [DRIVER, engine, String(seed), JSON.stringify(space), String(budget), String(objectives)], { stdio: ["pipe", "pipe", "inherit"] });
    let askMs: number[] = [];
    createInterface({ input: child.stdout }).on("line", (line) => {
      const message = JSON.parse(line) as { params?: Record<string, number>; done?: boolean; askMs?: number[] };
      if (message.done) askMs = message.askMs ?? [];
      else child.stdin.write(`${JSON.stringify(evaluate(message.params!))}\n`);
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(askMs) : reject(new Error(`optuna ${engine} exited with ${code}`))));
  });
}
