/*
 * A cluster on a Redis that asks who is calling: an ACL user limited to the
 * cluster's prefix, and TLS (`rediss://`) with a private CA. Every process —
 * coordinator, worker, status, export — connects with exactly what its
 * `--redis` URL says, and no message prints the password.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REDACTED, SECRET_ENV } from "@bayestune/protocol";
import {
  createCluster,
  destroyCluster,
  doneCounts,
  finished,
  fixtureStudy,
  startCoordinator,
  startWorker,
  writeConfig,
  type Cluster,
} from "./support/cluster.js";
import { freePort, startRedisServer } from "./support/redis-server.js";
import { bayestune } from "./support/run-cli.js";

const PASSWORD = "alice-password-4711";
const WRONG_PASSWORD = "not-alices-password-0815";

let cluster: Cluster | undefined;

afterEach(async () => {
  vi.unstubAllEnvs();
  const c = cluster;
  cluster = undefined;
  if (c !== undefined) await destroyCluster(c);
});

/**
 * The least a cluster's user needs: its own prefix's keys, every command but
 * the admin ones (BullMQ needs INFO; the coordinator's CONFIG GET check of AOF
 * only warns without it). The default user needs a password of its own.
 */
function aclArgs(prefix: string): string[] {
  return ["--requirepass", "default-user-password-1234", "--user", "alice", "on", `>${PASSWORD}`, `~${prefix}:*`, "&*", "+@all", "-@admin"];
}

