import { describe, expect, it } from "vitest";
import {
  clientAddressOf,
  LOOPBACK_RANGES,
  makeTrustedProxies,
  normalizeAddress,
  parseProxyEntry,
} from "./trusted-proxies.ts";

describe("makeTrustedProxies", () => {
  it("matches addresses and CIDRs of both families, IPv4-mapped peers too", () => {
    const trusted = makeTrustedProxies(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1"]);
    expect(trusted.has("10.200.3.4")).toBe(true);
    expect(trusted.has("::ffff:10.1.1.1")).toBe(true);
    expect(trusted.has("192.0.2.7")).toBe(true);
    expect(trusted.has("192.0.2.8")).toBe(false);
    expect(trusted.has("2001:db8:ffff::1")).toBe(true);
    expect(trusted.has("2001:db9::1")).toBe(false);
    expect(trusted.has("::1")).toBe(true);
    expect(trusted.has("11.0.0.1")).toBe(false);
    expect(trusted.has("not an address")).toBe(false);
    expect(makeTrustedProxies(LOOPBACK_RANGES).has("127.9.9.9")).toBe(true);
  });

  it("refuses entries that are neither an address nor a CIDR", () => {
    for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/8/8", "host.example", "10.0.0.0/", ""]) {
      expect(parseProxyEntry(bad), bad).toBeUndefined();
      expect(() => makeTrustedProxies([bad]), bad).toThrow(TypeError);
    }
  });
});

describe("clientAddressOf", () => {
  const trusted = makeTrustedProxies(["10.0.0.0/8"]);

  it("takes the right-most untrusted X-Forwarded-For entry, so a client cannot pick its own", () => {
    // nginx appends the address it saw to what the client sent.
    expect(clientAddressOf("10.0.0.1", "6.6.6.6, 203.0.113.9", trusted)).toBe("203.0.113.9");
    expect(clientAddressOf("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", trusted)).toBe(
      "203.0.113.9",
    );
    // Several headers count as one list, in order.
    expect(clientAddressOf("10.0.0.1", ["6.6.6.6", "203.0.113.9"], trusted)).toBe("203.0.113.9");
  });

  it("believes X-Forwarded-For only from a trusted peer", () => {
    expect(clientAddressOf("203.0.113.9", "6.6.6.6", trusted)).toBe("203.0.113.9");
    expect(clientAddressOf("::ffff:203.0.113.9", undefined, trusted)).toBe("203.0.113.9");
    expect(clientAddressOf(undefined, undefined, trusted)).toBe("unknown");
  });

  it("stops at an entry that is no address, and takes the left-most when all are trusted", () => {
    expect(clientAddressOf("10.0.0.1", "6.6.6.6, garbage", trusted)).toBe("10.0.0.1");
    expect(clientAddressOf("10.0.0.1", "10.0.0.3, 10.0.0.2", trusted)).toBe("10.0.0.3");
    expect(clientAddressOf("10.0.0.1", "2001:db8::5", trusted)).toBe("2001:db8::5");
  });

  it("normalizes mapped addresses and zone ids", () => {
    expect(normalizeAddress("::FFFF:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeAddress("fe80::1%eth0")).toBe("fe80::1");
  });
});
