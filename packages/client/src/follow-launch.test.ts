import { EventEmitter, once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Snapshot } from "@launcher/api";
import { initTRPC, TRPCError, tracked } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { createLauncherClient, type LauncherClient } from "./create-client.ts";
import { LauncherError } from "./errors.ts";
import { followLaunch, isTerminalPhase, prepareLaunch } from "./follow-launch.ts";
import { memoryStore } from "./memory-store.ts";

// A stand-in for the launcher's API with the same wire contract (tracked versions, resume
// from lastEventId, a terminal snapshot always resent, refusals with data.tokenCode), so
// that the client's resume logic is tested against a real tRPC server and real sockets.
const id = "0123456789abcdef0123456789abcdef";

function createPlatform() {
  const changes = new EventEmitter();
  const history: Snapshot[] = [];
  return {
    history,
    /** Every lastEventId a follow came with (null: none). */
    follows: [] as (string | null)[],
    publish(phase: Snapshot["phase"], extra: Partial<Snapshot> = {}) {
      history.push({
        id,
        template: "scratchpad",
        driver: "local",
        createdAt: 1,
        version: history.length,
        phase,
        steps: [],
        logTail: [],
        ...extra,
      });
      changes.emit("change");
    },
    changes,
  };
}
type Platform = ReturnType<typeof createPlatform>;

class RefusalCause extends Error {
  code = "invalid";
}

function createRouter(platform: Platform) {
  const t = initTRPC.create({
    errorFormatter: ({ shape, error }) => ({
      ...shape,
      data: {
        ...shape.data,
        ...(error.cause instanceof RefusalCause ? { tokenCode: error.cause.code } : {}),
      },
    }),
  });
  return t.router({
    launch: t.router({
      prepare: t.procedure.mutation(() => ({ id, ticket: "sealed-ticket" })),
      follow: t.procedure
        .input((raw) => raw as { ticket: string; lastEventId?: string | null })
        .subscription(async function* ({ input, signal }) {
          platform.follows.push(input.lastEventId ?? null);
          if (input.ticket !== "sealed-ticket") {
            throw new TRPCError({ code: "UNAUTHORIZED", cause: new RefusalCause("refused") });
          }
          let sent = input.lastEventId == null ? -1 : Number(input.lastEventId);
          let first = input.lastEventId == null;
          while (!signal?.aborted) {
            const current = platform.history.at(-1);
            if (current) {
              const terminal = isTerminalPhase(current.phase);
              if (first || current.version > sent || terminal) {
                first = false;
                sent = current.version;
                yield tracked(String(current.version), current);
                if (terminal) return;
              }
            }
            await once(platform.changes, "change", { signal }).catch(() => undefined);
          }
        }),
    }),
  });
}

async function startFakeServer(platform: Platform) {
  const router = createRouter(platform);
  const http: Server = createServer(createHTTPHandler({ router, basePath: "/trpc/" }));
  const wss = new WebSocketServer({ server: http });
  const handler = applyWSSHandler({ wss, router });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Drops every WebSocket as a crashed server or a broken network would. */
    dropConnections() {
      for (const socket of wss.clients) socket.terminate();
    },
    async close() {
      handler.broadcastReconnectNotification();
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

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
    expect(await store.get(id)).toMatchObject({ ticket: "sealed-ticket" });
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
      launch: { id, ticket: "sealed-ticket" },
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
    await followLaunch(client, { launch: { id, ticket: "sealed-ticket" }, store }).done();
    const again = await followLaunch(client, { launch: id, store }).done();
    expect(again?.access?.url).toBe("http://x/");
    expect(platform.follows).toEqual([null, "1"]);
  });

  it("throws a typed refusal for a refused ticket", async () => {
    const store = memoryStore();
    const follow = followLaunch(client, { launch: { id, ticket: "tampered" }, store }).done();
    await expect(follow).rejects.toMatchObject({ code: "ticket_refused", tokenCode: "invalid" });
    await expect(follow).rejects.toBeInstanceOf(LauncherError);
  });

  it("stops when aborted and keeps the ticket", async () => {
    const store = memoryStore();
    const controller = new AbortController();
    platform.publish("starting");
    const last = await followLaunch(client, {
      launch: { id, ticket: "sealed-ticket" },
      store,
      signal: controller.signal,
      onSnapshot: () => controller.abort(),
    }).done();
    expect(last).toBeUndefined();
    expect(await store.get(id)).toMatchObject({ lastEventId: "0" });
  });

  it("drops the ticket of a failed launch", async () => {
    const store = memoryStore();
    platform.publish("failed", { error: "no port" });
    const last = await followLaunch(client, {
      launch: { id, ticket: "sealed-ticket" },
      store,
    }).done();
    expect(last?.error).toBe("no port");
    expect(await store.list()).toEqual([]);
  });

  it("gives up with `unreachable` when the server stays away", async () => {
    const store = memoryStore();
    platform.publish("starting");
    const states: string[] = [];
    const follow = followLaunch(client, {
      launch: { id, ticket: "sealed-ticket" },
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
