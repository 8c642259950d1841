/*
 * Throwaway redis-server processes for tests that need their own Redis: one to
 * restart or crash, or one with settings the machine's Redis does not have.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Its working directory (AOF files); removed by {@link stopRedisServer} unless it was given. */
  readonly dir: string;
  readonly child: ChildProcess;
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts redis-server with `args`; resolves once it accepts connections.
 * @param options.port - reuse a port (a restart); a free one by default.
 * @param options.dir - reuse a directory (a restart that reads its AOF); a new temp dir by default.
 */
export async function startRedisServer(args: string[] = [], options: { port?: number; dir?: string } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "bayestune-redis-"));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { port, url: `redis://127.0.0.1:${port}`, dir, child };
}

/** Stops the server with `signal` (SIGKILL for a crash) and waits for it to exit; `keepDir` for a restart. */
export async function stopRedisServer(server: RedisServer, signal: NodeJS.Signals = "SIGTERM", keepDir = false): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    const exited = new Promise((resolve) => server.child.once("exit", resolve));
    server.child.kill(signal);
    await exited;
  }
  if (!keepDir) rmSync(server.dir, { recursive: true, force: true });
}
