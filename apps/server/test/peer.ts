// Requests from a chosen loopback address: every 127.x.y.z is this machine, so a test can be
// a trusted proxy (127.0.0.1) and an untrusted client (127.0.0.2) at once.
import { request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import WebSocket from "ws";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as JSON (undefined when it is not). */
  json: unknown;
}

export interface PeerOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
  /** The address the request comes from (default: the kernel's pick, 127.0.0.1). */
  from?: string;
}

/** One HTTP request, answered in full. */
export function request(url: string, options: PeerOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? (options.body === undefined ? "GET" : "POST"),
        headers: {
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        localAddress: options.from,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A tRPC error as it comes over the wire (`data` from the server's errorFormatter). */
export interface WireError {
  message: string;
  data: {
    code: string;
    httpStatus: number;
    authCode?: string;
    authReason?: string;
    signIn?: string;
    retryAfter?: number;
    tokenCode?: string;
    stack?: unknown;
  };
}

/** Calls a query (GET) or a mutation (POST, with `input`) over HTTP. */
export async function call(
  url: string,
  path: string,
  options: PeerOptions & { input?: unknown } = {},
): Promise<{ status: number; data?: unknown; error?: WireError }> {
  const mutation = options.input !== undefined;
  const reply = await request(`${url}/trpc/${path}`, {
    ...options,
    body: mutation ? JSON.stringify(options.input) : undefined,
  });
  const body = reply.json as { result?: { data: unknown }; error?: WireError } | undefined;
  if (!body) throw new Error(`not JSON (${reply.status}): ${reply.text.slice(0, 200)}`);
  return { status: reply.status, data: body.result?.data, error: body.error };
}

/** An opened WebSocket, or the HTTP answer that refused the upgrade. */
export type Upgrade =
  | { open: true; ws: WebSocket; status: 101 }
  | { open: false; status: number; text: string };

/** Opens a WebSocket to the server's `/trpc`, as a browser or an app would. */
export function upgrade(
  url: string,
  options: { headers?: Record<string, string>; from?: string; origin?: string } = {},
): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/trpc`, {
      headers: options.headers,
      localAddress: options.from,
      ...(options.origin ? { origin: options.origin } : {}),
    });
    ws.once("open", () => resolve({ open: true, ws, status: 101 }));
    ws.once("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          open: false,
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString(),
        }),
      );
    });
    ws.once("error", reject);
  });
}

/** Sends one tRPC JSON-RPC message (or a batch) and waits for the reply with `id`. */
export function rpc(ws: WebSocket, message: unknown, id: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const reply = JSON.parse(data.toString()) as Record<string, unknown>;
      if (reply.id !== id) return;
      ws.off("message", onMessage);
      resolve(reply);
    };
    ws.on("message", onMessage);
    ws.once("close", () => reject(new Error("socket closed before the reply")));
    ws.send(JSON.stringify(message));
  });
}
