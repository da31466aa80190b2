import type { IncomingMessage } from "node:http";
import { parseKeyring, seal } from "@launcher/crypto-token";
import { makeTestKeys } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { createIdentify, type IdentifyOptions } from "./identify.ts";
import { CLI_TOKEN_PURPOSE, SESSION_PURPOSE, sealSession, sealUser } from "./session.ts";
import { makeTrustedProxies } from "./trusted-proxies.ts";

const keyring = await parseKeyring(makeTestKeys());

function requestOf(headers: Record<string, string | string[]>, peer = "127.0.0.1") {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    headers: Object.fromEntries(
      Object.entries(lower).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]),
    ),
    headersDistinct: Object.fromEntries(
      Object.entries(lower).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
    ),
    socket: { remoteAddress: peer },
  } as unknown as IncomingMessage;
}

const identifyWith = (options: Partial<IdentifyOptions>) =>
  createIdentify({
    mode: "none",
    header: "X-Forwarded-User",
    trusted: makeTrustedProxies(["127.0.0.1"]),
    admins: ["boss"],
    keyring,
    sessionMaxAge: 3600,
    ...options,
  });

describe("createIdentify", () => {
  it("makes everyone the admin user `local` with LAUNCHER_AUTH=none, whatever they send", async () => {
    const identify = identifyWith({ mode: "none" });
    expect(await identify(requestOf({ "x-forwarded-user": "boss" }, "10.9.9.9"))).toEqual({
      user: "local",
      admin: true,
    });
  });

  it("reads a session cookie, and says why one is refused", async () => {
    const identify = identifyWith({ mode: "oidc" });
    const cookie = (token: string) => requestOf({ cookie: `a=b; launcher_session=${token}; c=d` });
    expect(await identify(cookie(await sealSession(keyring, "boss", 60)))).toEqual({
      user: "boss",
      admin: true,
    });
    const expired = await seal(
      keyring,
      { v: 1, user: "alice" },
      { purpose: SESSION_PURPOSE, maxAge: 60, now: Date.now() - 3_600_000 },
    );
    const ticket = await seal(keyring, { v: 1, user: "alice" }, { purpose: "launch", maxAge: 60 });
    const other = await sealSession(await parseKeyring(makeTestKeys("t2")), "alice", 60);
    const cases: [IncomingMessage, string][] = [
      [requestOf({}), "missing"],
      [cookie(expired), "session_expired"],
      [cookie(ticket), "session_invalid"],
      [cookie(other), "session_invalid"],
      [cookie("not-a-token"), "session_invalid"],
    ];
    for (const [req, reason] of cases) {
      const identity = await identify(req);
      expect(identity.user).toBeNull();
      expect(identity.admin).toBe(false);
      expect(identity.refusal).toMatchObject({ reason, signIn: "/auth/login" });
    }
  });

  it("takes a CLI token as `Authorization: Bearer`, before any cookie, and says why one is refused", async () => {
    const identify = identifyWith({ mode: "oidc" });
    const cli = (user: string, options: { maxAge?: number; now?: number } = {}) =>
      seal(
        keyring,
        { v: 1, user },
        { purpose: CLI_TOKEN_PURPOSE, maxAge: options.maxAge ?? 60, ...options },
      );
    const bearer = (token: string, cookie?: string) =>
      requestOf({
        authorization: `Bearer ${token}`,
        ...(cookie ? { cookie: `launcher_session=${cookie}` } : {}),
      });
    expect(await identify(bearer(await cli("alice")))).toEqual({ user: "alice", admin: false });
    // The scheme is case-insensitive (RFC 9110); the token wins over a session cookie.
    const boss = await sealSession(keyring, "boss", 60);
    expect(
      (
        await identify(
          requestOf({
            authorization: `bearer ${await cli("alice")}`,
            cookie: `launcher_session=${boss}`,
          }),
        )
      ).user,
    ).toBe("alice");
    const token = await cli("alice");
    const tampered = `${token.slice(0, -2)}${token.endsWith("A") ? "BB" : "AA"}`;
    const cases: [string, string][] = [
      [await cli("alice", { now: Date.now() - 3_600_000 }), "session_expired"],
      [tampered, "session_invalid"],
      // A session cookie is no CLI token, and a token from another keyring opens nothing.
      [boss, "session_invalid"],
      [
        await sealUser(await parseKeyring(makeTestKeys("t2")), "alice", {
          purpose: CLI_TOKEN_PURPOSE,
          maxAge: 60,
        }),
        "session_invalid",
      ],
    ];
    for (const [value, reason] of cases) {
      const identity = await identify(bearer(value, boss));
      expect(identity.user).toBeNull();
      expect(identity.refusal).toMatchObject({ reason, signIn: "/auth/login" });
      expect(identity.refusal?.message).toMatch(/CLI token .*\/auth\/token/);
    }
    // A token is no session cookie either.
    const asCookie = await identify(requestOf({ cookie: `launcher_session=${token}` }));
    expect(asCookie.refusal?.reason).toBe("session_invalid");
  });

  it("ignores Authorization in header mode: only the trusted proxy's user header counts", async () => {
    const identify = identifyWith({ mode: "header" });
    const token = await sealUser(keyring, "boss", { purpose: CLI_TOKEN_PURPOSE, maxAge: 60 });
    const identity = await identify(requestOf({ authorization: `Bearer ${token}` }));
    expect(identity.refusal?.reason).toBe("missing");
  });

  it("refuses a session older than a lowered LAUNCHER_SESSION_MAX_AGE", async () => {
    const token = await seal(
      keyring,
      { v: 1, user: "alice" },
      { purpose: SESSION_PURPOSE, maxAge: 43_200, now: Date.now() - 7_200_000 },
    );
    const identify = identifyWith({ mode: "oidc", sessionMaxAge: 3600 });
    const identity = await identify(requestOf({ cookie: `launcher_session=${token}` }));
    expect(identity.refusal?.reason).toBe("session_expired");
  });

  it("believes the user header only from a trusted proxy, under the configured name", async () => {
    const identify = identifyWith({ mode: "header", header: "Remote-User" });
    expect(await identify(requestOf({ "remote-user": "alice" }))).toEqual({
      user: "alice",
      admin: false,
    });
    expect((await identify(requestOf({ "remote-user": "alice" }, "::ffff:127.0.0.1"))).user).toBe(
      "alice",
    );
    const untrusted = await identify(requestOf({ "remote-user": "boss" }, "127.0.0.2"));
    expect(untrusted.refusal?.reason).toBe("untrusted_proxy");
    // Another header name proves nothing.
    const other = await identify(requestOf({ "x-forwarded-user": "boss" }));
    expect(other.refusal?.reason).toBe("missing");
  });
});
