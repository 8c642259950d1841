import type { ChoiceValue } from "@bayestune/protocol";
import type { Store, StoredTrial, TrialSource } from "./store.js";

/** One running trial at rung 0 with the study's next number: `createTrials` of one, without a sampler state. */
export async function createTrial(
  store: Store,
  study: string,
  params: Readonly<Record<string, ChoiceValue>>,
  source: TrialSource,
  fidelity?: number,
): Promise<StoredTrial> {
  const [trial] = await store.createTrials(study, [{ params, source, ...(fidelity !== undefined ? { fidelity } : {}) }]);
  return trial!;
}
