import WebSocket from "ws";

/** A frame the server sent on the WebSocket: JSON, or the keep-alive text `PING`/`PONG`. */
export type Frame = Record<string, unknown> | "PING" | "PONG";

/** What a subscription over a plain WebSocket (no tRPC client) received. */
export interface RawFollow {
  /** Every frame, in order, as the server sent it. */
  frames: Frame[];
  /** The snapshots of the data frames (`result.data.data`). */
  snapshots: Array<{ phase: string; version: number } & Record<string, unknown>>;
  /** The event ids of the data frames (`result.id`). */
  eventIds: string[];
  /** The error frame, if the subscription ended with one. */
  error?: { code: number; message: string; data: Record<string, unknown> };
}

export function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/trpc`, { headers });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/**
 * Subscribes to `launch.follow` with the messages docs/protocol.md describes and collects what
 * comes back until `stopped` (which follows the terminal snapshot, and an error too).
 */
export async function followRaw(
  url: string,
  input: { ticket: string; lastEventId?: string },
  options: { socket?: WebSocket; id?: number; timeoutMs?: number } = {},
): Promise<RawFollow> {
  const ws = options.socket ?? (await openSocket(url));
  const id = options.id ?? 1;
  const result: RawFollow = { frames: [], snapshots: [], eventIds: [] };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "stopped" within the time: ${JSON.stringify(result.frames)}`)),
        options.timeoutMs ?? 30_000,
      );
      ws.on("message", (data: Buffer) => {
        const text = data.toString();
        if (text === "PING" || text === "PONG") return;
        const frame = JSON.parse(text) as Record<string, unknown>;
        if (frame.id !== id) return;
        result.frames.push(frame);
        const body = frame.result as
          | { type: string; id?: string; data?: { id: string; data: RawFollow["snapshots"][0] } }
          | undefined;
        if (frame.error) result.error = frame.error as RawFollow["error"];
        if (body?.type === "data" && body.data) {
          result.eventIds.push(body.id!);
          result.snapshots.push(body.data.data);
        }
        if (body?.type === "stopped") {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.once("close", () => {
        clearTimeout(timer);
        reject(new Error(`the socket closed: ${JSON.stringify(result.frames)}`));
      });
      ws.send(
        JSON.stringify({ id, method: "subscription", params: { path: "launch.follow", input } }),
      );
    });
  } finally {
    if (!options.socket) ws.close();
  }
  return result;
}
