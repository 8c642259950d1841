import { describe, expect, it } from "vitest";
import { parseMetricLine } from "../src/parse-metric-line.js";

describe("parseMetricLine", () => {
  it("reads intermediate and final lines, separating reserved keys from metrics", () => {
    expect(parseMetricLine('{"step": 100, "loss": 2.31, "checkpoint": "/c/100"}')).toEqual({
      step: 100,
      final: false,
      checkpoint: "/c/100",
      metrics: { loss: 2.31 },
      nonFinite: {},
    });
    expect(parseMetricLine('  {"final": true, "loss": 1.5, "acc": null}  ')).toEqual({
      final: true,
      metrics: { loss: 1.5, acc: null },
      nonFinite: {},
    });
  });

  it("ignores the script's own output and invalid metric lines", () => {
    for (const line of ["epoch 1 done", "", "{oops", "[1]", "null", '"x"', '{"step": 1.5}', '{"step": -1}', '{"loss": "low"}', '{"loss": {"a": 1}}', '{"final": "yes"}', '{"checkpoint": ""}']) {
      expect(parseMetricLine(line), line).toBeUndefined();
    }
  });

  it("reads Python's bare NaN and Infinity tokens as non-finite metrics, but not inside strings", () => {
    expect(parseMetricLine('{"final": true, "loss": NaN, "gn": -Infinity, "up": Infinity, "checkpoint": "NaN-Infinity\\"NaN"}')).toEqual({
      final: true,
      checkpoint: 'NaN-Infinity"NaN',
      metrics: { loss: null, gn: null, up: null },
      nonFinite: { loss: "NaN", gn: "-Infinity", up: "Infinity" },
    });
    expect(parseMetricLine('{"loss": NaNx}')).toBeUndefined();
  });
});
