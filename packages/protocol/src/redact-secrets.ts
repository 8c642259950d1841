/*
 * Secrets that bayestune is given but must never show: the password of a Redis
 * URL (in logs and error messages) and the values of a command's environment
 * (API keys, tokens), wherever a config or a job leaves the process to be read
 * by someone else (the HTTP API, Bull Board, a report).
 */
import type { CommandSpec } from "./study-config.js";

/** What stands in for a secret that is not shown. */
export const REDACTED = "[redacted]";

/**
 * The URL's scheme and authority up to its last "@" (a password may hold an "@"
 * that its writer did not percent-encode; the host never does).
 */
const USERINFO = /^((?:[a-z][a-z0-9+.-]*:)?\/\/)?([^/?#]*)@/i;
/** ioredis also takes the password as a query parameter (`?password=...`). */
const PASSWORD_PARAM = /([?&]password=)[^&#]*/gi;

/**
 * A Redis URL fit for a log line or an error message: its password (in the
 * user info or a `password` query parameter) replaced by {@link REDACTED}, the
 * user name, host, port, db and scheme kept so that the reader can tell which
 * Redis was meant. A string that is no URL passes through the same rules.
 */
export function redactRedisUrl(url: string): string {
  const withoutPassword = url.replace(USERINFO, (whole: string, scheme: string | undefined, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return colon === -1 ? whole : `${scheme ?? ""}${userinfo.slice(0, colon)}:${REDACTED}@`;
  });
  return withoutPassword.replace(PASSWORD_PARAM, `$1${REDACTED}`);
}

/**
 * A copy of `value` (a study config, a trial job) whose `command.env` keeps its
 * keys, so that a reader sees which variables a trial gets, with every value
 * replaced by {@link REDACTED}. Anything without a `command.env` object is
 * returned as it is: this also runs on job data that no schema has checked.
 */
export function redactCommandEnv<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  const command = (value as { command?: unknown }).command;
  if (typeof command !== "object" || command === null) return value;
  const env = (command as Partial<CommandSpec>).env;
  if (typeof env !== "object" || env === null) return value;
  const redacted = Object.fromEntries(Object.keys(env).map((key) => [key, REDACTED]));
  return { ...value, command: { ...command, env: redacted } };
}
