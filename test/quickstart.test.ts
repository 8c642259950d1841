import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

describe("the README's main job", () => {
  it("tunes Hartmann6 end to end in a child process and reports both engines' regrets", async () => {
    // Uses the built packages, as `npm start` does (npm test builds first).
    const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/quickstart/tune.ts"], {
      cwd: root,
      env: { ...process.env, BAYESTUNE_BUDGET: "20" },
      timeout: 60_000,
    });
    const regret = (label: string): number => {
      const match = new RegExp(`${label}\\s*: best (-?[\\d.]+)\\s+regret ([\\d.e+-]+)`).exec(stdout);
      expect(match, `no result line for ${label} in:\n${stdout}`).not.toBeNull();
      return Number(match?.[2]);
    };
    expect(stdout).toContain("Hartmann6, 20 trials, seed 0");
    for (const label of ["bayestune GP", "random search"]) {
      const r = regret(label);
      expect(Number.isFinite(r)).toBe(true);
      expect(r).toBeGreaterThanOrEqual(0);
    }
  });
});
