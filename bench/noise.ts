/**
 * Observation noise of the noisy problems. Drawn here, once per problem and
 * seed, and handed to the Optuna driver in its job file, so every engine sees
 * the same noise at the same evaluation index and the random stream exists in
 * one language only.
 */
import { Rng } from "@bayestune/core";
import type { Problem } from "./problems.js";

/** FNV-1a: a stable 32-bit seed from a problem name and a seed, independent of the problems' order. */
function streamSeed(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * What is added to the noise-free value at evaluations 0..budget−1 of `problem`
 * with `seed` (sd × a standard normal draw each); null for a noise-free problem.
 */
export function noiseOffsets(problem: Problem, seed: number, budget: number): number[] | null {
  if (problem.noise === undefined) return null;
  const rng = new Rng(streamSeed(`${problem.name}#${seed}`));
  const sd = problem.noise.sd;
  return Array.from({ length: budget }, () => sd * rng.normal());
}
