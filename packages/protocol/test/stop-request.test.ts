import { describe, expect, it } from "vitest";
import { screenStopRequest, signMessage, StopRequest, stopRequestKey } from "../src/index.js";

const SECRET = "stop-request-test-secret";
const request = { kind: "stop-request", study: "s1", trial: 7, rung: 1, reason: "pruned", requestedAt: 1_700_000_001_000 } as const;
const job = { study: "s1", trial: 7, rung: 1, queuedAt: 1_700_000_000_000 };
const stored = (value: object): string => JSON.stringify(value);

describe("stopRequestKey", () => {
  it("names one trial job under the prefix, and refuses what cannot name one", () => {
    expect(stopRequestKey("bull", "s1", 7, 1)).toBe("bull:bayestune:stop:s1-7-1");
    expect(stopRequestKey("test-x", "tiny-lm", 0, 0)).toBe("test-x:bayestune:stop:tiny-lm-0-0");
    expect(() => stopRequestKey("bull", "bad:name", 0, 0)).toThrow(/study names/);
    expect(() => stopRequestKey("bull", "s1", -1, 0)).toThrow(/trial must be an integer >= 0/);
  });
});

describe("StopRequest", () => {
  it("holds the job, a reason and when it was made, and nothing else", () => {
    expect(StopRequest.parse(request)).toEqual(request);
    expect(StopRequest.safeParse({ ...request, reason: "" }).success).toBe(false);
    expect(StopRequest.safeParse({ ...request, extra: 1 }).success).toBe(false);
    expect(StopRequest.safeParse({ ...request, kind: "trial-job" }).success).toBe(false);
  });
});

describe("screenStopRequest", () => {
  it("accepts a request signed with the secret for this job, made after it was queued", () => {
    const screened = screenStopRequest(stored(signMessage(SECRET, "stop-request", request)), SECRET, job);
    expect(screened).toEqual({ kind: "accepted", request: { ...request, signature: expect.any(String) } });
  });

  it("sees no request in a missing key", () => {
    expect(screenStopRequest(null, SECRET, job)).toEqual({ kind: "none" });
    expect(screenStopRequest(undefined, SECRET, job)).toEqual({ kind: "none" });
  });

  it("refuses an unsigned, forged, edited, re-purposed or junk request, and another job's, never throwing", () => {
    const signed = signMessage(SECRET, "stop-request", request);
    const refused = [
      "not json",
      "null",
      "[1]",
      stored(request),
      stored(signMessage("someone-else-s-secret", "stop-request", request)),
      stored({ ...signed, reason: "cancelled" }),
      stored(signMessage(SECRET, "worker-message", request)),
      stored(signMessage(SECRET, "stop-request", { ...request, requestedAt: "now" })),
    ];
    for (const value of refused) expect(screenStopRequest(value, SECRET, job).kind, value).toBe("refused");

    const otherTrial = screenStopRequest(stored(signMessage(SECRET, "stop-request", { ...request, trial: 8 })), SECRET, job);
    expect(otherTrial).toEqual({ kind: "refused", why: expect.stringMatching(/names trial 8 rung 1 of s1, not this job/) });
    expect(screenStopRequest(stored(signed), SECRET, { ...job, rung: 2 }).kind).toBe("refused");
  });

  it("calls a request made before the job was queued stale", () => {
    const screened = screenStopRequest(stored(signMessage(SECRET, "stop-request", request)), SECRET, { ...job, queuedAt: request.requestedAt + 1 });
    expect(screened.kind).toBe("stale");
  });
});
