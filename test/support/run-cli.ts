import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The repository root: the CLI runs from there, as a user runs it from a checkout. */
export const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));
/** The built CLI entry point (`npm test` builds first). */
export const cliPath = join(repositoryRoot, "apps/cli/dist/main.js");
const run = promisify(execFile);

/**
 * Runs the built `bayestune` CLI and returns its exit code and output; never rejects for a non-zero exit.
 * @param env - the child's environment: this process's by default.
 */
export async function bayestune(
  args: readonly string[],
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliPath, ...args], { cwd: repositoryRoot, timeout: timeoutMs, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
