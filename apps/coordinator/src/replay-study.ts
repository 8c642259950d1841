import { createStudy, studyOptionsFromConfig, tellOutcomeOf, type Study } from "@bayestune/core";
import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

/**
 * A core study in the state the stored history implies: every stored trial is
 * enqueued and asked again (getting its own number back), the finished ones are
 * told, the running ones stay pending.
 */
export async function replayStudy(config: StudyConfig, stored: readonly StoredTrial[]): Promise<Study> {
  const study = createStudy(studyOptionsFromConfig(config));
  for (const trial of stored) {
    study.enqueue({ ...trial.params });
    const asked = await study.ask();
    if (asked.number !== trial.number) {
      throw new Error(`replaying the stored history gave trial ${asked.number} for stored trial ${trial.number}; the store is not dense`);
    }
  }
  for (const trial of stored) {
    if (trial.state === "complete" || trial.state === "failed") await study.tell(trial.number, tellOutcomeOf(config, trial));
  }
  return study;
}
