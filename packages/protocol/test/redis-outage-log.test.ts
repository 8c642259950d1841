import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { RedisOutageLog, type OutageLogger } from "../src/redis-outage-log.js";

/** A logger that keeps its lines, by level. */
function recordingLogger(): OutageLogger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  return {
    lines,
    warn: (_fields, message) => lines.push(["warn", message]),
    info: (_fields, message) => lines.push(["info", message]),
    error: (_fields, message) => lines.push(["error", message]),
  };
}

const refused = (): Error => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6390"), { code: "ECONNREFUSED" });

describe("RedisOutageLog", () => {
  it("logs an outage once for all its connections and their retries, and once when one is ready again", () => {
    const logger = recordingLogger();
    const outages = new RedisOutageLog("redis://:hunter2@127.0.0.1:6390", logger);
    const connections = [new EventEmitter(), new EventEmitter()];
    for (const connection of connections) outages.watch(connection, "connection error");

    for (let retry = 0; retry < 5; retry++) for (const connection of connections) connection.emit("error", refused());
    for (const connection of connections) connection.emit("ready");
    connections[0]?.emit("error", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));

    expect(logger.lines).toEqual([
      ["warn", "Redis at redis://:[redacted]@127.0.0.1:6390 unreachable: connect ECONNREFUSED 127.0.0.1:6390 (retrying until it is back)"],
      ["info", "Redis at redis://:[redacted]@127.0.0.1:6390 is back"],
      ["warn", "Redis at redis://:[redacted]@127.0.0.1:6390 unreachable: read ECONNRESET (retrying until it is back)"],
    ]);
  });

  it("logs every other error as what the source is, and takes readiness from a BullMQ backend", () => {
    const logger = recordingLogger();
    const outages = new RedisOutageLog("redis://127.0.0.1:6390", logger);
    const backend = new EventEmitter();
    const worker = Object.assign(new EventEmitter(), { getBackend: () => backend });
    outages.watch(worker, "worker error");

    worker.emit("error", new Error("Missing lock for job 7"));
    worker.emit("error", new Error("Connection is closed."));
    worker.emit("ready");
    backend.emit("ready");

    expect(logger.lines.map(([level, message]) => `${level}: ${message}`)).toEqual([
      "error: worker error",
      "warn: Redis at redis://127.0.0.1:6390 unreachable: Connection is closed. (retrying until it is back)",
      "info: Redis at redis://127.0.0.1:6390 is back",
    ]);
  });
});
