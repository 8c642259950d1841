import { fastify, type FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { checkBind, DashboardAccessError, guardAccess, isLoopbackHost } from "../src/server/access.js";

describe("checkBind", () => {
  it("knows loopback addresses from the others", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "example.org", "127.0.0.1.example.org"]) expect(isLoopbackHost(host), host).toBe(false);
  });

  it("lets loopback serve with or without a token, and refuses any other host without one", () => {
    expect(() => checkBind("127.0.0.1", undefined)).not.toThrow();
    expect(() => checkBind("0.0.0.0", "a-token-of-twenty-chars")).not.toThrow();
    expect(() => checkBind("0.0.0.0", undefined)).toThrow(DashboardAccessError);
    expect(() => checkBind("::", undefined)).toThrow(/refusing to serve on :: without a token/);
  });

  it("refuses a token too short to resist guessing", () => {
    expect(() => checkBind("127.0.0.1", "secret")).toThrow(/at least 16 characters/);
  });
});

describe("guardAccess", () => {
  async function server(token: string | undefined): Promise<FastifyInstance> {
    const app = fastify({ logger: false });
    await guardAccess(app, token);
    app.get("/api/studies", async () => ({ studies: ["s"] }));
    return app;
  }

  it("without a token, answers only a Host that names loopback, whatever its port (a DNS-rebinding guard)", async () => {
    const app = await server(undefined);
    for (const host of ["localhost", "localhost:8080", "LOCALHOST:8080", "127.0.0.1:8080", "127.0.0.53", "[::1]:8080", "[::1]"]) {
      const response = await app.inject({ url: "/api/studies", headers: { host } });
      expect(response.statusCode, host).toBe(200);
    }
    for (const host of ["attacker.example:8080", "attacker.example", "127.0.0.1.attacker.example", "localhost.attacker.example:80", "10.0.0.5:8080", "[::2]:8080"]) {
      const response = await app.inject({ url: "/api/studies", headers: { host } });
      expect(response.statusCode, host).toBe(403);
      expect((response.json() as { error: string }).error, host).toMatch(/^the Host header must name this machine \(localhost, 127\.x\.x\.x or \[::1\]\) on a dashboard without a token/);
    }
    await app.close();
  });

  it("with a token, takes any Host name: the token guards it", async () => {
    const token = "0123456789abcdef0123";
    const app = await server(token);
    const headers = { host: "bayestune.team.example:443", authorization: `Bearer ${token}` };
    expect((await app.inject({ url: "/api/studies", headers })).statusCode).toBe(200);
    expect((await app.inject({ url: "/api/studies", headers: { host: "bayestune.team.example:443" } })).statusCode).toBe(401);
    await app.close();
  });
});
