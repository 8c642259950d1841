/*
 * How long the GP sampler takes to propose a batch, as the coordinator asks:
 * q = 1, 4, 8 at 500 told trials in the orchestrator's 6-d LLM-like space, with
 * 4 trials running, each batch told before the next so that hyperparameter
 * refits fall among the timed asks. The sampler bench (bench/run.ts) reports it
 * beside the single-ask sweep; run alone:
 *
 *   npx tsx bench/ask-latency.ts [--repeats 9] [--told 500] [--qs 1,4,8]
 *
 * Wall-clock on a shared machine is noisy: read the medians, and compare two
 * builds only when measured in the same session.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createStudy as coreCreateStudy } from "@bayestune/core";
import { median } from "./stats.js";

/** The study factory the timings run on; a comparison script can pass another build's. */
export type CreateStudy = typeof coreCreateStudy;

/** An LLM-like space (d = 6), so that asks cost what they would in a real study; the orchestrator bench uses it too. */
export const LLM_SPACE = {
  lr: { type: "float", low: 1e-5, high: 1e-1, log: true },
  batch_size: { type: "int", low: 8, high: 512, log: true },
  warmup: { type: "int", low: 0, high: 2000 },
  dropout: { type: "float", low: 0, high: 0.5 },
  beta2: { type: "float", low: 0.9, high: 0.9999 },
  weight_decay: { type: "float", low: 1e-6, high: 1e-1, log: true },
} as const;
const RUNNING = 4;

export interface LatencySummary {
  readonly medianMs: number;
  readonly maxMs: number;
  /** Every timed ask, in order. */
  readonly samplesMs: readonly number[];
  /**
   * Median CPU time of this process per ask (user + system): on a machine
   * shared with other jobs it moves far less than the wall clock.
   */
  readonly medianCpuMs: number;
}

export interface BatchAskLatency extends LatencySummary {
  readonly told: number;
  readonly running: number;
  readonly q: number;
}


function summarise(samplesMs: number[], cpuMs: number[]): LatencySummary {
  return { medianMs: median(samplesMs), maxMs: Math.max(...samplesMs), samplesMs, medianCpuMs: median(cpuMs) };
}

/** Runs `ask`, pushing its wall-clock and CPU milliseconds. */
async function timed<T>(ask: () => Promise<T>, wallMs: number[], cpuMs: number[]): Promise<T> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await ask();
  wallMs.push(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  cpuMs.push((cpu.user + cpu.system) / 1000);
  return result;
}

/** The orchestrator bench's loss: only the learning rate matters. */
const llmLoss = (lr: number): number => 1 + 0.1 * (Math.log10(lr) + 3.5) ** 2;

/**
 * Times `askBatch(q)` for each q on one GP study with `told` complete trials
 * (Sobol points) and RUNNING trials running; each timed batch is told before the next.
 */
export async function askBatchLatency(
  options: { told?: number; qs?: readonly number[]; repeats?: number; createStudy?: CreateStudy } = {},
): Promise<BatchAskLatency[]> {
  const { told = 500, qs = [1, 4, 8], repeats = 9, createStudy = coreCreateStudy } = options;
  const study = createStudy({ space: LLM_SPACE as never, sampler: "gp", seed: 1 });
  const sobol = createStudy({ space: LLM_SPACE as never, sampler: "sobol", seed: 2 });
  for (let i = 0; i < told; i++) {
    const { params } = await sobol.ask();
    study.enqueue(params);
    const trial = await study.ask();
    await study.tell(trial.number, llmLoss(trial.params.lr as number));
  }
  const running = await study.askBatch(RUNNING);
  const results: BatchAskLatency[] = [];
  for (const q of qs) {
    const ms: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const batch = await timed(() => study.askBatch(q), ms, cpu);
      for (const trial of batch) await study.tell(trial.number, llmLoss(trial.params.lr as number));
    }
    results.push({ told, running: running.length, q, ...summarise(ms, cpu) });
  }
  return results;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repeats: { type: "string", default: "9" },
      told: { type: "string", default: "500" },
      qs: { type: "string", default: "1,4,8" },
    },
  });
  const repeats = Number(values.repeats);
  const list = (s: string): number[] => s.split(",").map(Number);
  const batch = await askBatchLatency({ told: Number(values.told), qs: list(values.qs!), repeats });
  console.log(`askBatch(q), 6-d LLM space, ${batch[0]?.told} told, ${batch[0]?.running} running, ${repeats} repeats`);
  console.log("| q | median ms | max ms | median CPU ms |\n|---|---|---|---|");
  for (const r of batch) console.log(`| ${r.q} | ${r.medianMs.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.medianCpuMs.toFixed(1)} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
