import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What the contract fakes of platform APIs (`fly/fake-fly.ts`, `kubernetes/fake-kube.ts`)
 * share: a real HTTP server on 127.0.0.1 and a free port that records every request with the
 * status it got, answers one without the bearer token 401, lets a test inject faults
 * (answer the next N requests matching a method and path with a status, such as 429 with
 * Retry-After or a 5xx), and hands the rest, with its whole body, to the fake's own handler.
 * For tests of drivers (not exported from the package).
 */
export interface FakeRequest {
  method: string;
  url: string;
  authorization?: string;
  body: string;
  /** The status the fake answered with. */
  status?: number;
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  times: number;
}

export interface FakePlatformServerOptions {
  token: string;
  /** Answers in the platform's own error shape: a missing token (401) or an injected fault. */
  refuse(res: ServerResponse, status: number, headers?: Record<string, string>): void;
  /** Answers a request that passed authentication and hit no fault. */
  handle(req: IncomingMessage, res: ServerResponse, body: string): void | Promise<void>;
  /** Answers a request whose handling threw. */
  crashed(res: ServerResponse, error: unknown): void;
}

/**
 * @example
 * const base = await startFakePlatformServer({ token, refuse, handle, crashed });
 * base.fail({ method: "POST", path: /\/machines$/, status: 503, times: 3 });
 */
export async function startFakePlatformServer(options: FakePlatformServerOptions) {
  const requests: FakeRequest[] = [];
  const faults: Fault[] = [];

  function answer(req: IncomingMessage, res: ServerResponse, body: string) {
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return options.refuse(res, 401);
    }
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const fault = faults.find((f) => f.method === req.method && f.path.test(path));
    if (fault) {
      if (--fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      return options.refuse(res, fault.status, fault.headers);
    }
    return options.handle(req, res, body);
  }

  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const entry: FakeRequest = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        authorization: req.headers.authorization,
        body,
      };
      requests.push(entry);
      res.on("finish", () => {
        entry.status = res.statusCode;
      });
      Promise.resolve()
        .then(() => answer(req, res, body))
        .catch((error: unknown) => options.crashed(res, error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Answers the next `times` (default 1) requests matching method and path with `status`. */
    fail(fault: Omit<Fault, "times"> & { times?: number }): void {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    clearFaults(): void {
      faults.length = 0;
    },
    /** Cuts every open connection (long polls, watches), as a restarting server does. */
    dropConnections(): void {
      server.closeAllConnections();
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes a JSON answer; `undefined` answers with no body (a 204). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
