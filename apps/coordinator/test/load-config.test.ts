import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../src/config-error.js";
import { loadStudyConfig } from "../src/load-config.js";

const dir = mkdtempSync(join(tmpdir(), "bayestune-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const valid = `
name: tiny-lm
maxTrials: 12
space:
  lr: { type: float, low: 1.0e-5, high: 1.0e-2, log: true }
  batch: { type: int, low: 8, high: 64, log: true }
command:
  argv: [python, train.py, "--lr={lr}"]
`;

describe("loadStudyConfig", () => {
  it("reads YAML and JSON into the same validated config with defaults", async () => {
    const fromYaml = await loadStudyConfig(write("study.yaml", valid));
    const fromJson = await loadStudyConfig(write("study.json", JSON.stringify({ ...fromYaml, sampler: undefined })));
    expect(fromYaml.space.lr).toEqual({ type: "float", low: 1e-5, high: 1e-2, log: true });
    expect(fromYaml.direction).toBe("minimize");
    expect(fromJson).toEqual(fromYaml);
  });

  it("names the file, the path inside it and the problem", async () => {
    const file = write("bad.yaml", valid.replace("high: 1.0e-2", "high: 1.0e-6").replace("maxTrials: 12", "maxTrials: -1"));
    const error = await loadStudyConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain(`config file ${file} is invalid (2 problems)`);
    expect(message).toMatch(/space\.lr: low < high must hold for 'lr'/);
    expect(message).toMatch(/maxTrials: /);
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it("reports YAML syntax errors with their line, JSON ones, and missing files", async () => {
    await expect(loadStudyConfig(write("broken.yaml", "name: [unclosed\nspace: {}\n"))).rejects.toThrow(/is not valid YAML at line \d+/);
    await expect(loadStudyConfig(write("broken.json", "{ name: 1 }"))).rejects.toThrow(/is not valid JSON/);
    await expect(loadStudyConfig(join(dir, "missing.yaml"))).rejects.toThrow(/cannot read the config file .*missing\.yaml: no such file/);
  });

  it("compiles known constraints at load, naming the file and the expression that does not", async () => {
    const ok = await loadStudyConfig(write("known.yaml", `${valid}knownConstraints: ["batch * 1000 <= 32000"]\n`));
    expect(ok.knownConstraints).toEqual(["batch * 1000 <= 32000"]);
    const file = write("known-bad.yaml", `${valid}knownConstraints: ["batch_size * 1000 <= 32000"]\n`);
    const error = await loadStudyConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      `config file ${file}: knownConstraints: known constraint "batch_size * 1000 <= 32000": Property “batch_size” does not exist. (the parameters are lr, batch)`,
    );
  });
});
