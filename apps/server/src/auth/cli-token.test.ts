import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseKeyring, seal } from "@launcher/crypto-token";
import { makeTestKeys } from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOidcRoutes } from "./oidc.ts";
import { CLI_TOKEN_PURPOSE, openUser, SESSION_PURPOSE, sealSession } from "./session.ts";

const keyring = await parseKeyring(makeTestKeys());
const MAX_AGE = 3600;
const silent = { info() {}, warn() {}, error() {} };
// The provider is asked for nothing on these routes: no sign-in starts here.
const routes = createOidcRoutes({
  issuer: new URL("http://127.0.0.1:9/unused"),
  clientId: "launcher",
  publicUrl: new URL("http://launcher.test"),
  userClaim: "email",
  keyring,
  sessionMaxAge: MAX_AGE,
  logger: silent,
});
const server = createServer((req, res) => {
  routes(req, res, (req.url ?? "/").split("?")[0]!).then((served) => {
    if (!served) res.writeHead(404).end();
  });
});
let base = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = (headers: Record<string, string> = {}, method = "GET") =>
  fetch(`${base}/auth/token`, { headers, method, redirect: "manual" });

describe("GET /auth/token", () => {
  it("gives a signed-in user a CLI token for them, as JSON or a page, never cached", async () => {
    const cookie = `launcher_session=${await sealSession(keyring, "alice@example.test", 60)}`;
    const before = Date.now();
    const res = await get({ cookie, accept: "application/json" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { user: string; token: string; expiresAt: number };
    expect(body.user).toBe("alice@example.test");
    expect(body.expiresAt).toBeGreaterThanOrEqual(before + MAX_AGE * 1000);
    const opened = { purpose: CLI_TOKEN_PURPOSE, maxAge: MAX_AGE } as const;
    expect(await openUser(keyring, body.token, opened)).toBe("alice@example.test");
    // It is no session cookie: a token opens only as what it was sealed for.
    await expect(
      openUser(keyring, body.token, { purpose: SESSION_PURPOSE, maxAge: MAX_AGE }),
    ).rejects.toMatchObject({ code: "invalid" });

    const html = await get({ cookie });
    expect(html.headers.get("cache-control")).toBe("no-store");
    expect(html.headers.get("content-type")).toContain("text/html");
    expect(html.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const text = await html.text();
    expect(text).toContain("read -rs LAUNCHER_TOKEN");
    const shown = /<pre id="token">([^<]+)<\/pre>/.exec(text)?.[1];
    expect(await openUser(keyring, shown!, opened)).toBe("alice@example.test");
  });

  it("sends a signed-out browser to sign in and back; tells a program to sign in first", async () => {
    const expired = await seal(
      keyring,
      { v: 1, user: "alice" },
      { purpose: SESSION_PURPOSE, maxAge: 60, now: Date.now() - 3_600_000 },
    );
    const signedOut: Record<string, string>[] = [{}, { cookie: `launcher_session=${expired}` }];
    for (const headers of signedOut) {
      const res = await get(headers);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/auth/login?next=%2Fauth%2Ftoken");
      const json = await get({ ...headers, accept: "application/json" });
      expect(json.status).toBe(401);
      expect(await json.json()).toEqual({
        error: {
          message: "Sign in first, in a browser",
          signIn: "/auth/login?next=%2Fauth%2Ftoken",
        },
      });
    }
  });

  it("is not made from a CLI token: only a browser's session mints one", async () => {
    const token = await seal(
      keyring,
      { v: 1, user: "alice" },
      { purpose: CLI_TOKEN_PURPOSE, maxAge: 60 },
    );
    const res = await get({ authorization: `Bearer ${token}`, accept: "application/json" });
    expect(res.status).toBe(401);
    await res.arrayBuffer();
  });

  it("answers GET only", async () => {
    const res = await get({}, "POST");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });
});
