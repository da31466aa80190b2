import { createHash } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { withBoundedClose } from "./create-client.ts";

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
  return { url: `ws://127.0.0.1:${port}`, server, sockets };
}

const opened = (ws: WebSocket) =>
  new Promise<void>((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });

describe("withBoundedClose", () => {
  let hung: Awaited<ReturnType<typeof hungServer>> | undefined;
  afterEach(async () => {
    if (!hung) return;
    for (const socket of hung.sockets) socket.destroy();
    await new Promise((resolve) => hung!.server.close(resolve));
    hung = undefined;
  });

  it("reports the close of a socket to a hung server without waiting for its handshake", async () => {
    hung = await hungServer();
    const Bounded = withBoundedClose(WebSocket);
    const bounded = new Bounded(hung.url);
    const plain = new WebSocket(hung.url);
    await Promise.all([opened(bounded), opened(plain)]);
    const closed = new Promise<void>((resolve) => bounded.once("close", () => resolve()));
    bounded.close();
    plain.close();
    await closed;
    // The plain `ws` socket, closed at the same moment, still waits for the server.
    expect(plain.readyState).toBe(WebSocket.CLOSING);
    plain.terminate();
  });

  it("leaves a WebSocket without `terminate` (the browser's) as it is", () => {
    class BrowserLike {}
    expect(withBoundedClose(BrowserLike)).toBe(BrowserLike);
  });
});
