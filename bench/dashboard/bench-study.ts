/* The study that the dashboard benches serve, and their shared helpers. */
import type { Rng } from "@bayestune/core";
import { StudyConfig } from "@bayestune/protocol";
import type { RedisStore } from "@bayestune/store";
import { describeMachine } from "../machine.js";
import { createTrial } from "@bayestune/store";

export const STUDY = "dashboard-bench";

/** Six LM-training parameters and a memory constraint. */
export function studyConfig(maxTrials: number): StudyConfig {
  return StudyConfig.parse({
    name: STUDY,
    space: {
      lr: { type: "float", low: 1e-5, high: 1e-1, log: true },
      batch_size: { type: "int", low: 8, high: 256, log: true },
      warmup: { type: "int", low: 0, high: 2000 },
      dropout: { type: "float", low: 0, high: 0.3 },
      beta2: { type: "float", low: 0.9, high: 0.999 },
      weight_decay: { type: "float", low: 1e-6, high: 1e-1, log: true },
    },
    metric: "val_loss",
    constraints: [{ metric: "memory_mb", max: 40_000 }],
    maxTrials,
    command: { argv: ["python", "train.py"] },
  });
}

/** A plausible LM-tuning response: a bowl in log lr, mild effects of the rest, memory growing with the batch. */
function outcome(params: Record<string, number>, rng: Rng): { loss: number; memory: number } {
  const loss = 2 + 0.4 * (Math.log10(params["lr"]!) + 3) ** 2 + 0.5 * params["dropout"]! + 2 * (0.999 - params["beta2"]!) + 0.1 * (rng.uniform() - 0.5);
  return { loss, memory: 100 * params["batch_size"]! + 5000 };
}

/** One more finished trial, with ten learning-curve points. */
export async function addTrial(store: RedisStore, rng: Rng): Promise<void> {
  const params = {
    lr: 10 ** (-5 + 4 * rng.uniform()),
    batch_size: Math.round(8 * 32 ** rng.uniform()),
    warmup: Math.floor(2001 * rng.uniform()),
    dropout: 0.3 * rng.uniform(),
    beta2: 0.9 + 0.099 * rng.uniform(),
    weight_decay: 10 ** (-6 + 5 * rng.uniform()),
  };
  const trial = await createTrial(store, STUDY, params, "sampler");
  const { loss, memory } = outcome(params, rng);
  // Ten evaluations on the way down to the final loss: the learning curves' points.
  for (let k = 1; k <= 10; k++) {
    await store.recordProgress({ kind: "progress", study: STUDY, trial: trial.number, rung: 0, step: k * 100, metrics: { val_loss: loss + 2 / k } });
  }
  await store.finishTrial({ study: STUDY, trial: trial.number, rung: 0, state: "complete", value: loss, metrics: { val_loss: loss, memory_mb: memory } });
}

/** "2 CPUs, <model>, Node <version>": the machine, for a bench's header. */
export function machineLine(): string {
  const m = describeMachine({ python: null, optuna: null, torch: null, scipy: null });
  return `${m.nproc} CPUs, ${m.cpuModel}, Node ${m.node}`;
}
