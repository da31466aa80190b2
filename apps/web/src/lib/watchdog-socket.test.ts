import { describe, expect, it } from "vitest";
import { makeWatchdogWebSocket } from "./watchdog-socket.ts";

/** A socket whose closing handshake hangs until the test finishes it. */
class HangingSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readyState = HangingSocket.OPEN;
  constructor(
    readonly url: string | URL,
    readonly protocols?: string | string[],
  ) {
    super();
  }
  close() {
    this.readyState = HangingSocket.CLOSING;
  }
  finishClosing() {
    this.readyState = HangingSocket.CLOSED;
    this.dispatchEvent(new CloseEvent("close", { code: 1006 }));
  }
}

describe("makeWatchdogWebSocket", () => {
  it("reports a close at once, not when a hung closing handshake ends, and only once", () => {
    const Socket = makeWatchdogWebSocket(HangingSocket as unknown as typeof WebSocket);
    const ws = new Socket("ws://127.0.0.1:1/trpc") as unknown as HangingSocket;
    const closes: number[] = [];
    ws.addEventListener("close", (e) => closes.push((e as CloseEvent).code));
    ws.close();
    expect(closes).toEqual([1000]);
    ws.finishClosing();
    expect(closes).toEqual([1000]);
  });

  it("passes a close the server started through untouched", () => {
    const Socket = makeWatchdogWebSocket(HangingSocket as unknown as typeof WebSocket);
    const ws = new Socket("ws://127.0.0.1:1/trpc") as unknown as HangingSocket;
    const closes: number[] = [];
    ws.addEventListener("close", (e) => closes.push((e as CloseEvent).code));
    ws.finishClosing();
    expect(closes).toEqual([1006]);
  });
});
