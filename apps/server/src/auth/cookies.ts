import type { IncomingMessage } from "node:http";

/** The value of cookie `name` in the request (the first, when sent twice), or undefined. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    return value;
  }
  return undefined;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  path: string;
  /** Only over https (set when the public URL is https). */
  secure: boolean;
}

/**
 * A `Set-Cookie` value that scripts cannot read (HttpOnly) and that other sites' requests
 * do not carry (SameSite=Lax: a top-level GET navigation, such as the identity provider's
 * redirect back, still does). `value` must be cookie-safe (sealed tokens are base64url).
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAge}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}
