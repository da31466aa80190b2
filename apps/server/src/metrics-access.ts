import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { normalizeAddress } from "./auth/trusted-proxies.ts";

/**
 * Who may read `/metrics`: a peer on loopback or a trusted proxy, or anyone with the bearer
 * token. A request that a proxy forwarded is judged by the clients it was forwarded for, so a
 * reverse proxy on the same host (a loopback peer) does not open the metrics to the internet;
 * and one forwarded by a proxy that is not trusted is refused, since its client is unknown.
 */
export interface MetricsAccess {
  /** `LAUNCHER_METRICS_TOKEN`, when set. */
  token?: string;
  /** Whether an address is a trusted proxy (`LAUNCHER_TRUSTED_PROXIES`, `LAUNCHER_TRUST_PROXY`). */
  isTrustedProxy?: (address: string) => boolean;
}

const FORWARDING_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip"] as const;

/** `::ffff:127.0.0.1` → `127.0.0.1`; brackets (`Forwarded: for="[::1]"`) and zone ids dropped. */
export function plainAddress(address: string): string {
  return normalizeAddress(address.trim().replace(/^\[|\]$/g, ""));
}

export function isLoopback(address: string): boolean {
  const plain = plainAddress(address);
  if (isIP(plain) === 4) return plain.startsWith("127.");
  return plain === "::1";
}

const digest = (value: string) => createHash("sha256").update(value).digest();

function bearerMatches(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  const given = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  // Compared as digests: equal lengths, and no timing hint about the token.
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/** The addresses a request was forwarded for, as the proxies wrote them. */
function forwardedFor(req: IncomingMessage): string[] | undefined {
  const present = FORWARDING_HEADERS.filter((name) => req.headers[name] !== undefined);
  if (present.length === 0) return undefined;
  const values = present.flatMap((name) => {
    const raw = req.headers[name];
    const text = Array.isArray(raw) ? raw.join(",") : (raw ?? "");
    if (name !== "forwarded") return text.split(",");
    // RFC 7239: `for=192.0.2.1;proto=https, for="[2001:db8::1]:4711"`
    return [...text.matchAll(/for="?([^;,"]+)"?/gi)].map((m) =>
      m[1]!.replace(/^(\[[^\]]+\]|[\d.]+):\d+$/, "$1"),
    );
  });
  return values.map((v) => v.trim()).filter(Boolean);
}

export function mayReadMetrics(req: IncomingMessage, access: MetricsAccess): boolean {
  if (access.token && bearerMatches(req, access.token)) return true;
  const trusted = (address: string) =>
    isLoopback(address) || (access.isTrustedProxy?.(plainAddress(address)) ?? false);
  const peer = req.socket.remoteAddress ?? "";
  if (!trusted(peer)) return false;
  const forwarded = forwardedFor(req);
  if (forwarded === undefined) return true;
  if (!(access.isTrustedProxy?.(plainAddress(peer)) ?? false)) return false;
  return forwarded.length > 0 && forwarded.every(trusted);
}
