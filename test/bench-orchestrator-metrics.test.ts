import { describe, expect, it } from "vitest";
import { fencedSections, replaceSection } from "../bench/doc-sections.js";
import { parseTrialEvents, slotUsage } from "../bench/orchestrator/slot-usage.js";

describe("orchestrator bench: slot usage from trial events", () => {
  it("parses nanosecond stamps without losing the milliseconds", () => {
    const spans = parseTrialEvents("1795821766783105361 1795821767947860238 /tmp/x/w3/study-1-0 5\n\n", (dir) => /\/(w\d+)\//.exec(dir)?.[1] ?? "?");
    expect(spans).toEqual([{ slot: "w3/5", startMs: 1795821766783.105, endMs: 1795821767947.86 }]);
  });

  it("counts gaps between trials on the same slot, not the ramp-up or the tail", () => {
    // Slot a: [0, 10] then [12, 20]; slot b starts late, [5, 20] alone.
    const usage = slotUsage([
      { slot: "a", startMs: 12, endMs: 20 },
      { slot: "a", startMs: 0, endMs: 10 },
      { slot: "b", startMs: 5, endMs: 20 },
    ]);
    expect(usage.gapsMs).toEqual([2]);
    // Working lives: a 20 ms, b 15 ms; idle 2 ms.
    expect(usage.idleFraction).toBeCloseTo(2 / 35, 12);
    expect(usage.trialsPerSecond).toBeCloseTo(3 / 0.02, 9);
    expect(usage.rampUpMs).toBe(5);
    expect(usage.slots).toBe(2);
  });

  it("refuses two trials overlapping on one slot", () => {
    expect(() =>
      slotUsage([
        { slot: "a", startMs: 0, endMs: 10 },
        { slot: "a", startMs: 9, endMs: 20 },
      ]),
    ).toThrow(/overlap on slot a/);
  });
});

describe("docs/benchmarks.md sections", () => {
  it("appends a missing section and replaces an existing one in place", () => {
    const first = replaceSection("# Benchmarks\n\ntext\n", "orchestrator", "## A\n1");
    expect(first).toBe("# Benchmarks\n\ntext\n\n<!-- section:orchestrator -->\n## A\n1\n<!-- /section:orchestrator -->\n");
    const second = replaceSection(`${first}\nafter\n`, "orchestrator", "## A\n2\n");
    expect(second).toBe("# Benchmarks\n\ntext\n\n<!-- section:orchestrator -->\n## A\n2\n<!-- /section:orchestrator -->\n\nafter\n");
    expect(fencedSections(second)).toEqual(["<!-- section:orchestrator -->\n## A\n2\n<!-- /section:orchestrator -->"]);
  });
});
