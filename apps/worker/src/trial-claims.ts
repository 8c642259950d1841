import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

/** What {@link TrialClaims.take} decided: run the job here, or leave it to the live (or not yet presumed dead) holder. */
export type ClaimDecision = { kind: "taken" } | { kind: "held"; holder: string; retryInMs: number };

/**
 * Takes the claim on a trial job for `ARGV[1]` unless a live process holds it.
 * KEYS[1]: the claim (hash: holder, suspect = Redis time in ms when the holder was first seen without its alive key)
 * ARGV[1]: this process's instance token; ARGV[2]: the stem of alive keys (+ instance token);
 * ARGV[3]: how long a holder without an alive key keeps its claim, in ms; ARGV[4]: when to ask again while the holder is alive, in ms
 * Returns {"taken"} or {"held", holder, ms to wait before asking again}.
 * The alive key is named from ARGV, not KEYS: this runs on one Redis, as BullMQ does.
 */
const TAKE_CLAIM = `
local holder = redis.call('HGET', KEYS[1], 'holder')
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local grace = tonumber(ARGV[3])
if holder == false or holder == ARGV[1] then
  redis.call('HSET', KEYS[1], 'holder', ARGV[1])
  redis.call('HDEL', KEYS[1], 'suspect')
  return {'taken'}
end
if redis.call('EXISTS', ARGV[2] .. holder) == 1 then
  redis.call('HDEL', KEYS[1], 'suspect')
  return {'held', holder, ARGV[4]}
end
local suspect = redis.call('HGET', KEYS[1], 'suspect')
if suspect == false then
  redis.call('HSET', KEYS[1], 'suspect', tostring(now))
  return {'held', holder, tostring(grace)}
end
local waited = now - tonumber(suspect)
if waited >= grace then
  redis.call('HSET', KEYS[1], 'holder', ARGV[1])
  redis.call('HDEL', KEYS[1], 'suspect')
  return {'taken'}
end
return {'held', holder, tostring(grace - waited)}
`;

/** KEYS[1]: the claim; ARGV[1]: this process's instance token. Deletes the claim only if this process holds it. */
const RELEASE_CLAIM = `
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Which worker process runs a trial job: a claim per job, held from the start of its
 * command to the post of its result, and a per-process alive key that the worker
 * rewrites with its registration.
 *
 * A job's BullMQ lock lapses in a Redis outage longer than the lock, and BullMQ hands
 * the job out again while its first run goes on: without the claim a second worker
 * would start the same trial beside the first. With it, the second worker waits while
 * the holder's alive key exists, and takes the job over only once the holder has gone
 * without its alive key for `graceMs` (a dead worker; a live one rewrites it within one
 * heartbeat of Redis coming back).
 *
 * Keys, beside the worker registrations: `{prefix}:bayestune:claim:{jobId}` (hash) and
 * `{prefix}:bayestune:alive:{instance}` (string with a TTL).
 */
export class TrialClaims {
  /** This process's token: a worker restarted under the same `--id` is another holder. */
  readonly instance = randomBytes(12).toString("hex");
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #graceMs: number;
  readonly #recheckMs: number;

  /**
   * @param graceMs - how long a claim outlives its holder's alive key
   * @param recheckMs - how long a worker leaves a job whose holder is alive before it asks again
   */
  constructor(redis: Redis, prefix: string, options: { graceMs: number; recheckMs: number }) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#graceMs = options.graceMs;
    this.#recheckMs = options.recheckMs;
  }

  /** Says this process is alive for `ttlMs`; the worker calls it with each registration refresh. */
  async beAlive(ttlMs: number): Promise<void> {
    await this.#redis.set(`${this.#aliveStem()}${this.instance}`, "1", "PX", ttlMs);
  }

  async take(jobId: string): Promise<ClaimDecision> {
    const reply = (await this.#redis.eval(TAKE_CLAIM, 1, this.#claimKey(jobId), this.instance, this.#aliveStem(), this.#graceMs, this.#recheckMs)) as string[];
    if (reply[0] === "taken") return { kind: "taken" };
    return { kind: "held", holder: reply[1] ?? "?", retryInMs: Number(reply[2]) };
  }

  async release(jobId: string): Promise<void> {
    await this.#redis.eval(RELEASE_CLAIM, 1, this.#claimKey(jobId), this.instance);
  }

  /** Deletes this process's alive key: its claims lapse after `graceMs` instead of a TTL and a grace. */
  async leave(): Promise<void> {
    await this.#redis.del(`${this.#aliveStem()}${this.instance}`);
  }

  #claimKey(jobId: string): string {
    return `${this.#prefix}:bayestune:claim:${jobId}`;
  }

  #aliveStem(): string {
    return `${this.#prefix}:bayestune:alive:`;
  }
}
