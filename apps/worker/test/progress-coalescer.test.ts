import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ProgressEvent } from "@bayestune/protocol";
import { InvalidOptionsError } from "../src/errors.js";
import { ProgressCoalescer, type ProgressCoalescerOptions } from "../src/progress-coalescer.js";

const event = (step: number): ProgressEvent => ({ kind: "progress", study: "s", trial: 3, rung: 0, step, metrics: { loss: 1 / (step + 1) } });

/** A post that settles when the test says so, like a Redis write. */
interface Post {
  step: number;
  last: boolean;
  settle: () => void;
  fail: (error: Error) => void;
}

let posts: Post[];
/** Posts settle at once unless the test holds them. */
let holdPosts: boolean;

function coalescer(options: Partial<ProgressCoalescerOptions> = {}): ProgressCoalescer {
  return new ProgressCoalescer({
    intervalMs: 1000,
    // The fake clock: vi.useFakeTimers moves Date.now with the timers.
    now: () => Date.now(),
    post: (e, last) =>
      new Promise<void>((resolve, reject) => {
        posts.push({ step: e.step, last, settle: resolve, fail: reject });
        if (!holdPosts) resolve();
      }),
    ...options,
  });
}

/** Settles every post so far and the ones to come. */
function releaseHeldPosts(): void {
  holdPosts = false;
  for (const post of posts) post.settle();
}

const steps = (): [number, boolean][] => posts.map((p) => [p.step, p.last]);

beforeEach(() => {
  vi.useFakeTimers();
  posts = [];
  holdPosts = false;
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ProgressCoalescer", () => {
  it("posts the first report at once, then at most one per interval, always the newest", async () => {
    const c = coalescer();
    for (let step = 0; step < 1000; step += 1) c.report(event(step));
    await vi.advanceTimersByTimeAsync(0);
    expect(steps()).toEqual([[0, false]]);

    await vi.advanceTimersByTimeAsync(999);
    expect(steps()).toEqual([[0, false]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(steps()).toEqual([
      [0, false],
      [999, false],
    ]);

    // A steady stream over 10 s of fake time: one post per second, the curve thinned, not cut off.
    for (let ms = 0; ms < 10_000; ms += 10) {
      c.report(event(1000 + ms));
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(posts).toHaveLength(12);
    expect(posts.at(-1)?.step).toBeGreaterThan(1000 + 9_000);
    c.report(event(20_000));
    await c.flush();
    expect(posts.at(-1)).toMatchObject({ step: 20_000, last: true });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("flushes the newest report as the last one, once, and ignores reports after the flush", async () => {
    const c = coalescer();
    c.report(event(0));
    c.report(event(1));
    c.report(event(2));
    await c.flush();
    expect(steps()).toEqual([
      [0, false],
      [2, true],
    ]);
    c.report(event(3));
    await vi.advanceTimersByTimeAsync(5_000);
    await c.flush();
    expect(steps()).toEqual([
      [0, false],
      [2, true],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("posts the newest report again on flush when it went out already, since the result may overtake that post", async () => {
    const c = coalescer();
    c.report(event(5));
    await vi.advanceTimersByTimeAsync(0);
    await c.flush();
    expect(steps()).toEqual([
      [5, false],
      [5, true],
    ]);
  });

  it("posts nothing on flush when nothing was reported", async () => {
    const c = coalescer();
    await c.flush();
    expect(posts).toEqual([]);
  });

  it("keeps one post in flight while Redis is slow, the newest report waiting behind it", async () => {
    holdPosts = true;
    const c = coalescer();
    c.report(event(0));
    for (let step = 1; step <= 50; step += 1) {
      await vi.advanceTimersByTimeAsync(1000);
      c.report(event(step));
    }
    // 50 s without an answer from Redis: still the first post alone.
    expect(steps()).toEqual([[0, false]]);

    posts[0]?.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(steps()).toEqual([
      [0, false],
      [50, false],
    ]);

    c.report(event(51));
    const flushed = c.flush();
    // The flush waits for the post in flight before posting the newest report.
    await vi.advanceTimersByTimeAsync(0);
    expect(posts).toHaveLength(2);
    posts[1]?.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(steps().at(-1)).toEqual([51, true]);
    posts[2]?.settle();
    await flushed;
  });

  it("goes on after a failed post, telling onError", async () => {
    holdPosts = true;
    const errors: number[] = [];
    const c = coalescer({ onError: (_error, e) => errors.push(e.step) });
    c.report(event(0));
    c.report(event(1));
    posts[0]?.fail(new Error("Connection is closed"));
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toEqual([0]);
    expect(steps()).toEqual([
      [0, false],
      [1, false],
    ]);
    releaseHeldPosts();
    await c.flush();
  });

  it("with an interval of 0, posts whenever the previous post is done", async () => {
    holdPosts = true;
    const c = coalescer({ intervalMs: 0 });
    for (let step = 0; step < 100; step += 1) c.report(event(step));
    posts[0]?.settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(steps()).toEqual([
      [0, false],
      [99, false],
    ]);
    releaseHeldPosts();
    await c.flush();
  });

  it("refuses a negative or non-finite interval", () => {
    expect(() => coalescer({ intervalMs: -1 })).toThrow(InvalidOptionsError);
    expect(() => coalescer({ intervalMs: Number.NaN })).toThrow("progressIntervalMs must be a finite number >= 0, got NaN");
  });
});
