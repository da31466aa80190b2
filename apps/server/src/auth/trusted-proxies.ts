import { BlockList, isIP } from "node:net";
import type { Env } from "../env.ts";

/** The peers whose `X-Forwarded-For` (and user header) the server believes. */
export interface TrustedProxies {
  has(address: string): boolean;
  readonly empty: boolean;
}

/** `LAUNCHER_TRUST_PROXY=1`: the loopback range, a proxy on the same machine. */
export const LOOPBACK_RANGES = ["127.0.0.0/8", "::1/128"] as const;

/**
 * An address as the rules compare it: an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what
 * a dual-stack socket reports) as its IPv4 address; a zone id dropped.
 */
export function normalizeAddress(address: string): string {
  const bare = address.trim().replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  return mapped ?? bare;
}

/** One `LAUNCHER_TRUSTED_PROXIES` entry (`10.0.0.1`, `10.0.0.0/8`, `fd00::/8`), or undefined. */
export function parseProxyEntry(
  entry: string,
): { network: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  const [address = "", prefixText, ...rest] = entry.trim().split("/");
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  return { network: address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/**
 * The trusted proxies from addresses and CIDRs (IPv4 and IPv6). Throws a TypeError naming
 * the first entry that is neither.
 * @example
 * const trusted = makeTrustedProxies(["10.0.0.0/8", "::1"]);
 * trusted.has("10.1.2.3"); // true
 */
export function makeTrustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseProxyEntry(entry);
    if (!parsed) throw new TypeError(`not an address or CIDR: "${entry}"`);
    list.addSubnet(parsed.network, parsed.prefix, parsed.family);
  }
  return {
    empty: entries.length === 0,
    has(address) {
      const bare = normalizeAddress(address);
      const version = isIP(bare);
      return version !== 0 && list.check(bare, version === 4 ? "ipv4" : "ipv6");
    },
  };
}

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then the right-most
 * `X-Forwarded-For` entry that is not a trusted proxy (each proxy appends the address it
 * saw, so everything left of that one was written by the client and proves nothing). When
 * every hop is trusted, the left-most; an entry that is no address stops the walk at the
 * hop that reported it.
 */
export function clientAddressOf(
  peer: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trusted: TrustedProxies,
): string {
  let client = normalizeAddress(peer ?? "") || "unknown";
  if (forwardedFor === undefined || !trusted.has(client)) return client;
  const hops = (typeof forwardedFor === "string" ? [forwardedFor] : forwardedFor)
    .flatMap((header) => header.split(","))
    .map(normalizeAddress)
    .filter(Boolean);
  for (const hop of hops.reverse()) {
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}

/** The proxies the environment trusts: `LAUNCHER_TRUSTED_PROXIES`, and loopback with `LAUNCHER_TRUST_PROXY=1`. */
export function trustedProxiesOf(
  env: Pick<Env, "LAUNCHER_TRUSTED_PROXIES" | "LAUNCHER_TRUST_PROXY">,
): TrustedProxies {
  return makeTrustedProxies([
    ...env.LAUNCHER_TRUSTED_PROXIES,
    ...(env.LAUNCHER_TRUST_PROXY ? LOOPBACK_RANGES : []),
  ]);
}
