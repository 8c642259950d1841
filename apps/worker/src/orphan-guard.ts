import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** What runTrial reports of the process groups it starts and reaps. */
export interface ProcessGroupTracker {
  /** `tag`: the job's process tag (trial-processes.ts), carried also by the processes that left the group. */
  add(pgid: number, tag: string): void;
  remove(pgid: number): void;
}

export interface OrphanGuard extends ProcessGroupTracker {
  /**
   * Resolves once the guard listens (or failed to start): a process that dies before
   * then leaves its trials unguarded, so start none before it.
   */
  ready: Promise<void>;
  /** Ends the guard without killing anything: the worker stopped its trials itself. */
  close(): void;
}

const GUARD_SCRIPT = fileURLToPath(new URL("./orphan-guard-process.js", import.meta.url));

/**
 * Forks the orphan guard (see orphan-guard-process.ts). Without a built
 * `orphan-guard-process.js` beside this module (running from TypeScript sources),
 * there is no guard and the tracker does nothing.
 */
export function startOrphanGuard(): OrphanGuard {
  if (!existsSync(GUARD_SCRIPT)) return { ready: Promise.resolve(), add() {}, remove() {}, close() {} };
  const guard: ChildProcess = fork(GUARD_SCRIPT, [], { stdio: ["ignore", "ignore", "ignore", "ipc"] });
  // A guard that boots after its worker died sees neither the groups nor the channel close.
  const ready = new Promise<void>((resolve) => {
    guard.once("message", () => resolve());
    guard.once("exit", () => resolve());
    guard.once("error", () => resolve());
  });
  // Neither the guard nor its channel may keep the worker's event loop alive, once the guard is
  // ready: until then they must, or a caller awaiting `ready` with nothing else pending would
  // see Node exit under its await (exit code 13).
  void ready.then(() => {
    guard.unref();
    guard.channel?.unref();
  });
  const send = (message: object): void => {
    if (guard.connected) guard.send(message, () => undefined);
  };
  return {
    ready,
    add: (pgid, tag) => send({ add: pgid, tag }),
    remove: (pgid) => send({ remove: pgid }),
    close() {
      send({ bye: true });
      if (guard.connected) guard.disconnect();
    },
  };
}
