import { describe, expect, it } from "vitest";
import { addressKey, createRateLimiter, RateLimitError } from "./rate-limit.ts";

const refusal = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe("createRateLimiter", () => {
  it("refuses past the burst with a retry hint, and refills", () => {
    const limiter = createRateLimiter({ perMinute: 60, burst: 2 });
    limiter.hit("a", 0);
    limiter.hit("a", 0);
    const error = refusal(() => limiter.hit("a", 0));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBe(1);
    expect(refusal(() => limiter.check("a", 0))).toBeInstanceOf(RateLimitError);
    // Another key has its own bucket; a second later one token is back.
    limiter.hit("b", 0);
    limiter.hit("a", 1000);
  });

  it("forgets idle keys even when they never come back", () => {
    const limiter = createRateLimiter({ perMinute: 60, burst: 5 });
    for (let i = 0; i < 100; i++) limiter.hit(`10.0.0.${i}`, 0);
    expect(limiter.size).toBe(100);
    // Five seconds refill every bucket: the next hit of anyone sweeps the idle ones.
    limiter.hit("10.0.1.1", 5000);
    expect(limiter.size).toBe(1);
  });

  it("keeps a bounded number of keys under a flood of new ones", () => {
    const limiter = createRateLimiter({ perMinute: 1, burst: 1, maxKeys: 50 });
    for (let i = 0; i < 10_000; i++) limiter.hit(`key-${i}`, i);
    expect(limiter.size).toBe(50);
    // The most recent keys are the ones kept (and still limited).
    expect(refusal(() => limiter.hit("key-9999", 10_000))).toBeInstanceOf(RateLimitError);
  });

  it("counts every address of one IPv6 /64 together", () => {
    const limiter = createRateLimiter({ perMinute: 1, burst: 2 });
    limiter.hit("2001:db8:1:2::1", 0);
    limiter.hit("2001:db8:1:2:ffff:ffff:ffff:fffe", 0);
    expect(refusal(() => limiter.hit("2001:0db8:0001:0002:abcd::9", 0))).toBeInstanceOf(
      RateLimitError,
    );
    limiter.hit("2001:db8:1:3::1", 0);
  });
});

describe("addressKey", () => {
  it("keys IPv6 by its /64 and leaves IPv4 and others alone", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:DB8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80:0:0:0:1:2:3:4")).toBe("fe80:0:0:0::/64");
    expect(addressKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(addressKey("192.0.2.1")).toBe("192.0.2.1");
    expect(addressKey("unknown")).toBe("unknown");
  });
});
