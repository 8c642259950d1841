/**
 * The main job until the orchestrator and the LLM example land: tune the 6-D
 * Hartmann function (a standard BO test problem, global minimum -3.32237) with
 * bayestune's GP sampler and, for comparison, with random search at the same
 * budget and seed. Prints each engine's best value and its regret.
 */
import { createStudy, float, type Study } from "@bayestune/core";
import { PROBLEMS } from "../../bench/problems.js";

// The objective and its optimum are the benchmark's, so the two never drift apart.
const hartmann6 = PROBLEMS.find((problem) => problem.name === "hartmann6") ?? missing("hartmann6");
const HARTMANN6_MIN = hartmann6.fStar;

const space = Object.fromEntries(Array.from({ length: 6 }, (_, j) => [`x${j}`, float(0, 1)]));
// 80 trials: the budget docs/benchmarks.md uses for Hartmann6.
const budget = Number(process.env.BAYESTUNE_BUDGET ?? 80);

async function run(study: Study, label: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < budget; i++) {
    const trial = await study.ask();
    const value = hartmann6.evaluate(trial.params as Record<string, number>);
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
console.log(`Hartmann6, ${budget} trials, seed 0 (global minimum ${HARTMANN6_MIN.toFixed(5)})`);
console.log(`  bayestune GP : best ${gpBest.toFixed(5)}  regret ${(gpBest - HARTMANN6_MIN).toExponential(2)}`);
console.log(`  random search: best ${randomBest.toFixed(5)}  regret ${(randomBest - HARTMANN6_MIN).toExponential(2)}`);

function missing(name: string): never {
  throw new Error(`bench/problems.ts has no problem named ${name}`);
}
