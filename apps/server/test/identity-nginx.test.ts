// LAUNCHER_AUTH=header as operators run it: a real nginx checks HTTP Basic auth and passes the
// user in X-Forwarded-User to two replicas that trust only nginx's address.
import { describe, expect, it } from "vitest";
import { login, startAuthReplicas } from "./auth-replicas.ts";
import { basicAuth, follow, makeClient, within } from "./client.ts";
import { NGINX } from "./nginx.ts";
import { call, request, upgrade } from "./peer.ts";

// Clients in these tests come from 127.0.0.2; the replicas trust only nginx (127.0.0.1).
const CLIENT = "127.0.0.2";

// Skipped locally without nginx; in CI never (it fails instead: scripts/ci-deps.sh installs it).
describe.skipIf(!NGINX && !process.env.CI)("header auth through nginx, two replicas", () => {
  it("knows the user nginx signed in on every replica, and nobody else", async () => {
    await using setup = await startAuthReplicas();
    const { a, b, lb } = setup;

    // nginx asks for a password; health stays open.
    expect((await request(`${lb.url}/trpc/me`, { from: CLIENT })).status).toBe(401);
    expect((await request(`${lb.url}/health`, { from: CLIENT })).status).toBe(200);
    const wrong = { headers: login("alice", "guess"), from: CLIENT };
    expect((await request(`${lb.url}/trpc/me`, wrong)).status).toBe(401);

    // Both replicas (round robin) name the same user.
    const upstreams = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const reply = await request(`${lb.url}/trpc/me`, { headers: login("alice"), from: CLIENT });
      upstreams.add(String(reply.headers["x-launcher-upstream"]));
      expect(reply.json).toEqual({ result: { data: { user: "alice", admin: false } } });
    }
    expect([...upstreams].sort()).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`].sort());
    expect((await call(lb.url, "me", { headers: login("boss"), from: CLIENT })).data).toEqual({
      user: "boss",
      admin: true,
    });

    // A client's own X-Forwarded-User is replaced by nginx.
    const forged = await call(lb.url, "me", {
      headers: { ...login("alice"), "x-forwarded-user": "boss" },
      from: CLIENT,
    });
    expect(forged.data).toEqual({ user: "alice", admin: false });

    // Straight to a replica, the header is not believed: the client is not nginx.
    for (const replica of [a, b]) {
      const direct = await call(replica.url, "me", {
        headers: { "x-forwarded-user": "boss" },
        from: CLIENT,
      });
      expect(direct.error?.data).toMatchObject({
        code: "UNAUTHORIZED",
        authCode: "unauthenticated",
        authReason: "untrusted_proxy",
      });
      const socket = await upgrade(replica.url, {
        headers: { "x-forwarded-user": "boss" },
        from: CLIENT,
      });
      expect(socket.status).toBe(401);
    }
    // A WebSocket through nginx needs the password too.
    expect((await upgrade(lb.url, { from: CLIENT })).status).toBe(401);
  });

  it("launches through nginx for a signed-in user", async () => {
    await using setup = await startAuthReplicas();
    const { lb } = setup;
    const alice = makeClient(lb.url, { origin: lb.url, headers: login("alice") });
    try {
      const { ticket } = await alice.client.launch.prepare.mutate({ template: "scratchpad" });
      const ready = await within(follow(alice.client, { ticket }).done, 45_000);
      expect(ready.phase, ready.error).toBe("ready");
      const res = await fetch(ready.access!.url, {
        headers: basicAuth(ready.access!.credentials.password!),
      });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      await alice.client.launch.destroy.mutate({ ticket });
    } finally {
      alice.close();
    }
  }, 90_000);
});
