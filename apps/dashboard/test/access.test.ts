import { describe, expect, it } from "vitest";
import { checkBind, DashboardAccessError, isLoopbackHost } from "../src/server/access.js";

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
