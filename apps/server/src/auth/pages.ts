import type { ServerResponse } from "node:http";
import { SECURITY_HEADERS } from "../static-files.ts";

/** Text as HTML: `&<>"'` escaped. */
export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Never kept by a browser or a proxy: these pages carry sign-in state and tokens. */
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * A small page of the sign-in routes: a title, then `body` (HTML the caller escaped) or a
 * paragraph of `text`, and the links back.
 */
export function page(
  res: ServerResponse,
  status: number,
  content: { title: string; text?: string; body?: string },
) {
  const title = escapeHtml(content.title);
  const body = content.body ?? `<p>${escapeHtml(content.text ?? "")}</p>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    ...NO_STORE,
    ...SECURITY_HEADERS,
  });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1>${body}<p><a href="/auth/login">Sign in</a> · <a href="/">Launcher</a></p></body></html>`);
}

/** A JSON answer that no cache keeps. */
export function json(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, {
    "content-type": "application/json",
    ...NO_STORE,
    ...SECURITY_HEADERS,
  });
  res.end(JSON.stringify(value));
}

export function redirect(res: ServerResponse, location: string, cookies: string[] = []) {
  res.writeHead(302, { location, ...NO_STORE, "set-cookie": cookies });
  res.end();
}
