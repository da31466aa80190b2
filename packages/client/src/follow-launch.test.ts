import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  createPlatform,
  ID as id,
  type Platform,
  startFakeServer,
  TICKET,
} from "../test/fake-server.ts";
import { createLauncherClient, type LauncherClient } from "./create-client.ts";
import { LauncherError } from "./errors.ts";
import { followLaunch } from "./follow-launch.ts";
import { memoryStore } from "./memory-store.ts";
import { destroyLaunch, prepareLaunch } from "./prepare-launch.ts";

async function waitFor(condition: () => boolean, timeoutMs = 5000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting for a condition");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let platform: Platform;
let server: Awaited<ReturnType<typeof startFakeServer>>;
let client: LauncherClient;
beforeEach(async () => {
  platform = createPlatform();
  server = await startFakeServer(platform);
  client = createLauncherClient({ url: server.url, WebSocket, retryDelayMs: () => 50 });
});
afterEach(async () => {
  await client.close();
  await server.close();
});

describe("followLaunch", () => {
  it("stores the ticket first, then follows to ready, keeping no credentials", async () => {
    const store = memoryStore();
    const launch = await prepareLaunch(client, { template: "scratchpad", store });
    expect(await store.get(id)).toMatchObject({ ticket: TICKET, server: server.url });
    platform.publish("preparing");
    const phases: string[] = [];
    for await (const snapshot of followLaunch(client, { launch, store })) {
      phases.push(snapshot.phase);
      if (snapshot.phase === "preparing") platform.publish("starting");
      if (snapshot.phase === "starting") {
        platform.publish("ready", { access: { url: "http://x/", credentials: { password: "p" } } });
      }
      if (snapshot.phase === "ready") expect(snapshot.access?.credentials.password).toBe("p");
    }
    expect(phases).toEqual(["preparing", "starting", "ready"]);
    const stored = await store.get(id);
    expect(stored).toMatchObject({ lastEventId: "2", snapshot: { phase: "ready" } });
    expect(JSON.stringify(stored)).not.toContain('"p"');
  });

  it("resumes after the connection drops, from the last event id, never going back", async () => {
    const store = memoryStore();
    platform.publish("preparing");
    const seen: number[] = [];
    const last = await followLaunch(client, {
      launch: { id, ticket: TICKET },
      store,
      onSnapshot: (snapshot) => {
        seen.push(snapshot.version);
        if (snapshot.version === 0) {
          server.dropConnections();
          platform.publish("creating");
          platform.publish("starting");
        }
        if (snapshot.version === 2) platform.publish("ready");
      },
    }).done();
    expect(last?.phase).toBe("ready");
    expect(seen).toEqual([0, 2, 3]);
    expect(platform.follows).toContain("0");
  });

  it("picks up in a new process from what the store kept, and gets the summary again", async () => {
    const store = memoryStore();
    platform.publish("preparing");
    platform.publish("ready", { access: { url: "http://x/", credentials: { password: "p" } } });
    await followLaunch(client, { launch: { id, ticket: TICKET }, store }).done();
    const again = await followLaunch(client, { launch: id, store }).done();
    expect(again?.access?.url).toBe("http://x/");
    expect(platform.follows).toEqual([null, "1"]);
  });

  it("stops when aborted and keeps the ticket", async () => {
    const store = memoryStore();
    const controller = new AbortController();
    platform.publish("starting");
    const last = await followLaunch(client, {
      launch: { id, ticket: TICKET },
      store,
      signal: controller.signal,
      onSnapshot: () => controller.abort(),
    }).done();
    expect(last).toBeUndefined();
    expect(await store.get(id)).toMatchObject({ ticket: TICKET });
  });

  it("destroys a failed launch, then drops its ticket", async () => {
    const store = memoryStore();
    platform.publish("failed", { error: "no port" });
    const last = await followLaunch(client, { launch: { id, ticket: TICKET }, store }).done();
    expect(last?.error).toBe("no port");
    expect(platform.destroyed).toEqual([TICKET]);
    expect(await store.list()).toEqual([]);
  });

  it("keeps a failed launch's ticket while its destroy fails, and drops it once a later follow destroys it", async () => {
    const store = memoryStore();
    platform.publish("failed", { error: "no port" });
    platform.destroyFails = true;
    await followLaunch(client, { launch: { id, ticket: TICKET }, store }).done();
    expect(platform.destroyed).toEqual([TICKET]);
    expect(await store.get(id)).toMatchObject({ ticket: TICKET });
    platform.destroyFails = false;
    const last = await followLaunch(client, { launch: id, store }).done();
    expect(last?.phase).toBe("failed");
    expect(platform.destroyed).toEqual([TICKET, TICKET]);
    expect(await store.list()).toEqual([]);
  });

  it("follows a launch through `destroying` to `destroyed`, then drops its ticket", async () => {
    const store = memoryStore();
    platform.publish("destroying");
    const phases: string[] = [];
    await followLaunch(client, {
      launch: { id, ticket: TICKET },
      store,
      onSnapshot: (snapshot) => {
        phases.push(snapshot.phase);
        if (snapshot.phase === "destroying") platform.publish("destroyed");
      },
    }).done();
    expect(phases).toEqual(["destroying", "destroyed"]);
    expect(await store.list()).toEqual([]);
  });

  it("gives up with `unreachable` when the server stays away, keeping the ticket", async () => {
    const store = memoryStore();
    platform.publish("starting");
    const states: string[] = [];
    const follow = followLaunch(client, {
      launch: { id, ticket: TICKET },
      store,
      giveUpAfterMs: 300,
      onConnection: (state) => states.push(state),
      onSnapshot: () => void server.close(),
    }).done();
    await expect(follow).rejects.toMatchObject({ code: "unreachable" });
    await waitFor(() => states.includes("reconnecting"));
    expect(await store.get(id)).toBeDefined();
  });
});

describe("a refused ticket", () => {
  it("is a typed refusal", async () => {
    const store = memoryStore();
    const follow = followLaunch(client, { launch: { id, ticket: "tampered" }, store }).done();
    await expect(follow).rejects.toMatchObject({ code: "ticket_refused", tokenCode: "invalid" });
    await expect(follow).rejects.toBeInstanceOf(LauncherError);
  });

  it("is dropped only when it can never open again: expired or malformed", async () => {
    for (const code of ["expired", "malformed"]) {
      const store = memoryStore();
      const follow = followLaunch(client, { launch: { id, ticket: `refused:${code}` }, store });
      await expect(follow.done()).rejects.toMatchObject({ tokenCode: code });
      expect(await store.get(id), code).toBeUndefined();
    }
  });

  it("is kept when another server or a later try may open it: unknown_key, invalid, not_yet_valid", async () => {
    for (const code of ["unknown_key", "invalid", "not_yet_valid", "too_large"]) {
      const store = memoryStore();
      const follow = followLaunch(client, { launch: { id, ticket: `refused:${code}` }, store });
      await expect(follow.done()).rejects.toMatchObject({ tokenCode: code });
      expect(await store.get(id), code).toMatchObject({ ticket: `refused:${code}` });
    }
  });

  it("by destroy follows the same rule", async () => {
    const kept = memoryStore();
    await kept.put({ id, ticket: "refused:unknown_key", template: "x", storedAt: 1 });
    await expect(destroyLaunch(client, { launch: id, store: kept })).rejects.toMatchObject({
      tokenCode: "unknown_key",
    });
    expect(await kept.get(id)).toBeDefined();
    const gone = memoryStore();
    await gone.put({ id, ticket: "refused:expired", template: "x", storedAt: 1 });
    await expect(destroyLaunch(client, { launch: id, store: gone })).rejects.toMatchObject({
      tokenCode: "expired",
    });
    expect(await gone.get(id)).toBeUndefined();
  });
});

describe("the server a ticket belongs to", () => {
  it("is the only one the ticket is sent to, unless the caller insists", async () => {
    const store = memoryStore();
    await store.put({
      id,
      ticket: TICKET,
      template: "x",
      storedAt: 1,
      server: "http://other:3000",
    });
    platform.publish("ready");
    await expect(followLaunch(client, { launch: id, store }).done()).rejects.toMatchObject({
      code: "other_server",
    });
    await expect(destroyLaunch(client, { launch: id, store })).rejects.toMatchObject({
      code: "other_server",
    });
    expect(platform.follows).toEqual([]);
    expect(platform.destroyed).toEqual([]);
    const last = await followLaunch(client, { launch: id, store, allowOtherServer: true }).done();
    expect(last?.phase).toBe("ready");
  });

  it("is remembered at the first follow of a launch stored without one", async () => {
    const store = memoryStore();
    await store.put({ id, ticket: TICKET, template: "x", storedAt: 1 });
    platform.publish("ready");
    await followLaunch(client, { launch: id, store }).done();
    expect(await store.get(id)).toMatchObject({ server: server.url });
  });
});
