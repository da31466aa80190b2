import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseKeyring, seal } from "@launcher/crypto-token";
import { makeTestKeys, readTree, startServer, type TestServer } from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { basicAuth, follow, makeClient, tokenCodeOf, within } from "./client.ts";
import { appsWithSecret } from "./instances.ts";

const secretsSeen: string[] = [];
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { LAUNCHER_FIXTURES: "1" } });
});
afterAll(async () => {
  await server?.dispose();
});

async function prepare(client: ReturnType<typeof makeClient>["client"], template = "scratchpad") {
  const prepared = await client.launch.prepare.mutate({ template });
  return prepared;
}

describe("a launch over a real server and a wsLink client", () => {
  it("reaches ready; the password logs in and a wrong one does not", async () => {
    const c = makeClient(server.url);
    try {
      const { ticket, id } = await prepare(c.client);
      const f = follow(c.client, { ticket });
      const ready = await within(f.done);
      expect(ready.phase).toBe("ready");
      expect(f.snapshots[0]!.phase).toBe("preparing");
      expect(f.ids[0]).toBe("0");
      expect(f.ids).toEqual(f.snapshots.map((s) => String(s.version)));
      const password = ready.access!.credentials.password!;
      secretsSeen.push(password);
      expect(password).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      expect(ready.access!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(
        (await fetch(ready.access!.url, { headers: basicAuth(password), redirect: "manual" }))
          .status,
      ).toBe(200);
      expect(
        (await fetch(ready.access!.url, { headers: basicAuth("wrong-password") })).status,
      ).toBe(401);
      expect(ready.id).toBe(id);
      // Following an ended launch again resends its terminal snapshot and completes.
      const again = follow(c.client, { ticket, lastEventId: String(ready.version) });
      expect((await within(again.done)).phase).toBe("ready");
      expect(again.snapshots).toHaveLength(1);
    } finally {
      c.close();
    }
  });

  it("resumes after a refresh mid-launch: progress continues, one instance", async () => {
    const c = makeClient(server.url);
    try {
      const { ticket } = await prepare(c.client, "scratchpad-slow");
      const first = follow(c.client, { ticket });
      const creating = await first.until((s) => s.phase === "creating" || s.phase === "starting");
      first.stop();
      const lastEventId = String(creating.version);
      const second = follow(c.client, { ticket, lastEventId });
      const ready = await within(second.done);
      expect(ready.phase).toBe("ready");
      expect(second.snapshots.every((s) => s.version > creating.version)).toBe(true);
      const password = ready.access!.credentials.password!;
      secretsSeen.push(password);
      expect(await appsWithSecret(password)).toHaveLength(1);
    } finally {
      c.close();
    }
  });

  it("ends in destroyed after destroy, which stops the process and is idempotent", async () => {
    const c = makeClient(server.url);
    try {
      const { ticket } = await prepare(c.client);
      const ready = await within(follow(c.client, { ticket }).done);
      const password = ready.access!.credentials.password!;
      secretsSeen.push(password);
      expect(await appsWithSecret(password)).toHaveLength(1);
      expect(await c.client.launch.destroy.mutate({ ticket })).toEqual({
        id: ready.id,
        phase: "destroyed",
      });
      expect(await c.client.launch.destroy.mutate({ ticket })).toEqual({
        id: ready.id,
        phase: "destroyed",
      });
      expect(await appsWithSecret(password)).toHaveLength(0);
      const after = follow(c.client, { ticket, lastEventId: String(ready.version) });
      expect((await within(after.done)).phase).toBe("destroyed");
      expect((await fetch(ready.access!.url).catch(() => undefined))?.status).toBeUndefined();
    } finally {
      c.close();
    }
  });

  it("refuses bad tickets with typed errors and creates no instance folder", async () => {
    const c = makeClient(server.url);
    try {
      const { ticket, id } = await prepare(c.client);
      const keyring = await parseKeyring(server.keys);
      const payload = {
        v: 1,
        id,
        template: "scratchpad",
        driver: "local",
        createdAt: Date.now(),
        secrets: { password: "x".repeat(24) },
      };
      const flip = (t: string, i: number) =>
        t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1);
      const cases: [string, string, string][] = [
        ["tampered", flip(ticket, Math.floor(ticket.length / 2)), "invalid"],
        ["truncated", ticket.slice(0, -10), "invalid"],
        [
          "expired",
          await seal(keyring, payload, { purpose: "launch", maxAge: 1, now: Date.now() - 60_000 }),
          "expired",
        ],
        [
          "wrong purpose",
          await seal(keyring, payload, { purpose: "other", maxAge: 60 }),
          "invalid",
        ],
        [
          "unknown key",
          await seal(await parseKeyring(makeTestKeys("zz")), payload, {
            purpose: "launch",
            maxAge: 60,
          }),
          "unknown_key",
        ],
        ["malformed", `${ticket}=`, "malformed"],
        ["oversized", "A".repeat(5000), "too_large"],
        ["empty", "", "missing"],
      ];
      for (const [name, bad, code] of cases) {
        const f = follow(c.client, { ticket: bad });
        const error = await within(
          f.done.then(
            () => undefined,
            (e: unknown) => e,
          ),
        );
        expect(error, name).toBeDefined();
        const tokenCode = tokenCodeOf(error);
        // A truncation may also break the format itself.
        if (name === "truncated") expect(["invalid", "malformed"]).toContain(tokenCode);
        else expect(tokenCode, name).toBe(code);
        expect((error as { data?: { code?: string } }).data?.code).toBe("UNAUTHORIZED");
        expect((error as Error).message).toContain(tokenCode);
        expect((error as { data?: { stack?: string } }).data?.stack).toBeUndefined();
        await expect(c.client.launch.destroy.mutate({ ticket: bad })).rejects.toThrow(
          /Ticket refused/,
        );
      }
      expect(existsSync(join(server.stateDir, "instances", id))).toBe(false);
    } finally {
      c.close();
    }
  });

  it("refuses a WebSocket upgrade from a foreign Origin and allows its own and none", async () => {
    const open = (headers: Record<string, string>) =>
      new Promise<number | "open">((resolve) => {
        const ws = new WebSocket(`${server.url.replace("http", "ws")}/trpc`, { headers });
        ws.on("open", () => {
          ws.close();
          resolve("open");
        });
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("error", () => {});
      });
    expect(await open({ origin: "http://evil.example" })).toBe(403);
    expect(await open({ origin: `http://localhost:${server.port}` })).toBe("open");
    expect(await open({})).toBe("open");
  });

  it("lists every bundled template with its availability and answers /health", async () => {
    const c = makeClient(server.url);
    try {
      const list = await c.client.templates.list.query();
      expect(list.defaultTemplate).toBe("scratchpad");
      expect(list.templates.map((t) => t.id)).toEqual(
        expect.arrayContaining(["scratchpad", "jupyter", "livebook"]),
      );
      const scratchpad = list.templates.find((t) => t.id === "scratchpad")!;
      expect(scratchpad.drivers.find((d) => d.driver === "local")).toMatchObject({
        available: true,
      });
      // Each template under each driver, the ones it cannot use too, with the reason.
      const driverNames = list.drivers.map((d) => d.name);
      for (const t of list.templates) expect(t.drivers.map((d) => d.driver)).toEqual(driverNames);
      const livebook = list.templates.find((t) => t.id === "livebook")!;
      expect(livebook.drivers.find((d) => d.driver === "local")).toEqual({
        driver: "local",
        available: false,
        reason: "Livebook has no local launch spec",
      });
      expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ ok: true });
      // A malformed escape in a page path is just an unknown page, not a server error.
      expect((await fetch(`${server.url}/%`)).status).toBe(200);
    } finally {
      c.close();
    }
  });

  it("keeps no generated secret in the state dir or the server's output", async () => {
    expect(secretsSeen.length).toBeGreaterThan(0);
    const files = await readTree(server.stateDir);
    expect(files.length).toBeGreaterThan(0);
    for (const secret of secretsSeen) {
      for (const file of files) expect(file.text.includes(secret), file.path).toBe(false);
      expect(server.output().includes(secret)).toBe(false);
    }
  });
});
