/*
 * The lease of a study: at most one live coordinator per study. Two at once
 * each create trials (21 for maxTrials 20) and each wait for the other's
 * results; the store cannot tell them apart, so the coordinators must.
 *
 * The key {prefix}:study:{name}:lease (see the key layout in ./redis-store.ts)
 * holds its holder's value, JSON {owner, host, pid, since, leaseMs}, with a TTL
 * of leaseMs that the holder renews every leaseMs / 3. The owner token
 * (host-pid-random) makes each value unique, so the scripts below compare whole
 * values. A holder killed with -9 stops renewing and its lease lapses within
 * leaseMs; a new coordinator that finds a lease watches it until it lapses
 * (then takes it) or is renewed (its holder is alive: refused).
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { checkStudyName } from "./records.js";
import type { ScriptDefinition } from "./redis-scripts.js";

export interface StudyLeaseOptions {
  /** The RedisStore key prefix of the study. @defaultValue "bayestune" */
  prefix?: string;
  study: string;
  /**
   * How long the lease lives without a renewal, in ms (renewed every third of
   * it): how long a restart waits after its holder was killed, and how long a
   * second coordinator watches before it is refused. At least 300.
   * @defaultValue 10000
   */
  leaseMs?: number;
}

/** The holder of a lease, as its value tells. */
export interface LeaseHolder {
  /** `${host}-${pid}-${random}`: one holder's, never another's. */
  owner: string;
  host: string;
  pid: number;
  /** When it took the lease, ISO 8601. */
  since: string;
  leaseMs: number;
}

/** "HELD": another coordinator holds the lease and renews it. "LOST": another took it while this one could not renew it. */
export type StudyLeaseErrorCode = "HELD" | "LOST";

/** The study is another coordinator's: this one must not start, or must stop at once. */
export class StudyLeaseError extends Error {
  readonly code: StudyLeaseErrorCode;
  readonly study: string;
  /** Absent when the lease's value is not one a StudyLease wrote. */
  readonly holder: LeaseHolder | undefined;
  constructor(code: StudyLeaseErrorCode, study: string, holder: LeaseHolder | undefined, message: string) {
    super(message);
    this.name = "StudyLeaseError";
    this.code = code;
    this.study = study;
    this.holder = holder;
  }
}

export const renewLeaseScript: ScriptDefinition = {
  name: "bayestuneRenewLease",
  numberOfKeys: 1,
  lua: `
--[[
  Renews a study's lease for its owner; takes it again if it lapsed and nobody
  else took it (a Redis outage longer than the lease).
  KEYS[1] {prefix}:study:{name}:lease
  ARGV[1] the owner's value
  ARGV[2] lease, ms
  Returns {code, value}: 1 renewed, 2 taken again, 0 held by another (value is
  the holder's).
]]
local current = redis.call("GET", KEYS[1])
if current == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return {1, current}
end
if not current then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return {2, ARGV[1]}
end
return {0, current}
`,
};

export const releaseLeaseScript: ScriptDefinition = {
  name: "bayestuneReleaseLease",
  numberOfKeys: 1,
  lua: `
--[[
  Deletes a study's lease if its owner still holds it.
  KEYS[1] {prefix}:study:{name}:lease
  ARGV[1] the owner's value
  Returns 1 when deleted, 0 when the lease had lapsed or is another's.
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
`,
};

const DEFAULT_LEASE_MS = 10_000;
const MIN_LEASE_MS = 300;
/**
 * How often a lease held by another is read while it is watched: well under
 * the shortest renewal interval (MIN_LEASE_MS / 3), so that a renewal shows as
 * a TTL that went up between two reads.
 */
const WATCH_INTERVAL_MS = 50;

/**
 * A study's lease, for one coordinator: {@link acquire} it before touching the
 * study, stop at once when {@link lost} settles, {@link release} it on close.
 * The options are checked when it is made, before any connection is opened.
 */
export class StudyLease {
  readonly #study: string;
  readonly #key: string;
  readonly #leaseMs: number;
  /** Settles when another coordinator turns out to hold the lease: the study is no longer this one's. */
  readonly lost: Promise<StudyLeaseError>;
  #lose!: (error: StudyLeaseError) => void;
  /** The connection and this owner's value, once acquired. */
  #redis: Redis | undefined;
  #value: string | undefined;
  #held = false;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;

