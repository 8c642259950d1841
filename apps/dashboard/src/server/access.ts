import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import cookie from "@fastify/cookie";
import type { FastifyInstance } from "fastify";

/** The cookie that carries the token after the first visit with `?token=`, so that the page's and Bull Board's own requests pass. */
const TOKEN_COOKIE = "bayestune_token";

/** A bind or token setting that would expose the studies: a typed error, raised before anything listens. */
export class DashboardAccessError extends Error {
  override readonly name = "DashboardAccessError";
}

/** True for an address only this machine reaches: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/**
 * The rule for where the dashboard may listen: on loopback with or without a
 * token; anywhere else only with a token, since the studies' configs (commands,
 * paths) and results are then readable from the network.
 * @throws DashboardAccessError for a public bind without a token, or an empty token.
 */
export function checkBind(host: string, token: string | undefined): void {
  if (token !== undefined && token.length < 16) {
    throw new DashboardAccessError("the dashboard token must be at least 16 characters (for instance `openssl rand -hex 16`)");
  }
  if (!isLoopbackHost(host) && token === undefined) {
    throw new DashboardAccessError(
      `refusing to serve on ${host} without a token: anyone who reaches it could read every study; set --token (or BAYESTUNE_DASHBOARD_TOKEN), or bind to 127.0.0.1`,
    );
  }
}

/**
 * The host name of a Host header (`localhost:8080`, `[::1]:80`, `127.0.0.1`)
 * without its port, lower case, brackets dropped; "" for a header that is absent.
 */
function hostHeaderName(header: string | undefined): string {
  const host = (header ?? "").trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]") === -1 ? undefined : host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  // More than one colon and no brackets: an IPv6 address without a port.
  return colon !== -1 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
}

/** Compares through fixed-length digests, so that neither the length nor a prefix of the token leaks through timing. */
function sameToken(offered: string, token: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(offered), digest(token));
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * Makes the whole server read-only (any method but GET and HEAD: 405, so that
 * no route, Bull Board's included, can change a queue or a study) and, with a
 * token, refuses a request that carries none of: `Authorization: Bearer T`,
 * `?token=T` (which also sets an HttpOnly cookie for the rest of the visit), or
 * that cookie. Without a token (a loopback bind, see checkBind) it answers only
 * requests whose Host header names loopback (403 otherwise): a web page from
 * elsewhere whose name the attacker re-points at 127.0.0.1 (DNS rebinding)
 * would otherwise read the studies through the visitor's browser. With a token
 * the token guards the server whatever the name it was reached by (a reverse
 * proxy's, a public bind's). Register it on the root instance before any route.
 */
export async function guardAccess(app: FastifyInstance, token: string | undefined): Promise<void> {
  await app.register(cookie);
  app.addHook("onRequest", async (request, reply) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return reply.code(405).header("allow", "GET, HEAD").send({ error: "the dashboard is read-only" });
    }
    if (token === undefined) {
      if (isLoopbackHost(hostHeaderName(request.headers.host))) return;
      return reply.code(403).send({
        error: `the Host header must name this machine (localhost, 127.x.x.x or [::1]) on a dashboard without a token, got ${JSON.stringify(request.headers.host ?? "")}; open it as http://localhost:PORT/, or serve it with --token`,
      });
    }
    const fromQuery = (request.query as Record<string, unknown> | undefined)?.["token"];
    const offered = bearer(request.headers.authorization) ?? (typeof fromQuery === "string" ? fromQuery : undefined) ?? request.cookies[TOKEN_COOKIE];
    if (offered !== undefined && sameToken(offered, token)) {
      if (offered === fromQuery) reply.setCookie(TOKEN_COOKIE, token, { httpOnly: true, sameSite: "strict", path: "/" });
      return;
    }
    return reply.code(401).send({ error: "this dashboard needs its token: open it with ?token=..., or send Authorization: Bearer ..." });
  });
}
