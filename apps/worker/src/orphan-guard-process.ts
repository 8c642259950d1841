/*
 * The orphan guard: a small process the worker forks with an IPC channel. The
 * worker tells it which process groups its trials lead, with each trial's process
 * tag; when the channel closes without a goodbye (the worker died, SIGKILL
 * included), it kills those groups and every process carrying one of the tags (on
 * Linux: see trial-processes.ts), so a lost worker never leaves training runs
 * holding GPUs. It outlives the worker by design: nothing else would clean up
 * after a SIGKILL.
 */
import { signalTaggedProcesses } from "./trial-processes.js";

/** Process group id → the trial's process tag. */
const groups = new Map<number, string>();

process.on("message", (message: unknown) => {
  const m = message as { add?: number; tag?: string; remove?: number; bye?: boolean };
  if (typeof m.add === "number" && typeof m.tag === "string") groups.set(m.add, m.tag);
  if (typeof m.remove === "number") groups.delete(m.remove);
  if (m.bye === true) groups.clear();
});

process.on("disconnect", () => {
  for (const group of groups.keys()) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // ESRCH: that trial already ended.
    }
  }
  void Promise.all([...groups.values()].map((tag) => signalTaggedProcesses(tag, "SIGKILL"))).finally(() => process.exit(0));
});

// A terminal's Ctrl-C reaches the worker's whole process group; the worker then stops its
// trials itself, and the guard must stay to hear the channel close.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => undefined);

// Listening now: the worker may start trials.
process.send?.({ ready: true });
