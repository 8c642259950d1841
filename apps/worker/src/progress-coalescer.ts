import { performance } from "node:perf_hooks";
import type { ProgressEvent } from "@bayestune/protocol";
import { InvalidOptionsError } from "./errors.js";

export interface ProgressCoalescerOptions {
  /** Least time between the starts of two posts, in ms; 0 leaves only the one-in-flight rule. @defaultValue 1000 */
  intervalMs?: number;
  /**
   * Sends one report; `last` is true for the flush before the trial's result. Its
   * failure is handed to `onError` and never stops the coalescer.
   */
  post: (event: ProgressEvent, last: boolean) => Promise<void>;
  /** Told of a post that failed. @defaultValue the failure is ignored */
  onError?: (error: unknown, event: ProgressEvent) => void;
  /** The clock, in ms; injected by tests. @defaultValue performance.now */
  now?: () => number;
}

const DEFAULT_INTERVAL_MS = 1_000;

/**
 * Turns a running trial's progress reports into a bounded stream of posts: a script
 * may print a line per step (millions), and each post is a Redis write and a job for
 * the coordinator.
 *
 * Contract:
 * - `report` is cheap and synchronous: it keeps the newest report and, at most, starts
 *   a post or a timer. It never waits for Redis, so a slow Redis never slows the trial.
 * - At most one post per `intervalMs`, and never two in flight: while Redis is slow,
 *   reports replace one another instead of piling up.
 * - The newest report is never lost: it is posted when the interval allows, and by
 *   `flush`. Reports in between are dropped, so the learning curve is thinned (about
 *   one point per interval over the whole run) rather than cut off.
 * - `flush` (call it before posting the result) waits for the post in flight, then posts
 *   the newest report with `last` set, even when it went out already: the earlier post
 *   may still wait in a queue that the result overtakes, and a report is idempotent by
 *   its step. Reports after it are ignored; no timer outlives it.
 */
export class ProgressCoalescer {
  readonly #intervalMs: number;
  readonly #post: ProgressCoalescerOptions["post"];
  readonly #onError: NonNullable<ProgressCoalescerOptions["onError"]>;
  readonly #now: () => number;
  /** The newest report not posted yet. */
  #pending: ProgressEvent | undefined;
  #newest: ProgressEvent | undefined;
  #lastPostAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #flushed: Promise<void> | undefined;

  /** @throws InvalidOptionsError when `intervalMs` is not a finite number >= 0. */
  constructor(options: ProgressCoalescerOptions) {
    this.#intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    if (!Number.isFinite(this.#intervalMs) || this.#intervalMs < 0) {
      throw new InvalidOptionsError(`progressIntervalMs must be a finite number >= 0, got ${this.#intervalMs}`);
    }
    this.#post = options.post;
    this.#onError = options.onError ?? (() => undefined);
    this.#now = options.now ?? (() => performance.now());
  }

  report(event: ProgressEvent): void {
    if (this.#flushed !== undefined) return;
    this.#pending = event;
    this.#newest = event;
    this.#pump();
  }

  flush(): Promise<void> {
    this.#flushed ??= (async () => {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      await this.#inFlight;
      if (this.#newest !== undefined) await this.#send(this.#newest, true);
    })();
    return this.#flushed;
  }

  #pump(): void {
    if (this.#flushed !== undefined || this.#pending === undefined || this.#inFlight !== undefined || this.#timer !== undefined) return;
    const wait = this.#lastPostAt + this.#intervalMs - this.#now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#pump();
      }, wait);
      return;
    }
    void this.#send(this.#pending, false);
  }

  #send(event: ProgressEvent, last: boolean): Promise<void> {
    this.#pending = undefined;
    this.#lastPostAt = this.#now();
    const posting = (async () => {
      try {
        await this.#post(event, last);
      } catch (error) {
        this.#onError(error, event);
      }
    })();
    this.#inFlight = posting;
    void posting.then(() => {
      this.#inFlight = undefined;
      this.#pump();
    });
    return posting;
  }
}
