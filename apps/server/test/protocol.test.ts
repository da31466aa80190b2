// The WebSocket messages as docs/protocol.md describes them, checked against the real server
// with a bare WebSocket (no tRPC client), so that a client in any language can rely on them.
import { startServer, type TestServer, waitFor } from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { followRaw, openSocket } from "./raw-ws.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { LAUNCHER_FIXTURES: "1" } });
});
afterAll(async () => {
  await server?.dispose();
});

async function prepare(template = "scratchpad"): Promise<string> {
  const response = await fetch(`${server.url}/trpc/launch.prepare`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ template }),
  });
  const body = (await response.json()) as { result: { data: { ticket: string } } };
  return body.result.data.ticket;
}

/** Every text frame a socket receives from now on. */
function record(ws: WebSocket): string[] {
  const texts: string[] = [];
  ws.on("message", (data: Buffer) => texts.push(data.toString()));
  return texts;
}

const types = (frames: unknown[]) =>
  frames.map((f) => {
    const frame = f as { result?: { type: string }; error?: unknown };
    return frame.error ? "error" : frame.result?.type;
  });

/** A `launch.follow` subscription message; `lastEventId` in params, as tRPC's client sends it. */
const followMessage = (id: number, input: Record<string, unknown>, lastEventId?: string) =>
  JSON.stringify({
    id,
    method: "subscription",
    params: { path: "launch.follow", input, lastEventId },
  });

/** Opens a socket, records its text frames and waits for the server to answer its PING. */
async function openAnswered(url: string) {
  const ws = await openSocket(url);
  const texts = record(ws);
  ws.send("PING");
  await waitFor(() => texts.includes("PONG"), "PONG");
  return { ws, texts };
}

