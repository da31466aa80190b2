import type { SocketLike } from "./connection.ts";
import { detach } from "./socket-close.ts";

export { detach };

/** A page's sockets close on their own time: nothing waits on the closing handshake. */
export const CLOSE_GRACE_MS = 0;

/** Closes `ws` at once (a page has no process to let exit; see `socket-close.ts` for Node). */
export function closeGracefully(ws: SocketLike): Promise<void> {
  detach(ws);
  try {
    ws.close(1000);
  } catch {}
  return Promise.resolve();
}
