import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { loginPage, notesPage } from "./page.ts";

const MAX_BODY = 64 * 1024;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

function basicPassword(header: string | undefined): string | undefined {
  if (!header?.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

function cookieSession(header: string | undefined, name: string): string | undefined {
  return header
    ?.split(";")
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}

export interface ScratchpadOptions {
  /**
   * Names the session cookie `scratchpad-<instance>`. Cookies ignore ports, so two instances
   * on one host must not share a name or each sign-in signs the other out. Default: a
   * random name per process (its sessions live in its memory anyway).
   */
  instance?: string;
}

/**
 * The Scratchpad app: a password-protected notes page. HTTP Basic auth (any user
 * name) for scripts, a login form and a session cookie for browsers; `/health` is open.
 */
export function createScratchpad(password: string, options: ScratchpadOptions = {}): Server {
  const notes: string[] = [];
  const sessions = new Set<string>();
  const cookie = `scratchpad-${options.instance ?? randomBytes(8).toString("hex")}`;

  const send = (res: ServerResponse, status: number, html: string, headers = {}) => {
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    });
    res.end(html);
  };

  return createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://scratchpad");
    if (url.pathname === "/health") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    try {
      if (url.pathname === "/login" && req.method === "POST") {
        const form = await readBody(req);
        if (!sameSecret(form.get("password") ?? "", password)) {
          send(res, 401, loginPage(true));
          return;
        }
        const session = randomBytes(24).toString("base64url");
        sessions.add(session);
        res
          .writeHead(303, {
            location: "./",
            "set-cookie": `${cookie}=${session}; HttpOnly; SameSite=Strict; Path=/`,
          })
          .end();
        return;
      }
      const given = basicPassword(req.headers.authorization);
      const session = cookieSession(req.headers.cookie, cookie);
      const signedIn =
        (given !== undefined && sameSecret(given, password)) ||
        (session !== undefined && sessions.has(session));
      if (!signedIn) {
        const browser = !req.headers.authorization && req.headers.accept?.includes("text/html");
        send(
          res,
          401,
          loginPage(false),
          browser ? {} : { "www-authenticate": 'Basic realm="Scratchpad", charset="UTF-8"' },
        );
        return;
      }
      if (url.pathname === "/notes" && req.method === "POST") {
        const note = (await readBody(req)).get("note")?.trim();
        if (note) notes.unshift(note.slice(0, 10_000));
        res.writeHead(303, { location: "./" }).end();
        return;
      }
      send(res, 200, notesPage(notes));
    } catch {
      if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain" });
      res.end("bad request\n");
    }
  });
}
