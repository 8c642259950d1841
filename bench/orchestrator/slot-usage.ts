/**
 * How busy the worker slots were, from the start and end times the simulated
 * trials recorded themselves. A slot is one (worker, GPU) pair.
 */

/** One trial's run on one slot, in ms on a shared clock. */
export interface TrialSpan {
  readonly slot: string;
  readonly startMs: number;
  readonly endMs: number;
}

export interface SlotUsage {
  readonly trials: number;
  readonly slots: number;
  /** Between a trial's end on a slot and the next trial's start on the same slot, ms. */
  readonly gapsMs: readonly number[];
  /**
   * Σ gaps / Σ (last end − first start) over slots: the share of a slot's working
   * life it spent waiting for work. The ramp-up before a slot's first trial and the
   * tail after its last (the study had no more trials to give) are left out.
   */
  readonly idleFraction: number;
  /** Trials / (last end − first start). */
  readonly trialsPerSecond: number;
  /** From the first trial's start until every slot had started one, ms. */
  readonly rampUpMs: number;
}

/**
 * Parses the lines `simulated-trial.sh` appends: "<start ns> <end ns> <trial dir> <gpu>".
 * @param workerOf - the worker a trial directory belongs to.
 */
export function parseTrialEvents(text: string, workerOf: (trialDir: string) => string): TrialSpan[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [start, end, dir, gpu = ""] = line.trim().split(/\s+/);
      if (start === undefined || end === undefined || dir === undefined) throw new Error(`malformed trial event: ${line}`);
      // Nanoseconds since the epoch exceed 2^53: drop to ms through BigInt.
      return { slot: `${workerOf(dir)}/${gpu}`, startMs: nsToMs(start), endMs: nsToMs(end) };
    });
}

function nsToMs(ns: string): number {
  return Number(BigInt(ns) / 1000n) / 1000;
}

/** @throws Error when two trials overlap on one slot: the worker gave a GPU out twice. */
export function slotUsage(spans: readonly TrialSpan[]): SlotUsage {
  if (spans.length === 0) throw new Error("no trial ran");
  const bySlot = new Map<string, TrialSpan[]>();
  for (const span of spans) {
    const list = bySlot.get(span.slot) ?? [];
    list.push(span);
    bySlot.set(span.slot, list);
  }
  const gapsMs: number[] = [];
  let working = 0;
  const firstStarts: number[] = [];
  for (const [slot, list] of bySlot) {
    list.sort((a, b) => a.startMs - b.startMs);
    for (let i = 1; i < list.length; i++) {
      const gap = list[i]!.startMs - list[i - 1]!.endMs;
      if (gap < 0) throw new Error(`two trials overlap on slot ${slot} at ${list[i]!.startMs} ms`);
      gapsMs.push(gap);
    }
    working += list.at(-1)!.endMs - list[0]!.startMs;
    firstStarts.push(list[0]!.startMs);
  }
  firstStarts.sort((a, b) => a - b);
  const idle = gapsMs.reduce((sum, g) => sum + g, 0);
  const first = Math.min(...spans.map((s) => s.startMs));
  const last = Math.max(...spans.map((s) => s.endMs));
  return {
    trials: spans.length,
    slots: bySlot.size,
    gapsMs,
    idleFraction: working > 0 ? idle / working : 0,
    trialsPerSecond: last > first ? (spans.length * 1000) / (last - first) : Number.POSITIVE_INFINITY,
    rampUpMs: firstStarts.at(-1)! - first,
  };
}
