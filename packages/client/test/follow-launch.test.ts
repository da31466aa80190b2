import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKey, parseKeyring, seal } from "@launcher/crypto-token";
import { startServer, type TestServer } from "@launcher/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  createLauncherClient,
  followLaunch,
  type LauncherClient,
  LauncherError,
  memoryStore,
  prepareLaunch,
  type Snapshot,
} from "../src/index.ts";

let server: TestServer;
let client: LauncherClient;
beforeEach(async () => {
  server = await startServer();
  client = createLauncherClient({ url: server.url, WebSocket, retryDelayMs: () => 100 });
}, 30_000);
afterEach(async () => {
  await client?.close();
  await server?.dispose();
});

async function login(url: string, password: string): Promise<number> {
  const auth = Buffer.from(`me:${password}`).toString("base64");
  const response = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  await response.arrayBuffer();
  return response.status;
}

describe("followLaunch against the real server", () => {
  it("launches scratchpad to ready; the password logs in", async () => {
    const store = memoryStore();
    const launch = await prepareLaunch(client, { template: "scratchpad", store });
    const ready = await followLaunch(client, { launch, store }).done();
    expect(ready?.phase).toBe("ready");
    expect(await login(ready!.access!.url, ready!.access!.credentials.password!)).toBe(200);
    expect((await store.get(launch.id))?.snapshot).not.toHaveProperty("access");
  }, 60_000);

  it("tears down what a failed launch left, then drops its ticket", async () => {
    const dir = await mkdtemp(join(tmpdir(), "launcher-broken-"));
    const app = join(dir, "exits.js");
    await writeFile(app, "process.exit(3);\n"); // an app that dies at once
    await using broken = await startServer({ env: { LAUNCHER_SCRATCHPAD: app } });
    const other = createLauncherClient({ url: broken.url, WebSocket });
    try {
      const store = memoryStore();
      const launch = await prepareLaunch(other, { template: "scratchpad", store });
      const last = await followLaunch(other, { launch, store }).done();
      expect(last?.phase).toBe("failed");
      expect(await store.get(launch.id)).toBeUndefined();
      // The platform has the tombstone: nothing of it runs or will be started again.
      expect(existsSync(join(broken.stateDir, "instances", launch.id, "destroyed.json"))).toBe(
        true,
      );
    } finally {
      await other.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("resumes across a server kill and restart", async () => {
    const store = memoryStore();
    const launch = await prepareLaunch(client, { template: "scratchpad", store });
    const seen: Snapshot[] = [];
    const states: string[] = [];
    for await (const snapshot of followLaunch(client, {
      launch,
      store,
      onConnection: (state) => states.push(state),
    })) {
      seen.push(snapshot);
      if (seen.length === 1) {
        // Freeze the server before it can say more, then kill it and start it again.
        process.kill(server.pid!, "SIGSTOP");
        await server.kill("SIGKILL");
        void server.restart();
      }
    }
    expect(seen.at(-1)?.phase).toBe("ready");
    expect(states).toEqual(["reconnecting", "connected"]);
    const versions = seen.map((s) => s.version);
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  }, 60_000);

  it("refuses a tampered ticket with a typed error, and keeps it", async () => {
    const store = memoryStore();
    const launch = await prepareLaunch(client, { template: "scratchpad", store });
    const i = Math.floor(launch.ticket.length / 2);
    const tampered = `${launch.ticket.slice(0, i)}${launch.ticket[i] === "A" ? "B" : "A"}${launch.ticket.slice(i + 1)}`;
    const other = memoryStore();
    const error = await followLaunch(client, {
      launch: { id: launch.id, ticket: tampered },
      store: other,
    })
      .done()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LauncherError);
    expect(error).toMatchObject({ code: "ticket_refused", tokenCode: "invalid" });
    // Another replica's keyring would refuse it the same way: it may still open elsewhere.
    expect(await other.get(launch.id)).toMatchObject({ ticket: tampered });
  }, 30_000);

  it("drops an expired ticket and keeps one sealed with a key this server lacks", async () => {
    const id = "5".repeat(32);
    const payload = { id, template: "scratchpad", driver: "local", createdAt: Date.now() };
    const expired = await seal(await parseKeyring(server.keys), payload, {
      purpose: "launch",
      maxAge: 60,
      now: Date.now() - 3_600_000,
    });
    const foreign = await seal(await parseKeyring(`elsewhere:${generateKey()}`), payload, {
      purpose: "launch",
      maxAge: 60,
    });
    const cases = [
      [expired, "expired", false],
      [foreign, "unknown_key", true],
    ] as const;
    for (const [ticket, tokenCode, kept] of cases) {
      const store = memoryStore();
      const error = await followLaunch(client, { launch: { id, ticket }, store })
        .done()
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "ticket_refused", tokenCode });
      expect(Boolean(await store.get(id)), tokenCode).toBe(kept);
    }
  }, 30_000);
});