  constructor(options: StudyLeaseOptions) {
    checkStudyName(options.study);
    const prefix = options.prefix ?? "bayestune";
    if (typeof prefix !== "string" || prefix.length === 0) {
      throw new RangeError(`prefix must be a non-empty string, got ${JSON.stringify(prefix)}`);
    }
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!(Number.isInteger(leaseMs) && leaseMs >= MIN_LEASE_MS)) {
      throw new RangeError(`leaseMs must be an integer >= ${MIN_LEASE_MS}, got ${leaseMs}`);
    }
    this.#study = options.study;
    this.#key = `${prefix}:study:${options.study}:lease`;
    this.#leaseMs = leaseMs;
    this.lost = new Promise((resolve) => {
      this.#lose = resolve;
    });
  }

  /**
   * Takes the lease and renews it until {@link release}. A lease held by another
   * is watched until it lapses, then taken: at most one lease period.
   * @param redis - the connection the lease is kept on; it stays the caller's. One that fails
   *   a command while Redis is away (`maxRetriesPerRequest: 0`) rather than queueing it keeps
   *   renewals from piling up during an outage.
   * @returns the previous holder when its lapsed lease was taken over, for the log.
   * @throws StudyLeaseError "HELD" as soon as the holder renews it (it is alive).
   */
  async acquire(redis: Redis): Promise<LeaseHolder | undefined> {
    if (this.#redis !== undefined) throw new Error(`the lease of study "${this.#study}" must be acquired once, got a second acquire()`);
    const host = hostname();
    const holder: LeaseHolder = {
      owner: `${host}-${process.pid}-${randomBytes(6).toString("hex")}`,
      host,
      pid: process.pid,
      since: new Date().toISOString(),
      leaseMs: this.#leaseMs,
    };
    const value = JSON.stringify(holder);
    this.#redis = redis;
    let watched: { value: string; ttl: number } | undefined;
    while ((await redis.set(this.#key, value, "PX", this.#leaseMs, "NX")) !== "OK") {
      const [current, ttl] = await this.#read(redis);
      // Lapsed between the two commands: try again.
      if (current === null) continue;
      if (ttl < 0 || (watched !== undefined && (current !== watched.value || ttl > watched.ttl))) throw this.#heldError(current, ttl);
      watched = { value: current, ttl };
      await new Promise((resolve) => setTimeout(resolve, Math.min(ttl, WATCH_INTERVAL_MS)));
    }
    this.#value = value;
    this.#held = true;
    // The lease alone must not keep a process alive.
    this.#timer = setInterval(() => this.#renew(), this.#leaseMs / 3).unref();
    return watched === undefined ? undefined : parseHolder(watched.value);
  }

  /** Stops renewing and deletes the lease if it is still this owner's; a no-op when it never was. */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    if (!this.#held || this.#redis === undefined) return;
    this.#held = false;
    // With Redis away the lease stays until it lapses, which only delays the next coordinator by a lease period.
    await this.#redis.eval(releaseLeaseScript.lua, releaseLeaseScript.numberOfKeys, this.#key, this.#value ?? "").catch(() => undefined);
  }

  #renew(): void {
    const redis = this.#redis;
    if (this.#renewing !== undefined || !this.#held || redis === undefined) return;
    this.#renewing = (async () => {
      try {
        const [code, current] = (await redis.eval(
          renewLeaseScript.lua,
          renewLeaseScript.numberOfKeys,
          this.#key,
          this.#value ?? "",
          String(this.#leaseMs),
        )) as [number, string];
        if (code === 0 && this.#held) {
          this.#held = false;
          clearInterval(this.#timer);
          this.#lose(this.#lostError(current));
        }
      } catch {
        // Redis is away: the next tick tries again, and takes the lease again if it lapsed meanwhile and nobody else took it.
      } finally {
        this.#renewing = undefined;
      }
    })();
  }

  /** The lease's value (null when there is none) and its TTL in ms (-1: none), read together. */
  async #read(redis: Redis): Promise<[string | null, number]> {
    const replies = await redis.multi().get(this.#key).pttl(this.#key).exec();
    const [get, pttl] = replies ?? [];
    if (get?.[0]) throw get[0];
    if (pttl?.[0]) throw pttl[0];
    return [(get?.[1] as string | null | undefined) ?? null, Number(pttl?.[1])];
  }

  #heldError(value: string, ttl: number): StudyLeaseError {
    const holder = parseHolder(value);
    const takeover =
      ttl < 0
        ? `its lease ${this.#key} has no expiry, so it never lapses: delete that key if no coordinator runs the study`
        : `a new coordinator takes the study over only once that one stops and its lease lapses (${holder?.leaseMs ?? "its"} ms later)`;
    return new StudyLeaseError(
      "HELD",
      this.#study,
      holder,
      `one coordinator per study must run, got another one running study "${this.#study}" (${describeHolder(holder, value)}); ${takeover}`,
    );
  }

  #lostError(value: string): StudyLeaseError {
    const holder = parseHolder(value);
    return new StudyLeaseError(
      "LOST",
      this.#study,
      holder,
      `one coordinator per study must run, got study "${this.#study}" taken over by another (${describeHolder(holder, value)}) ` +
        "while this one could not renew its lease; this one stopped",
    );
  }
}

function parseHolder(value: string): LeaseHolder | undefined {
  try {
    const holder = JSON.parse(value) as Partial<LeaseHolder> | null;
    const complete =
      typeof holder?.owner === "string" &&
      typeof holder.host === "string" &&
      typeof holder.pid === "number" &&
      typeof holder.since === "string" &&
      typeof holder.leaseMs === "number";
    return complete ? (holder as LeaseHolder) : undefined;
  } catch {
    return undefined;
  }
}

function describeHolder(holder: LeaseHolder | undefined, value: string): string {
  return holder === undefined ? `lease value ${JSON.stringify(value.slice(0, 200))}` : `host ${holder.host}, pid ${holder.pid}, since ${holder.since}`;
}
