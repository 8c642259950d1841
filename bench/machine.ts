import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, release, type } from "node:os";
import type { PythonVersions } from "./optuna-bridge.js";

export interface MachineInfo {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly os: string;
  readonly node: string;
  readonly python: PythonVersions;
}

function nproc(): number {
  try {
    return Number(execFileSync("nproc", { encoding: "utf8" }).trim());
  } catch {
    return availableParallelism();
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    return line?.split(":")[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function describeMachine(python: PythonVersions): MachineInfo {
  return { nproc: nproc(), cpuModel: cpuModel(), os: `${type()} ${release()}`, node: process.version, python };
}
