/*
 * The orphan guard: a small process the worker forks with an IPC channel. The
 * worker tells it which process groups its trials lead; when the channel closes
 * without a goodbye (the worker died, SIGKILL included), it kills those groups, so
 * a lost worker never leaves training runs holding GPUs. It outlives the worker by
 * design: nothing else would clean up after a SIGKILL.
 */
const groups = new Set<number>();

process.on("message", (message: unknown) => {
  const m = message as { add?: number; remove?: number; bye?: boolean };
  if (typeof m.add === "number") groups.add(m.add);
  if (typeof m.remove === "number") groups.delete(m.remove);
  if (m.bye === true) groups.clear();
});

process.on("disconnect", () => {
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // ESRCH: that trial already ended.
    }
  }
  process.exit(0);
});

// A terminal's Ctrl-C reaches the worker's whole process group; the worker then stops its
// trials itself, and the guard must stay to hear the channel close.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => undefined);
