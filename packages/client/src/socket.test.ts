import { createHash } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { waitFor } from "@launcher/testing";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { createPlatform, startFakeServer, TICKET } from "../test/fake-server.ts";
import type { ConnectionState } from "./connection.ts";
import { createLauncherClient, type LauncherClient } from "./create-client.ts";

/** A WebSocket server that completes the upgrade and then hangs: it never answers again. */
async function hungServer(): Promise<{ url: string; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.once("data", (data) => {
      const key = /sec-websocket-key: (.+)\r\n/i.exec(data.toString())?.[1]?.trim() ?? "";
      const accept = createHash("sha1")
        .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest("base64");
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      socket.pause(); // the hang: nothing more is read or answered
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, sockets };
}

function stateOf(client: LauncherClient) {
  const states: ConnectionState[] = [];
  const errors: string[] = [];
  client.connection.subscribe((state, error) => {
    states.push(state);
    if (error) errors.push(error.message);
  });
  const reached = (state: ConnectionState) =>
    new Promise<void>((resolve) => {
      const stop = client.connection.subscribe((now) => {
        if (now !== state) return;
        queueMicrotask(() => stop());
        resolve();
      });
    });
  return { states, errors, reached };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("the client's WebSocket", () => {
  it("closes without waiting for a hung server's closing handshake", async () => {
    const hung = await hungServer();
    cleanups.push(() => new Promise((resolve) => hung.server.close(() => resolve())));
    cleanups.push(() => {
      for (const socket of hung.sockets) socket.destroy();
    });
    const client = createLauncherClient({ url: hung.url, WebSocket });
    const { reached } = stateOf(client);
    client.launch.follow.subscribe({ ticket: TICKET }, {});
    const plain = new WebSocket(hung.url.replace("http", "ws"));
    await Promise.all([reached("connected"), new Promise((r) => plain.once("open", r))]);
    plain.close();
    await client.close();
    // The plain `ws` socket, closed at the same moment, still waits for the server.
    expect(plain.readyState).toBe(WebSocket.CLOSING);
    plain.terminate();
  });

  it("drops a connection that stops answering: a quiet spell, a ping, no pong", async () => {
    const hung = await hungServer();
    cleanups.push(() => new Promise((resolve) => hung.server.close(() => resolve())));
    cleanups.push(() => {
      for (const socket of hung.sockets) socket.destroy();
    });
    const client = createLauncherClient({
      url: hung.url,
      WebSocket,
      keepAlive: { intervalMs: 50, pongTimeoutMs: 50 },
    });
    cleanups.push(() => client.close());
    const { errors, reached } = stateOf(client);
    client.launch.follow.subscribe({ ticket: TICKET }, {});
    await reached("connected");
    await reached("reconnecting");
    expect(errors[0]).toMatch(/stopped answering/);
  });

  it("answers the server's pings, so that the server keeps it", async () => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise((resolve) => wss.once("listening", resolve));
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const { port } = wss.address() as { port: number };
    const pong = new Promise<string>((resolve) =>
      wss.once("connection", (ws) => {
        ws.on("message", (data) => data.toString() === "PONG" && resolve("PONG"));
        ws.send("PING");
      }),
    );
    const client = createLauncherClient({ url: `http://127.0.0.1:${port}`, WebSocket });
    cleanups.push(() => client.close());
    client.launch.follow.subscribe({ ticket: TICKET }, {});
    expect(await pong).toBe("PONG");
  });

  it("comes back on the first probe that finds the server listening again, with no backoff step", async () => {
    const platform = createPlatform();
    platform.publish("starting");
    let server = await startFakeServer(platform);
    const { port, url } = server;
    const probes: boolean[] = [];
    const backoffs: number[] = [];
    const client = createLauncherClient({
      url,
      WebSocket,
      probeDelayMs: () => 20,
      retryDelayMs: (attempt) => {
        backoffs.push(attempt);
        return 20;
      },
      fetch: async (input, init) => {
        const response = await fetch(input, init).catch((error) => {
          probes.push(false);
          throw error;
        });
        probes.push(response.ok);
        return response;
      },
    });
    cleanups.push(() => client.close());
    const { reached } = stateOf(client);
    const data: unknown[] = [];
    client.launch.follow.subscribe({ ticket: TICKET }, { onData: (event) => data.push(event) });
    await reached("connected");
    await server.close();
    await reached("reconnecting");
    // Down for a while: the client keeps probing, and finds nothing.
    await waitFor(() => probes.length >= 3, "three probes that find nothing");
    server = await startFakeServer(platform, { port });
    cleanups.push(() => server.close());
    await reached("connected");
    expect(probes.at(-1)).toBe(true);
    expect(probes.filter(Boolean)).toHaveLength(1);
    expect(backoffs).toEqual([]);
    expect(server.connections()).toBe(1);
  });

  it("keeps probing when a probe fails in any way, even by throwing at once", async () => {
    const platform = createPlatform();
    platform.publish("starting");
    let server = await startFakeServer(platform);
    const { port, url } = server;
    let broken = 3;
    const client = createLauncherClient({
      url,
      WebSocket,
      probeDelayMs: () => 20,
      fetch: (input, init) => {
        if (broken > 0) {
          broken--;
          throw new TypeError("a fetch that throws instead of rejecting");
        }
        return fetch(input, init);
      },
    });
    cleanups.push(() => client.close());
    const { reached } = stateOf(client);
    client.launch.follow.subscribe({ ticket: TICKET }, {});
    await reached("connected");
    await server.close();
    await reached("reconnecting");
    await waitFor(() => broken === 0, "the three throwing probes");
    server = await startFakeServer(platform, { port });
    cleanups.push(() => server.close());
    await reached("connected");
  });
});
