import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { extname, join } from "node:path";
import { forwardHttp } from "@launcher/testing";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
};

/**
 * A front proxy, like the load balancer of a deployment: it serves the built app (and any
 * extra pages) itself, so the page loads while the launcher is down, and passes everything
 * else — HTTP and WebSocket upgrades — to the launcher, answering 502 when it is away.
 * Upgrades carry the launcher's own origin, as a same-site deployment's would.
 */
export async function startFrontProxy(options: {
  target: string;
  dist: string;
  pages: Map<string, string>;
}) {
  const target = new URL(options.target);
  const server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const page = options.pages.get(path);
    if (page !== undefined) {
      res.writeHead(200, { "content-type": TYPES[".html"], "cache-control": "no-cache" });
      res.end(page);
      return;
    }
    if (path === "/" || path.startsWith("/assets/")) {
      const file = path === "/" ? "index.html" : path.slice(1);
      const body = await readFile(join(options.dist, file)).catch(() => undefined);
      res.writeHead(body ? 200 : 404, { "content-type": TYPES[extname(file)] ?? "text/plain" });
      res.end(body);
      return;
    }
    forwardHttp(req, res, target);
  });
  const tunnels = new Set<{ destroy(): void }>();
  server.on("upgrade", (req, socket, head) => {
    tunnels.add(socket);
    socket.on("close", () => tunnels.delete(socket));
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        const lower = name.toLowerCase();
        if (lower === "host") lines.push(`Host: ${target.host}`);
        else if (lower === "origin") lines.push(`Origin: ${target.origin}`);
        else lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
    upstream.on("close", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of tunnels) socket.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
