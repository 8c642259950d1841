import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";

/**
 * The variable that tags every process of one trial job. Descendants inherit it, also
 * those that leave the trial's process group (setsid, a daemonising data loader), so
 * it finds what killing the group misses.
 */
export const PROCESS_TAG_ENV = "BAYESTUNE_PROCESS_TAG";

/** Rounds of a sweep: each catches the children forked by the processes the round before found alive. */
const MAX_SWEEP_ROUNDS = 10;
/** Files of /proc read at once. */
const READ_BATCH = 64;

/** A fresh tag for one job: random, so that no other process can carry it by chance. */
export function newProcessTag(): string {
  return randomBytes(16).toString("hex");
}

/**
 * Sends `signal` to every process whose environment holds `PROCESS_TAG_ENV=tag`, found
 * by reading /proc/PID/environ, except the members of process group `exceptGroup` (the
 * caller signals the group itself); processes it may not read (other users') are skipped.
 * It sweeps again while a round finds a process it had not signalled yet, so that
 * children forked during a SIGKILL sweep are caught too. Never throws.
 *
 * Linux only. Elsewhere it does nothing: a trial is stopped by killing its process
 * group alone, and a descendant that left the group survives it, as before.
 *
 * /proc/PID/environ holds the environment a process was started with, so a descendant
 * started with an emptied environment (`env -i`) is not found.
 */
export async function signalTaggedProcesses(tag: string, signal: NodeJS.Signals, exceptGroup?: number): Promise<void> {
  if (process.platform !== "linux") return;
  const signalled = new Set<number>();
  for (let round = 0; round < MAX_SWEEP_ROUNDS; round += 1) {
    const found = (await findTaggedProcesses(tag, exceptGroup)).filter((pid) => !signalled.has(pid));
    if (found.length === 0) break;
    for (const pid of found) {
      signalled.add(pid);
      try {
        process.kill(pid, signal);
      } catch {
        // ESRCH: it ended between the read and the kill.
      }
    }
  }
}

async function findTaggedProcesses(tag: string, exceptGroup: number | undefined): Promise<number[]> {
  // Entries are NUL-terminated; the leading NUL anchors the name, so FOO_BAYESTUNE_PROCESS_TAG does not match.
  const entry = Buffer.from(`\0${PROCESS_TAG_ENV}=${tag}\0`);
  let names: string[];
  try {
    names = await readdir("/proc");
  } catch {
    return [];
  }
  const pids = names.filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => pid !== process.pid);
  const isTagged = async (pid: number): Promise<boolean> => {
    try {
      const environ = await readFile(`/proc/${pid}/environ`);
      // A zombie's environ reads empty: it is dead already.
      const carriesTag = environ.subarray(0, entry.length - 1).equals(entry.subarray(1)) || environ.includes(entry);
      return carriesTag && (exceptGroup === undefined || (await processGroup(pid)) !== exceptGroup);
    } catch {
      // EACCES (another user's process) or ENOENT (it ended).
      return false;
    }
  };
  const tagged: number[] = [];
  // In batches: thousands of files open at once could run out of descriptors, and a read
  // failing with EMFILE would miss a process.
  for (let start = 0; start < pids.length; start += READ_BATCH) {
    const batch = pids.slice(start, start + READ_BATCH);
    const found = await Promise.all(batch.map(isTagged));
    batch.forEach((pid, i) => {
      if (found[i] === true) tagged.push(pid);
    });
  }
  return tagged;
}

/** The process group of `pid`, from /proc/PID/stat: "pid (comm) state ppid pgrp ..." (comm may hold spaces and parentheses). */
async function processGroup(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  return fields[2] === undefined ? undefined : Number(fields[2]);
}
