import { describe, expect, it } from "vitest";
import { parseWorkerRegistration, workerIdFromKey, workerKeyPattern, workerRegistrationKey } from "../src/index.js";

const registration = { slots: 2, busy: 1, host: "gpu-node-3", gpus: ["0", "1,2"], startedAt: 1_700_000_000_000 };

describe("parseWorkerRegistration", () => {
  it("reads the JSON a worker writes, dropping keys a later version may add", () => {
    expect(parseWorkerRegistration(JSON.stringify(registration))).toEqual(registration);
    expect(parseWorkerRegistration(JSON.stringify({ ...registration, gpus: [], busy: 0 }))).toEqual({ ...registration, gpus: [], busy: 0 });
    expect(parseWorkerRegistration(JSON.stringify({ ...registration, memory: "80GB" }))).toEqual(registration);
  });

  it("reads a previous-version worker's plain slot count, with everything else unknown", () => {
    expect(parseWorkerRegistration("3")).toEqual({ slots: 3, busy: null, host: null, gpus: null, startedAt: null });
  });

  it("returns undefined for anything else, never throwing", () => {
    const junk = [
      null,
      undefined,
      "",
      "garbage",
      "{",
      "0",
      "-2",
      "1.5",
      "1e400",
      '"3"',
      "null",
      "[2]",
      "{}",
      JSON.stringify({ ...registration, slots: 0 }),
      JSON.stringify({ ...registration, busy: -1 }),
      JSON.stringify({ ...registration, busy: 0.5 }),
      JSON.stringify({ ...registration, gpus: [0] }),
      JSON.stringify({ ...registration, host: undefined }),
      JSON.stringify({ ...registration, startedAt: "yesterday" }),
    ];
    for (const value of junk) expect(parseWorkerRegistration(value), String(value)).toBeUndefined();
  });
});

describe("worker registration keys", () => {
  it("name a worker under its prefix and give its ID back", () => {
    const key = workerRegistrationKey("bull", "host-42");
    expect(key).toBe("bull:bayestune:worker:host-42");
    expect(workerIdFromKey("bull", key)).toBe("host-42");
    expect(workerIdFromKey("other", key)).toBeUndefined();
    expect(workerIdFromKey("bull", "bull:bayestune:worker:")).toBeUndefined();
  });

  it("match with a SCAN pattern that escapes the prefix's glob characters", () => {
    expect(workerKeyPattern("bull")).toBe("bull:bayestune:worker:*");
    expect(workerKeyPattern("a*b?[c]\\")).toBe("a\\*b\\?\\[c\\]\\\\:bayestune:worker:*");
  });
});
