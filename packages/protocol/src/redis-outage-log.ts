/*
 * A Redis outage as a process's log tells it: one line when Redis becomes
 * unreachable and one when it is back, whatever the number of connections.
 * ioredis emits an 'error' on every failed reconnection attempt of every
 * connection, and BullMQ forwards each one: logged as they come, a 30 s outage
 * made dozens of lines (stack traces where no listener was attached).
 */
import { redactRedisUrl } from "./redact-secrets.js";

/** The two log calls an outage log makes; a pino Logger is one. */
export interface OutageLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * What {@link RedisOutageLog.watch} follows: an ioredis connection, whose
 * 'ready' comes after each reconnection, or a BullMQ Queue, Worker or
 * QueueEvents, whose backend emits that 'ready' for each of its connections.
 */
export interface RedisEventSource {
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "ready", listener: () => void): unknown;
  getBackend?(): { on(event: "ready", listener: () => void): unknown };
}

/**
 * The errors that only say that Redis cannot be reached or refuses the
 * connection: a socket's (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, ...),
 * a command cut off by the lost connection, a refused AUTH.
 */
function isUnreachable(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === "string" && /^E[A-Z]+$/.test(code)) ||
    error.message === "Connection is closed." ||
    error.name === "MaxRetriesPerRequestError" ||
    /^(NOAUTH|WRONGPASS)\b/.test(error.message)
  );
}

/** The outage state of one process's connections to one Redis (see the file's comment). */
export class RedisOutageLog {
  readonly #url: string;
  readonly #logger: OutageLogger;
  #down = false;

  /** `url` is only named in the log lines, without its password. */
  constructor(url: string, logger: OutageLogger) {
    this.#url = redactRedisUrl(url);
    this.#logger = logger;
  }

  /**
   * Attaches the 'error' listener of `source` (without one, an 'error' crashes
   * the process or is printed with its stack): an error saying that Redis cannot
   * be reached opens an outage, logged once for all sources; the next connection
   * ready again ends it, logged once; any other error is logged as `what`, but for
   * those `reportedElsewhere` says the caller logs itself.
   */
  watch(source: RedisEventSource, what: string, reportedElsewhere: (error: Error) => boolean = () => false): void {
    source.on("error", (error: Error) => {
      if (reportedElsewhere(error)) return;
      if (!isUnreachable(error)) {
        this.#logger.error({ err: error }, what);
      } else if (!this.#down) {
        this.#down = true;
        this.#logger.warn({ cause: error.message }, `Redis at ${this.#url} unreachable: ${error.message} (retrying until it is back)`);
      }
    });
    (source.getBackend?.() ?? source).on("ready", () => {
      if (!this.#down) return;
      this.#down = false;
      this.#logger.info({}, `Redis at ${this.#url} is back`);
    });
  }
}
