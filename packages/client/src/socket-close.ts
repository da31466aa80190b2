import type { SocketLike } from "./connection.ts";

/** How long a closing socket may wait for the server's closing handshake. */
export const CLOSE_GRACE_MS = 1_000;

const ignore = () => {};

/** Closes `ws`, waiting at most {@link CLOSE_GRACE_MS} for the server's closing handshake. */
export function closeGracefully(ws: SocketLike): Promise<void> {
  return new Promise((resolve) => {
    detach(ws);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    ws.onclose = done;
    // `ws` (Node) waits up to 30 s for a hung server's closing handshake; cut it short.
    const timer = setTimeout(() => {
      ws.terminate?.();
      done();
    }, CLOSE_GRACE_MS);
    try {
      ws.close(1000);
    } catch {
      done();
    }
  });
}

/** Stops listening to a socket. A no-op error listener stays: `ws` throws an unheard error. */
export function detach(ws: SocketLike): void {
  ws.onopen = ignore;
  ws.onmessage = ignore;
  ws.onclose = ignore;
  ws.onerror = ignore;
}
