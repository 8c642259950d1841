import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { ParamValues } from "./problems.js";

const VENV_PYTHON = "bench/.venv/bin/python";
const DRIVER = "bench/optuna/run_optuna.py";
const PROBLEMS_PY = "bench/optuna/problems.py";

export interface PythonVersions {
  python: string | null;
  optuna: string | null;
  torch: string | null;
  scipy: string | null;
}

/** Runs a command to completion, feeding `input` on stdin; stderr lines are forwarded live. */
function runProcess(command: string, args: readonly string[], input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => process.stderr.write(chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`))));
    child.stdin.end(input);
  });
}

/** Versions of the bench virtual environment's Python packages; all null when it is absent. */
export async function probePython(): Promise<PythonVersions> {
  const none: PythonVersions = { python: null, optuna: null, torch: null, scipy: null };
  if (!existsSync(VENV_PYTHON)) return none;
  try {
    return JSON.parse(await runProcess(VENV_PYTHON, [DRIVER, "--probe"])) as PythonVersions;
  } catch {
    return none;
  }
}

/** The Optuna engines this environment can run: TPE needs Optuna, GPSampler also torch and scipy. */
export function availableOptunaEngines(v: PythonVersions): ("tpe" | "gp")[] {
  if (v.optuna === null) return [];
  return v.torch !== null && v.scipy !== null ? ["tpe", "gp"] : ["tpe"];
}

/** Evaluates the Python objectives at the given points (system python3, standard library only); NaN for null. */
export async function evaluateInPython(points: readonly { problem: string; params: ParamValues }[]): Promise<number[]> {
  const python = existsSync(VENV_PYTHON) ? VENV_PYTHON : "python3";
  const out = JSON.parse(await runProcess(python, [PROBLEMS_PY, "--check"], JSON.stringify({ points }))) as { values: (number | null)[] };
  return out.values.map((v) => v ?? Number.NaN);
}

/** Writes the job file and runs the Optuna driver on it; resolves when OUT is complete. */
export async function runOptunaJob(job: object, jobPath: string, outPath: string): Promise<void> {
  await writeFile(jobPath, JSON.stringify(job));
  await runProcess(VENV_PYTHON, [DRIVER, "--job", jobPath, "--out", outPath]);
}
