import type { RedisOptions } from "ioredis";

/**
 * ioredis options of the coordinator's store connection.
 *
 * The store's scripts are not idempotent (createTrial INCRs), so a command that
 * Redis ran but whose reply a lost connection swallowed must fail, not be sent
 * again: the coordinator then replays the store (no resend). Without a resend,
 * ioredis drops such a command and leaves its promise pending for ever; only
 * maxRetriesPerRequest: 0 makes it reject everything in flight or queued at each
 * close. (With the defaults a Redis crash mid-command hung the coordinator.)
 */
export const STORE_CONNECTION_OPTIONS = {
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
} as const satisfies RedisOptions;
