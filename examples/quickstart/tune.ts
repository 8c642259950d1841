/**
 * The main job until the orchestrator and the LLM example land: tune the 6-D
 * Hartmann function (a standard BO test problem, global minimum -3.32237) with
 * bayestune's GP sampler and, for comparison, with random search at the same
 * budget and seed. Prints each engine's best value and its regret.
 */
import { createStudy, float, type Study } from "@bayestune/core";

const ALPHA = [1.0, 1.2, 3.0, 3.2];
const A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const HARTMANN6_MIN = -3.32237;

function hartmann6(x: number[]): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += (A[i]?.[j] ?? 0) * ((x[j] ?? 0) - (P[i]?.[j] ?? 0) * 1e-4) ** 2;
    sum += (ALPHA[i] ?? 0) * Math.exp(-inner);
  }
  return -sum;
}

const space = Object.fromEntries(Array.from({ length: 6 }, (_, j) => [`x${j + 1}`, float(0, 1)]));
// 80 trials: the budget docs/benchmarks.md uses for Hartmann6.
const budget = Number(process.env.BAYESTUNE_BUDGET ?? 80);

async function run(study: Study, label: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < budget; i++) {
    const trial = await study.ask();
    const value = hartmann6(Object.values(trial.params) as number[]);
    await study.tell(trial.number, value);
    if ((i + 1) % 10 === 0) {
      console.log(`${label.padEnd(8)} trial ${String(i + 1).padStart(3)}/${budget}  best ${study.bestTrial?.value?.toFixed(5)}`);
    }
  }
  const best = study.bestTrial?.value ?? Number.NaN;
  console.log(`${label.padEnd(8)} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return best;
}

const gpBest = await run(createStudy({ space, direction: "minimize", seed: 0 }), "gp");
const randomBest = await run(createStudy({ space, direction: "minimize", seed: 0, sampler: "random" }), "random");
console.log(`Hartmann6, ${budget} trials, seed 0 (global minimum ${HARTMANN6_MIN})`);
console.log(`  bayestune GP : best ${gpBest.toFixed(5)}  regret ${(gpBest - HARTMANN6_MIN).toExponential(2)}`);
console.log(`  random search: best ${randomBest.toFixed(5)}  regret ${(randomBest - HARTMANN6_MIN).toExponential(2)}`);
