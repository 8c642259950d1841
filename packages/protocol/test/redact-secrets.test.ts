import { describe, expect, it } from "vitest";
import { REDACTED, redactCommandEnv, redactRedisUrl, StudyConfig, trialJobFor } from "../src/index.js";

describe("redactRedisUrl", () => {
  it("hides the password and keeps the user, host, port, db and scheme", () => {
    expect(redactRedisUrl("redis://alice:s3cret@10.0.0.5:6380/2")).toBe(`redis://alice:${REDACTED}@10.0.0.5:6380/2`);
    expect(redactRedisUrl("rediss://:s3cret@redis.internal:6379")).toBe(`rediss://:${REDACTED}@redis.internal:6379`);
    expect(redactRedisUrl("user:s3cret@host:6379")).toBe(`user:${REDACTED}@host:6379`);
  });

  it("hides a password that holds an unencoded @ or colon, and one given as a query parameter", () => {
    expect(redactRedisUrl("redis://alice:p@ss:w0rd@host:6379")).toBe(`redis://alice:${REDACTED}@host:6379`);
    expect(redactRedisUrl("redis://host:6379?db=1&password=s3cret&family=4")).toBe(`redis://host:6379?db=1&password=${REDACTED}&family=4`);
  });

  it("leaves a URL without a password as it is", () => {
    for (const url of ["redis://127.0.0.1:6379", "rediss://alice@host:6379/0", "redis://host/3?family=6", "not a url"]) {
      expect(redactRedisUrl(url)).toBe(url);
    }
  });
});

describe("redactCommandEnv", () => {
  const config = StudyConfig.parse({
    name: "keys",
    space: { lr: { type: "float", low: 1e-5, high: 1e-2, log: true } },
    maxTrials: 4,
    command: { argv: ["python", "train.py", "--lr={lr}"], cwd: "/srv/train", env: { HF_TOKEN: "hf_secret", WANDB_API_KEY: "wandb_secret" } },
  });

  it("keeps the keys of a config's command.env and replaces every value, leaving the original alone", () => {
    const redacted = redactCommandEnv(config);
    expect(redacted.command).toEqual({ argv: config.command.argv, cwd: "/srv/train", env: { HF_TOKEN: REDACTED, WANDB_API_KEY: REDACTED } });
    expect({ ...redacted, command: config.command }).toEqual(config);
    expect(config.command.env).toEqual({ HF_TOKEN: "hf_secret", WANDB_API_KEY: "wandb_secret" });
    expect(JSON.stringify(redacted)).not.toMatch(/secret/);
  });

  it("redacts a trial job the same way, and passes through what has no command.env", () => {
    const job = trialJobFor(config, 0, { lr: 0.001 });
    expect(redactCommandEnv(job).command.env).toEqual({ HF_TOKEN: REDACTED, WANDB_API_KEY: REDACTED });
    const plain = { ...config, command: { argv: ["train"] } };
    expect(redactCommandEnv(plain)).toBe(plain);
    for (const data of [null, 3, "text", { kind: "result" }, { command: "x" }]) expect(redactCommandEnv(data)).toBe(data);
  });
});
