/**
 * A WebSocket class whose `close()` reports the close at once. tRPC's keep-alive closes a
 * socket whose pong is late, but on a hung connection the browser only fires `close` when
 * the closing handshake ends, which can take 30 s; until then nothing reconnects. With this
 * class the client sees the close immediately and reconnects; the late real event is dropped.
 * @example
 * createWSClient({ url, WebSocket: makeWatchdogWebSocket(), keepAlive: { enabled: true } });
 */
export function makeWatchdogWebSocket(Base: typeof WebSocket = WebSocket): typeof WebSocket {
  return class WatchdogWebSocket extends Base {
    #early: Event | undefined;

    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      // Registered first, so it runs before tRPC's listeners.
      this.addEventListener("close", (event) => {
        if (this.#early && event !== this.#early) event.stopImmediatePropagation();
      });
    }

    override close(code?: number, reason?: string): void {
      // A socket still connecting is aborted without a handshake: its close comes quickly.
      const open = this.readyState === Base.OPEN;
      super.close(code, reason);
      if (!open || this.#early) return;
      this.#early = new CloseEvent("close", { code: code ?? 1000, reason, wasClean: false });
      this.dispatchEvent(this.#early);
    }
  };
}
