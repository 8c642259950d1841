import type { StoredTrial, TrialState } from "./store.js";

/** How many trials are in each state, every state present (0 when none). */
export function countTrialStates(trials: readonly Pick<StoredTrial, "state">[]): Record<TrialState, number> {
  const counts: Record<TrialState, number> = { running: 0, paused: 0, complete: 0, failed: 0, pruned: 0 };
  for (const trial of trials) counts[trial.state]++;
  return counts;
}
