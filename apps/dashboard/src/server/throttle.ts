/**
 * A read shared by every caller within `minIntervalMs` of the last one: many
 * pages polling cost one store read per interval. A failed read is not kept.
 */
export function throttled<T>(read: () => Promise<T>, minIntervalMs: number, now: () => number = Date.now): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (last !== undefined && now() - last.at < minIntervalMs) return last.value;
    const value = read();
    const entry = { at: now(), value };
    last = entry;
    value.catch(() => {
      if (last === entry) last = undefined;
    });
    return value;
  };
}