/** A CA and a certificate for localhost signed by it, made with openssl in `dir`. */
function privateCa(dir: string): { ca: string; cert: string; key: string } {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=bayestune test CA", "-keyout", file("ca.key"), "-out", file("ca.crt"));
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", file("redis.key"), "-out", file("redis.csr"));
  writeFileSync(file("redis.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl("x509", "-req", "-days", "1", "-in", file("redis.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-extfile", file("redis.ext"), "-out", file("redis.crt"));
  return { ca: file("ca.crt"), cert: file("redis.crt"), key: file("redis.key") };
}

/** Runs a study of 4 trials with one coordinator and one worker on the cluster's URL. */
async function runStudy(c: Cluster, name: string): Promise<void> {
  startWorker(c, "w0");
  const coordinator = startCoordinator(c, writeConfig(c, fixtureStudy(c, name, { maxTrials: 4 })));
  expect(await finished(c, coordinator, 60_000)).toEqual({ finished: 4, failed: 0 });
  expect([...doneCounts(c.marks).values()]).toEqual([1, 1, 1, 1]);
  for (const proc of c.procs) expect(proc.output(), proc.name).not.toContain(PASSWORD);
}

async function statusCounts(c: Cluster, study: string, env?: NodeJS.ProcessEnv): Promise<unknown> {
  const status = await bayestune(["status", study, "--json", "--redis", c.redisUrl, "--prefix", c.prefix], 30_000, env);
  expect(status.code, status.stderr).toBe(0);
  const { complete, failed, total } = JSON.parse(status.stdout) as Record<string, unknown>;
  return { complete, failed, total };
}

describe("a cluster on a Redis with users and TLS", () => {
  it("runs a study as an ACL user limited to its prefix, and status and export read it; a wrong password fails in one line without printing it", async () => {
    const port = await freePort();
    const c = createCluster(`redis://alice:${PASSWORD}@127.0.0.1:${port}`);
    cluster = c;
    c.redisServer = await startRedisServer(aclArgs(c.prefix), { port });

    await runStudy(c, "acl-study");
    const [counts, listed, exported] = await Promise.all([
      statusCounts(c, "acl-study"),
      bayestune(["status", "--redis", c.redisUrl, "--prefix", c.prefix], 30_000),
      bayestune(["export", "acl-study", "--format", "json", "--redis", c.redisUrl, "--prefix", c.prefix], 30_000),
    ]);
    expect(counts).toEqual({ complete: 4, failed: 0, total: 4 });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^acl-study +0 +4 +0 +4 /m);
    expect(listed.stdout).toMatch(/^workers: 1, /m);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toHaveLength(4);

    const wrong = `redis://alice:${WRONG_PASSWORD}@127.0.0.1:${port}`;
    const shown = `redis://alice:${REDACTED}@127.0.0.1:${port}`;
    const withSecret = { ...process.env, [SECRET_ENV]: c.secret };
    const refusals = await Promise.all([
      bayestune(["status", "--redis", wrong, "--prefix", c.prefix], 30_000),
      bayestune(["coordinator", join(c.dir, "acl-study.json"), "--redis", wrong, "--prefix", c.prefix], 30_000, withSecret),
      bayestune(["status", "--redis", `redis://127.0.0.1:${port}`, "--prefix", c.prefix], 30_000),
    ]);
    expect(refusals).toEqual([
      { code: 2, stdout: "", stderr: `bayestune: cannot reach Redis at ${shown}: WRONGPASS invalid username-password pair or user is disabled.\n` },
      { code: 2, stdout: "", stderr: `bayestune: cannot reach Redis at ${shown}: WRONGPASS invalid username-password pair or user is disabled.\n` },
      { code: 2, stdout: "", stderr: `bayestune: cannot reach Redis at redis://127.0.0.1:${port}: NOAUTH Authentication required.\n` },
    ]);
  });

  it("refuses, in one line naming the fix, to start a coordinator or a worker as a user that may not run INFO (which BullMQ needs)", async () => {
    const port = await freePort();
    const c = createCluster(`redis://bob:${PASSWORD}@127.0.0.1:${port}`);
    cluster = c;
    c.redisServer = await startRedisServer(["--user", "default", "off", "--user", "bob", "on", `>${PASSWORD}`, "~*", "&*", "+@all", "-@dangerous"], { port });
    const shown = `redis://bob:${REDACTED}@127.0.0.1:${port}`;
    const withSecret = { ...process.env, [SECRET_ENV]: c.secret };
    const config = writeConfig(c, fixtureStudy(c, "no-info"));
    const refusals = await Promise.all([
      bayestune(["coordinator", config, "--redis", c.redisUrl, "--prefix", c.prefix], 30_000, withSecret),
      bayestune(["worker", "--redis", c.redisUrl, "--prefix", c.prefix, "--work-dir", c.dir], 30_000, withSecret),
    ]);
    const line = `bayestune: the Redis user of ${shown} must be allowed INFO, which BullMQ runs on every connection (ACL SETUSER <user> +info), got: NOPERM this user has no permissions to run the 'info' command\n`;
    expect(refusals).toEqual([
      { code: 2, stdout: "", stderr: line },
      { code: 2, stdout: "", stderr: line },
    ]);
  });

  it("runs a study over rediss:// with a private CA given in NODE_EXTRA_CA_CERTS, and refuses a server it cannot verify", async () => {
    const tlsPort = await freePort();
    const c = createCluster(`rediss://alice:${PASSWORD}@localhost:${tlsPort}`);
    cluster = c;
    const { ca, cert, key } = privateCa(c.dir);
    // No plain port: every byte to this Redis goes through TLS.
    const tls = ["--port", "0", "--tls-port", String(tlsPort), "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"];
    c.redisServer = await startRedisServer([...tls, ...aclArgs(c.prefix)]);

    const untrusted = await bayestune(["status", "--redis", c.redisUrl, "--prefix", c.prefix], 30_000);
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toBe(`bayestune: cannot reach Redis at rediss://alice:${REDACTED}@localhost:${tlsPort}: self-signed certificate in certificate chain\n`);

    // spawnCli hands this process's environment to the coordinator and the worker.
    vi.stubEnv("NODE_EXTRA_CA_CERTS", ca);
    await runStudy(c, "tls-study");
    expect(await statusCounts(c, "tls-study", process.env)).toEqual({ complete: 4, failed: 0, total: 4 });
  });
});
