// LAUNCHER_AUTH=header against the real server: the user comes from a trusted proxy's
// header (here this test, at 127.0.0.1), never from anyone else (127.0.0.2).
import { startServer, type TestServer } from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, request, rpc, upgrade } from "./peer.ts";

const UNTRUSTED = "127.0.0.2";
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    env: {
      LAUNCHER_AUTH: "header",
      LAUNCHER_LOCAL_SHARED_USER: "1", // these tests launch on the local driver
      LAUNCHER_TRUSTED_PROXIES: "127.0.0.1, ::1",
      LAUNCHER_ADMINS: "boss, ops@example.test",
    },
  });
});
afterAll(() => server?.dispose());

const as = (user: string) => ({ "x-forwarded-user": user });

describe("LAUNCHER_AUTH=header", () => {
  it("names the user from the trusted proxy's header, and admins from LAUNCHER_ADMINS", async () => {
    expect((await call(server.url, "me", { headers: as("alice") })).data).toEqual({
      user: "alice",
      admin: false,
    });
    expect((await call(server.url, "me", { headers: as("boss") })).data).toEqual({
      user: "boss",
      admin: true,
    });
    const templates = await call(server.url, "templates.list", { headers: as("alice") });
    expect(templates.error).toBeUndefined();
  });

  it("refuses every procedure but health without a user: UNAUTHORIZED, authCode unauthenticated", async () => {
    for (const [path, input] of [
      ["me", undefined],
      ["templates.list", undefined],
      ["launch.prepare", { template: "scratchpad" }],
    ] as const) {
      const reply = await call(server.url, path, { input });
      expect(reply.status, path).toBe(401);
      expect(reply.error?.data, path).toMatchObject({
        code: "UNAUTHORIZED",
        authCode: "unauthenticated",
        authReason: "missing",
      });
      expect(reply.error?.message, path).toContain("X-Forwarded-User");
      expect(reply.error?.data.stack, path).toBeUndefined();
    }
    expect((await call(server.url, "health")).data).toMatchObject({ ok: true });
    expect((await request(`${server.url}/health`)).status).toBe(200);
    // The web app stays open: it is what offers to sign in.
    expect((await request(`${server.url}/`)).status).toBe(200);
  });

  it("does not believe the header from a peer that is not a trusted proxy", async () => {
    const reply = await call(server.url, "me", { headers: as("boss"), from: UNTRUSTED });
    expect(reply.error?.data).toMatchObject({
      code: "UNAUTHORIZED",
      authCode: "unauthenticated",
      authReason: "untrusted_proxy",
    });
    const socket = await upgrade(server.url, { headers: as("boss"), from: UNTRUSTED });
    expect(socket.status).toBe(401);
    expect(socket.open ? "" : socket.text).toMatch(/trusted proxy/);
  });

  it("refuses empty, oversized, non-ASCII and repeated user headers, each with its reason", async () => {
    const cases: [Record<string, string | string[]>, string][] = [
      [as(""), "empty_header"],
      [as("   "), "empty_header"],
      [as("a".repeat(257)), "header_too_long"],
      [as("alice\tbob"), "bad_header"],
      [{ "x-forwarded-user": "\u00e9lise" }, "bad_header"],
      [{ "x-forwarded-user": ["alice", "boss"] }, "bad_header"],
    ];
    for (const [headers, reason] of cases) {
      const reply = await call(server.url, "me", { headers });
      expect(reply.error?.data, JSON.stringify(headers)).toMatchObject({
        code: "UNAUTHORIZED",
        authCode: "unauthenticated",
        authReason: reason,
      });
    }
    // The longest accepted name is accepted.
    const long = "a".repeat(256);
    expect((await call(server.url, "me", { headers: as(long) })).data).toEqual({
      user: long,
      admin: false,
    });
  });

  it("refuses a WebSocket upgrade without a user with HTTP 401, and keeps the user of one with", async () => {
    const refused = await upgrade(server.url);
    expect(refused.status).toBe(401);
    const opened = await upgrade(server.url, { headers: as("ops@example.test") });
    if (!opened.open) throw new Error(`upgrade refused: ${opened.status}`);
    try {
      const reply = await rpc(opened.ws, { id: 1, method: "query", params: { path: "me" } }, 1);
      expect(reply.result).toMatchObject({ data: { user: "ops@example.test", admin: true } });
    } finally {
      opened.ws.close();
    }
  });

  it("refuses calls from another site's page: a proxy's Basic auth rides along by itself", async () => {
    const foreign = await request(`${server.url}/trpc/launch.prepare`, {
      headers: { ...as("alice"), origin: "http://127.0.0.1:1" },
      body: JSON.stringify({ template: "scratchpad" }),
    });
    expect(foreign.status).toBe(403);
    const own = await call(server.url, "me", { headers: { ...as("alice"), origin: server.url } });
    expect(own.data).toEqual({ user: "alice", admin: false });
  });
});
