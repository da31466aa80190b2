import { describe, expect, it } from "vitest";
import { ConfigError, isLoopbackHost, readEnv } from "./env.ts";

const problemsOf = (source: Record<string, string>) => {
  try {
    readEnv(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

/** Asserts that each of `names` has a problem of its own, as a line that starts with it. */
const expectProblemsFor = (source: Record<string, string>, names: string[]) => {
  const text = problemsOf(source).join("\n");
  for (const name of names) expect(text, name).toMatch(new RegExp(`^${name}: `, "m"));
  return text;
};

describe("readEnv: paths", () => {
  it("makes LAUNCHER_SCRATCHPAD absolute, as local instances start in their own folders", () => {
    const env = readEnv({ LAUNCHER_SCRATCHPAD: "apps/scratchpad/dist/main.js" });
    expect(env.LAUNCHER_SCRATCHPAD).toBe(`${process.cwd()}/apps/scratchpad/dist/main.js`);
  });
});

describe("readEnv: identity", () => {
  it("defaults to LAUNCHER_AUTH=none on loopback", () => {
    const env = readEnv({});
    expect(env.LAUNCHER_AUTH).toBe("none");
    expect(env.LAUNCHER_AUTH_HEADER).toBe("X-Forwarded-User");
    expect(env.LAUNCHER_SESSION_MAX_AGE).toBe(43_200);
    expect(env.LAUNCHER_OIDC_USER_CLAIM).toBe("email");
    expect(readEnv({ HOST: "::1" }).LAUNCHER_AUTH).toBe("none");
  });

  it("refuses a non-loopback HOST unless LAUNCHER_AUTH is set, to none explicitly too", () => {
    for (const host of ["0.0.0.0", "::", "192.0.2.10", "launcher.example"]) {
      expect(problemsOf({ HOST: host }).join("\n"), host).toMatch(/^HOST: .*LAUNCHER_AUTH/);
    }
    expect(readEnv({ HOST: "0.0.0.0", LAUNCHER_AUTH: "none" }).LAUNCHER_AUTH).toBe("none");
  });

  it("needs trusted proxies for header mode and the provider's settings for oidc", () => {
    expect(problemsOf({ LAUNCHER_AUTH: "header" })).toEqual([
      expect.stringMatching(/^LAUNCHER_TRUSTED_PROXIES: /),
    ]);
    expect(readEnv({ LAUNCHER_AUTH: "header", LAUNCHER_TRUST_PROXY: "1" }).LAUNCHER_AUTH).toBe(
      "header",
    );
    expect(problemsOf({ LAUNCHER_AUTH: "oidc" })).toEqual([
      expect.stringMatching(/^LAUNCHER_OIDC_ISSUER: required/),
      expect.stringMatching(/^LAUNCHER_OIDC_CLIENT_ID: required/),
      expect.stringMatching(/^LAUNCHER_PUBLIC_URL: required/),
    ]);
  });

  it("lists every bad value at once", () => {
    const text = expectProblemsFor(
      {
        LAUNCHER_AUTH: "ldap",
        LAUNCHER_TRUSTED_PROXIES: "10.0.0.0/8, nope, ::1/200",
        LAUNCHER_AUTH_HEADER: "X User",
        LAUNCHER_PUBLIC_URL: "https://launcher.example/sub",
        LAUNCHER_OIDC_ISSUER: "ftp://idp.example",
      },
      ["LAUNCHER_AUTH", "LAUNCHER_AUTH_HEADER", "LAUNCHER_PUBLIC_URL", "LAUNCHER_OIDC_ISSUER"],
    );
    expect(text).toContain('not an address or CIDR: "nope"');
    expect(text).toContain('not an address or CIDR: "::1/200"');
  });

  it("keeps the public URL as an origin", () => {
    const env = readEnv({
      LAUNCHER_AUTH: "oidc",
      LAUNCHER_OIDC_ISSUER: "https://idp.example/realm",
      LAUNCHER_OIDC_CLIENT_ID: "launcher",
      LAUNCHER_PUBLIC_URL: "https://launcher.example/",
    });
    expect(env.LAUNCHER_PUBLIC_URL).toBe("https://launcher.example");
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.1", false],
    ["example.com", false],
    ["128.0.0.1", false],
  ])("%s is loopback: %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe("readEnv: quotas and lifetimes", () => {
  it("defaults to 3 instances per user, 100 in all, 8 hours, a reap a minute", () => {
    const env = readEnv({});
    expect(env.LAUNCHER_MAX_INSTANCES_PER_USER).toBe(3);
    expect(env.LAUNCHER_MAX_INSTANCES).toBe(100);
    expect(env.LAUNCHER_INSTANCE_TTL).toBe(28_800);
    expect(env.LAUNCHER_REAP_INTERVAL).toBe(60);
  });

  it("refuses limits and intervals that are not positive integers, each by name", () => {
    expectProblemsFor(
      {
        LAUNCHER_MAX_INSTANCES_PER_USER: "0",
        LAUNCHER_MAX_INSTANCES: "many",
        LAUNCHER_INSTANCE_TTL: "-1",
        LAUNCHER_REAP_INTERVAL: "1.5",
      },
      [
        "LAUNCHER_MAX_INSTANCES_PER_USER",
        "LAUNCHER_MAX_INSTANCES",
        "LAUNCHER_INSTANCE_TTL",
        "LAUNCHER_REAP_INTERVAL",
      ],
    );
  });
});
