import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** What runTrial reports of the process groups it starts and reaps. */
export interface ProcessGroupTracker {
  add(pgid: number): void;
  remove(pgid: number): void;
}

export interface OrphanGuard extends ProcessGroupTracker {
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
  if (!existsSync(GUARD_SCRIPT)) return { add() {}, remove() {}, close() {} };
  const guard: ChildProcess = fork(GUARD_SCRIPT, [], { stdio: ["ignore", "ignore", "ignore", "ipc"] });
  // Neither the guard nor its channel may keep the worker's event loop alive.
  guard.unref();
  guard.channel?.unref();
  const send = (message: object): void => {
    if (guard.connected) guard.send(message, () => undefined);
  };
  return {
    add: (pgid) => send({ add: pgid }),
    remove: (pgid) => send({ remove: pgid }),
    close() {
      send({ bye: true });
      if (guard.connected) guard.disconnect();
    },
  };
}