describe("the WebSocket protocol of docs/protocol.md", () => {
  it("subscribe: started, tracked data frames up to the terminal snapshot, then stopped", async () => {
    const ticket = await prepare();
    const follow = await followRaw(server.url, { ticket });
    const kinds = types(follow.frames);
    expect(kinds[0]).toBe("started");
    expect(kinds.at(-1)).toBe("stopped");
    expect(kinds.slice(1, -1).every((k) => k === "data")).toBe(true);
    // A data frame: { id, result: { type: "data", id: EVENT_ID, data: { id: EVENT_ID, data: SNAPSHOT } } }
    type DataFrame = {
      result: { id: string; data: { id: string; data: { version: number } } };
    };
    for (const frame of follow.frames.slice(1, -1) as DataFrame[]) {
      expect(Object.keys(frame).sort()).toEqual(["id", "result"]);
      expect(frame.result.id).toBe(frame.result.data.id);
      expect(frame.result.id).toBe(String(frame.result.data.data.version));
    }
    expect(follow.eventIds[0]).toBe("0");
    expect(follow.snapshots[0]!.phase).toBe("preparing");
    expect(follow.snapshots.at(-1)!.phase).toBe("ready");
  });

  it("resume: with lastEventId (in the input or in params) only newer snapshots, and a terminal one again", async () => {
    const ticket = await prepare();
    const first = await followRaw(server.url, { ticket });
    const last = first.eventIds.at(-1)!;
    const again = await followRaw(server.url, { ticket, lastEventId: last });
    expect(types(again.frames)).toEqual(["started", "data", "stopped"]);
    expect(again.snapshots[0]!.phase).toBe("ready");

    // tRPC's own client sends it as params.lastEventId; the server merges it into the input.
    // Mid-launch (held in "starting" a while), the snapshot already seen is not sent again.
    const slow = await prepare("scratchpad-slow");
    const ws = await openSocket(server.url);
    const frames: Array<{ id: number; result?: { type: string; id?: string } }> = [];
    ws.on("message", (data: Buffer) => {
      if (data.toString().startsWith("{")) frames.push(JSON.parse(data.toString()));
    });
    const subscribe = (id: number, lastEventId?: string) =>
      ws.send(followMessage(id, { ticket: slow }, lastEventId));
    const dataOf = (id: number) =>
      frames.filter((f) => f.id === id && f.result?.type === "data").map((f) => f.result!.id!);
    subscribe(7);
    await waitFor(() => dataOf(7).some((eventId) => eventId !== "0"), "an event past preparing");
    ws.send(JSON.stringify({ id: 7, method: "subscription.stop" }));
    await waitFor(() => frames.some((f) => f.id === 7 && f.result?.type === "stopped"), "stop");
    const seen = dataOf(7).at(-1)!;
    subscribe(8, seen);
    await waitFor(() => frames.some((f) => f.id === 8 && f.result?.type === "stopped"), "ready");
    expect(dataOf(8).length).toBeGreaterThan(0);
    expect(dataOf(8).every((eventId) => BigInt(eventId) > BigInt(seen))).toBe(true);
    ws.close();
  });

  it("stop: subscription.stop ends the subscription with stopped, and no data after it", async () => {
    const ticket = await prepare("scratchpad-slow");
    const ws = await openSocket(server.url);
    const texts = record(ws);
    ws.send(followMessage(1, { ticket }));
    await waitFor(() => texts.some((t) => t.includes('"type":"data"')), "a first event");
    ws.send(JSON.stringify({ id: 1, method: "subscription.stop" }));
    await waitFor(() => texts.some((t) => t.includes('"type":"stopped"')), "stopped");
    const stoppedAt = texts.findIndex((t) => t.includes('"type":"stopped"'));
    // Still open: a ping is answered.
    ws.send("PING");
    await waitFor(() => texts.includes("PONG"), "PONG");
    // The launch goes on: a second subscription on the same socket sees it to its end, and the
    // stopped one got none of those events.
    ws.send(followMessage(2, { ticket }));
    const json = (list: string[]) =>
      list.filter((t) => t.startsWith("{")).map((t) => JSON.parse(t));
    const frames = () => json(texts);
    await waitFor(
      () => frames().some((f) => f.id === 2 && f.result?.data?.data?.phase === "ready"),
      "the launch ready on the second subscription",
    );
    const later = json(texts.slice(stoppedAt + 1));
    expect(later.map((f) => f.id).filter((id) => id !== 2)).toEqual([]);
    expect(later.length).toBeGreaterThan(1);
    ws.close();
  });

  it("errors: a refused ticket is an error frame with data.tokenCode, then stopped; a bad input is an error frame alone", async () => {
    const refused = await followRaw(server.url, { ticket: "not-a-ticket" });
    expect(types(refused.frames)).toEqual(["started", "error", "stopped"]);
    expect(refused.error).toEqual({
      code: -32001,
      message: "Ticket refused: malformed",
      data: {
        code: "UNAUTHORIZED",
        httpStatus: 401,
        path: "launch.follow",
        tokenCode: "malformed",
      },
    });

    const ws = await openSocket(server.url);
    const texts = record(ws);
    ws.send(followMessage(2, { ticket: "x", lastEventId: "not a number" }));
    await waitFor(() => texts.length > 0, "an answer");
    const [frame] = texts.map((t) => JSON.parse(t));
    expect(frame).toMatchObject({ id: 2, error: { code: -32600, data: { code: "BAD_REQUEST" } } });
    ws.send("PING");
    await waitFor(() => texts.includes("PONG"), "PONG");
    expect(texts).toHaveLength(2); // the error, then our PONG: no "stopped" for a bad input
    ws.close();
  });

  it("a frame that is not a tRPC message is a PARSE_ERROR with id null", async () => {
    const ws = await openSocket(server.url);
    const texts = record(ws);
    ws.send("{not json");
    await waitFor(() => texts.length > 0, "an answer");
    expect(JSON.parse(texts[0]!)).toMatchObject({
      id: null,
      error: { code: -32700, data: { code: "PARSE_ERROR", httpStatus: 400 } },
    });
    ws.close();
  });

  it("queries and mutations may go over the socket too: one data frame", async () => {
    const ws = await openSocket(server.url);
    const texts = record(ws);
    ws.send(JSON.stringify({ id: 3, method: "query", params: { path: "templates.list" } }));
    await waitFor(() => texts.length > 0, "an answer");
    const frame = JSON.parse(texts[0]!);
    expect(frame.id).toBe(3);
    expect(frame.result.type).toBe("data");
    expect(frame.result.data.defaultTemplate).toBe("scratchpad");
    ws.close();
  });

  it("keep-alive: the server pings a quiet client with PING and answers PING with PONG", async () => {
    const { ws, texts } = await openAnswered(server.url);
    await waitFor(() => texts.includes("PING"), "the server's PING", { timeoutMs: 30_000 });
    ws.send("PONG");
    ws.close();
  }, 45_000);

  it("a browser page of another origin is refused at the upgrade; no Origin is allowed", async () => {
    const foreign = new WebSocket(`${server.url.replace(/^http/, "ws")}/trpc`, {
      headers: { origin: "https://elsewhere.example" },
    });
    const status = await new Promise<number | undefined>((resolve) => {
      foreign.once("unexpected-response", (_req, res) => resolve(res.statusCode));
      foreign.once("open", () => resolve(undefined));
      foreign.once("error", () => undefined);
    });
    expect(status).toBe(403);
    foreign.terminate();
  });

  it("reconnect: a server going away sends { id: null, method: reconnect } first", async () => {
    const { texts } = await openAnswered(server.url);
    await server.kill("SIGTERM");
    await waitFor(() => texts.length > 1, "the notice");
    expect(JSON.parse(texts[1]!)).toEqual({ id: null, method: "reconnect" });
    await server.restart();
  });
});
