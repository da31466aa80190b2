import WebSocket from "ws";

/**
 * A minimal tRPC WebSocket client for the benchmark: many subscriptions per connection at
 * little cost on the benchmark's side, with tRPC's own resume rule (resubscribe with the
 * last event id after a reconnect) and every reply timed. Same wire as `wsLink`.
 */
export interface Follower {
  ticket: string;
  /** The last event id seen (sent as `lastEventId` on every (re)subscribe). */
  lastEventId?: string;
  /** Every event id received, in order. */
  ids: string[];
  phases: string[];
  errors: string[];
  /** When the latest subscribe was sent, and when the server acknowledged it. */
  subscribedAt?: number;
  startedAt?: number;
  /** When the first event after the latest subscribe arrived. */
  firstEventAt?: number;
  stopped: boolean;
}

interface Reply {
  id: number | null;
  method?: string;
  /** A tracked event's data is `{ id, data: snapshot }` (no transformer). */
  result?: {
    type: "started" | "data" | "stopped";
    id?: string;
    data?: { id: string; data: { phase: string } };
  };
  error?: { message: string };
}

export class RawClient {
  private ws: WebSocket | undefined;
  private readonly followers = new Map<number, Follower>();
  private nextId = 1;
  private closing = false;
  reconnects = 0;
  notifications = 0;

  constructor(
    private readonly url: string,
    private readonly options: { reconnect: boolean; retryMs?: number } = { reconnect: false },
  ) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.on("message", (data: Buffer) => {
        const text = data.toString();
        // tRPC's keep-alive: the server pings in text and drops a client that does not answer.
        if (text === "PING") ws.send("PONG");
        else if (text !== "PONG") this.onMessage(JSON.parse(text) as Reply);
      });
      ws.once("open", () => {
        for (const [id, follower] of this.followers) {
          if (!follower.stopped) this.send(ws, id, follower);
        }
        resolve();
      });
      ws.once("error", reject);
      // One retry chain: a failed attempt ends in `close` too, which schedules the next.
      ws.once("close", () => {
        if (ws !== this.ws || this.closing || !this.options.reconnect) return;
        this.reconnects++;
        setTimeout(() => {
          if (!this.closing) this.open().catch(() => {});
        }, this.options.retryMs ?? 50);
      });
    });
  }

  follow(ticket: string, lastEventId?: string): Follower {
    const follower: Follower = {
      ticket,
      lastEventId,
      ids: [],
      phases: [],
      errors: [],
      stopped: false,
    };
    const id = this.nextId++;
    this.followers.set(id, follower);
    if (this.ws?.readyState === WebSocket.OPEN) this.send(this.ws, id, follower);
    return follower;
  }

  close(): void {
    this.closing = true;
    this.ws?.terminate();
  }

  private send(ws: WebSocket, id: number, follower: Follower) {
    follower.subscribedAt = performance.now();
    follower.startedAt = undefined;
    follower.firstEventAt = undefined;
    const input: Record<string, string> = { ticket: follower.ticket };
    if (follower.lastEventId !== undefined) input.lastEventId = follower.lastEventId;
    ws.send(
      JSON.stringify({ id, method: "subscription", params: { path: "launch.follow", input } }),
    );
  }

  private onMessage(reply: Reply) {
    if (reply.method === "reconnect") {
      this.notifications++;
      return;
    }
    const follower = reply.id === null ? undefined : this.followers.get(reply.id);
    if (!follower) return;
    if (reply.error) {
      follower.errors.push(reply.error.message);
      follower.stopped = true;
      return;
    }
    const result = reply.result!;
    if (result.type === "started") follower.startedAt = performance.now();
    else if (result.type === "stopped") follower.stopped = true;
    else {
      follower.firstEventAt ??= performance.now();
      follower.ids.push(result.id!);
      follower.phases.push(result.data!.data.phase);
      follower.lastEventId = result.id;
    }
  }
}
