import type { Store, StoredTrial } from "./store.js";

/** How many trial numbers past the last known one are asked for at once. */
const PROBE_BATCH = 32;

/**
 * The study's trials now, as `getTrials` would return them, read from `known`
 * (an earlier answer for the same study) plus only what can have changed since:
 * by the Store contract a complete or failed trial never changes again, so only
 * the running and paused trials of `known` are read again, with the trials
 * created after it. For a long study that is a few reads instead of thousands.
 * `known` must be an earlier answer of `getTrials` or `refreshTrials` for the
 * same study (all its trials, in number order). Without it this is `getTrials`.
 */
export async function refreshTrials(
  store: Pick<Store, "getTrial" | "getTrials">,
  study: string,
  known?: readonly StoredTrial[],
): Promise<StoredTrial[]> {
  if (known === undefined) return store.getTrials(study);
  const trials = [...known];
  const open = known.flatMap((t, index) => (t.state === "running" || t.state === "paused" ? [{ index, number: t.number }] : []));
  // Issued together, so that a networked store pipelines them.
  const reread = await Promise.all(open.map(({ number }) => store.getTrial(study, number)));
  reread.forEach((trial, i) => {
    if (trial !== undefined) trials[open[i]!.index] = trial;
  });
  // Numbers are dense from 0, so the new trials are known.length, known.length + 1, ... up to the first missing one.
  for (let next = known.length; ; next += PROBE_BATCH) {
    const batch = await Promise.all(Array.from({ length: PROBE_BATCH }, (_, k) => store.getTrial(study, next + k)));
    const created = batch.findIndex((trial) => trial === undefined);
    trials.push(...(batch.slice(0, created === -1 ? PROBE_BATCH : created) as StoredTrial[]));
    if (created !== -1) return trials;
  }
}
