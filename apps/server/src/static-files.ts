import { open, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { pipeline } from "node:stream/promises";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
};

/** Headers every page gets: no inline scripts, no framing, no sniffing, no referrer leaks. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Launcher</title></head>
<body><h1>Launcher</h1><p>The web app is not built. Run the build, then reload.</p>
<p>The API answers at <code>/trpc</code>.</p></body></html>`;

/**
 * Serves the built web app from `root`: files by path, and `index.html` for any other
 * GET, so that the app's own routes survive a reload. Hashed assets are cached for good.
 */
export function createStaticHandler(root: string) {
  const base = normalize(root) + sep;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", ...SECURITY_HEADERS }).end();
      return;
    }
    const url = new URL(req.url ?? "/", "http://launcher");
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      decoded = "/"; // a malformed escape (`/%`): the app's page, like any unknown path
    }
    let path = normalize(join(base, decoded));
    if (!path.startsWith(base)) path = join(base, "index.html");
    let info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      path = join(base, "index.html");
      info = await stat(path).catch(() => undefined);
    }
    if (!info?.isFile()) {
      res.writeHead(200, { "content-type": TYPES[".html"]!, ...SECURITY_HEADERS }).end(NOT_BUILT);
      return;
    }
    const file = await open(path).catch(() => undefined);
    if (!file) {
      res.writeHead(500, SECURITY_HEADERS).end();
      return;
    }
    const immutable = path.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "content-length": info.size,
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      ...SECURITY_HEADERS,
    });
    if (req.method === "HEAD") {
      await file.close();
      res.end();
      return;
    }
    // A read that fails mid-way (or a client that goes away) ends this response, not the
    // server: `pipe` would leave the read stream's error unhandled.
    await pipeline(file.createReadStream(), res).catch(() => {});
  };
}
