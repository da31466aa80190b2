import { type IncomingMessage, request, type ServerResponse } from "node:http";

/**
 * Sends a request on to `target` (its body included) and its answer back, as a plain HTTP
 * proxy does; a target that cannot be reached answers 502 (or the connection is cut once an
 * answer has begun).
 * @example
 * createServer((req, res) => forwardHttp(req, res, new URL("http://127.0.0.1:3000")));
 */
export function forwardHttp(req: IncomingMessage, res: ServerResponse, target: URL): void {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  });
  req.pipe(upstream);
}
