import { mkdtemp, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { InvalidOptionsError } from "./errors.js";

/**
 * Checks at start that the shared checkpoint root is a directory this worker can write
 * to, by creating and removing a directory in it (a permission check alone can be
 * wrong on a network file system), so that a bad mount fails the start, not every
 * trial's first checkpoint.
 *
 * @throws InvalidOptionsError saying what is wrong with `dir`.
 */
export async function checkCheckpointRoot(dir: string): Promise<void> {
  const fail = (what: string, cause?: unknown): never => {
    throw new InvalidOptionsError(
      `checkpointDir must be an existing, writable directory (the same shared one on every worker), got ${JSON.stringify(dir)}: ${what}`,
      { cause },
    );
  };
  const stats = await stat(dir).catch((error: NodeJS.ErrnoException) => fail(error.code === "ENOENT" ? "it does not exist" : `${error.code ?? error.message}`, error));
  if (!stats.isDirectory()) fail("it is not a directory");
  try {
    await rm(await mkdtemp(join(dir, ".bayestune-write-check-")), { recursive: true, force: true });
  } catch (error) {
    fail(`it is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
}
