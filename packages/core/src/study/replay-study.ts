import type { StudyConfig } from "@bayestune/protocol";
import type { Params } from "../space/params.js";
import { studyOptionsFromConfig, tellOutcomeOf } from "./sampler-spec.js";
import { createStudy, type Study } from "./study.js";

/** What a replay needs of a stored trial (the store's StoredTrial has it). */
export interface RecordedTrial {
  readonly number: number;
  readonly params: Readonly<Params>;
  readonly state: string;
  readonly value?: number | undefined;
  readonly metrics?: Readonly<Record<string, number | null>> | undefined;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
}

/**
 * A core study in the state the stored history implies: every stored trial is
 * enqueued and asked again (getting its own number back), the finished ones
 * (complete, failed, pruned) are told, the running ones stay pending; the sampler continues from `samplerState`
 * (what {@link Study.samplerState} gave after the last ask), so that the next
 * ask proposes what the study that made the history would have.
 */
export async function replayStudy(config: StudyConfig, stored: readonly RecordedTrial[], samplerState?: unknown): Promise<Study> {
  const study = createStudy(studyOptionsFromConfig(config));
  for (const trial of stored) {
    study.enqueue({ ...trial.params });
    const asked = await study.ask();
    if (asked.number !== trial.number) {
      throw new Error(`replaying the stored history gave trial ${asked.number} for stored trial ${trial.number}; the store is not dense`);
    }
  }
  for (const trial of stored) {
    if (trial.state === "complete" || trial.state === "failed" || trial.state === "pruned") await study.tell(trial.number, tellOutcomeOf(config, trial));
  }
  study.restoreSamplerState(samplerState);
  return study;
}
