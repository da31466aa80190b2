import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { isLoopback, mayReadMetrics, plainAddress } from "./metrics-access.ts";

// Requests as `node:http` hands them over: only the peer address and the headers matter here.
const request = (peer: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress: peer }, headers }) as unknown as IncomingMessage;

const PROXY = "192.0.2.10";
const trusted = { isTrustedProxy: (address: string) => address === PROXY };

describe("who may read /metrics", () => {
  it("lets loopback peers in, in every spelling", () => {
    for (const peer of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) {
      expect(mayReadMetrics(request(peer), {}), peer).toBe(true);
    }
    expect(isLoopback("[::1]")).toBe(true);
    expect(plainAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
  });

  it("refuses other peers unless they are trusted proxies", () => {
    expect(mayReadMetrics(request("198.51.100.7"), trusted)).toBe(false);
    expect(mayReadMetrics(request("::ffff:198.51.100.7"), trusted)).toBe(false);
    expect(mayReadMetrics(request(PROXY), trusted)).toBe(true);
    expect(mayReadMetrics(request(`::ffff:${PROXY}`), trusted)).toBe(true);
  });

  it("judges a forwarded request by the clients it was forwarded for", () => {
    const from = (header: string, value: string, peer = PROXY) =>
      mayReadMetrics(request(peer, { [header]: value }), trusted);
    expect(from("x-forwarded-for", "203.0.113.7")).toBe(false);
    expect(from("x-forwarded-for", "127.0.0.1, 203.0.113.7")).toBe(false);
    expect(from("x-forwarded-for", "127.0.0.1")).toBe(true);
    expect(from("x-forwarded-for", `127.0.0.1, ${PROXY}`)).toBe(true);
    expect(from("x-real-ip", "203.0.113.7")).toBe(false);
    expect(from("forwarded", 'for="[2001:db8::1]:4711";proto=https')).toBe(false);
    expect(from("forwarded", "for=203.0.113.7:8080")).toBe(false);
    expect(from("forwarded", "for=unknown")).toBe(false);
    expect(from("forwarded", 'for="[::1]:4711", for=127.0.0.1')).toBe(true);
    expect(from("x-forwarded-for", "")).toBe(false);
  });

  it("refuses a request forwarded by a loopback proxy that is not trusted: its client is unknown", () => {
    expect(mayReadMetrics(request("127.0.0.1", { "x-forwarded-for": "127.0.0.1" }), {})).toBe(
      false,
    );
    const loopbackTrusted = { isTrustedProxy: isLoopback };
    expect(
      mayReadMetrics(request("127.0.0.1", { "x-forwarded-for": "127.0.0.1" }), loopbackTrusted),
    ).toBe(true);
    expect(
      mayReadMetrics(request("127.0.0.1", { "x-forwarded-for": "203.0.113.7" }), loopbackTrusted),
    ).toBe(false);
  });

  it("lets anyone in with the bearer token, and no one with another", () => {
    const access = { token: "a-long-metrics-token-0123456789" };
    const outside = (authorization: string) =>
      mayReadMetrics(request("198.51.100.7", { authorization }), access);
    expect(outside("Bearer a-long-metrics-token-0123456789")).toBe(true);
    expect(outside("bearer a-long-metrics-token-0123456789")).toBe(true);
    expect(outside("Bearer a-long-metrics-token-012345678")).toBe(false);
    expect(outside("Bearer ")).toBe(false);
    expect(outside("Basic a-long-metrics-token-0123456789")).toBe(false);
    expect(mayReadMetrics(request("198.51.100.7"), access)).toBe(false);
  });
});
