import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TemplateSchema } from "@launcher/drivers";
import { afterAll, describe, expect, it } from "vitest";
import { createDrivers, localIsolation, trustedLocalAddresses } from "./drivers.ts";
import { ConfigError, readEnv } from "./env.ts";
import { createLogger } from "./logger.ts";

const stateDir = mkdtempSync(join(tmpdir(), "launcher-drivers-"));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const template = TemplateSchema.parse({
  id: "sleeper",
  name: "Sleeper",
  description: "",
  drivers: { local: { command: ["{node}", "-e", "setInterval(() => {}, 1000)"], healthPath: "/" } },
});

async function localFor(source: Record<string, string>) {
  const env = readEnv({
    LAUNCHER_STATE_DIR: stateDir,
    LAUNCHER_DRIVERS: "local",
    LAUNCHER_TRUSTED_PROXIES: "127.0.0.1",
    ...source,
  });
  const local = createDrivers(env, createLogger("silent")).get("local")!;
  return local;
}

describe("the local driver and many users", () => {
  it("offers nothing with sign-in on, and says why, since it cannot keep users apart", async () => {
    for (const auth of ["header", "oidc"]) {
      const extra: Record<string, string> =
        auth === "oidc"
          ? {
              LAUNCHER_OIDC_ISSUER: "http://127.0.0.1:1/",
              LAUNCHER_OIDC_CLIENT_ID: "launcher",
              LAUNCHER_PUBLIC_URL: "http://127.0.0.1:3000",
            }
          : {};
      const local = await localFor({ LAUNCHER_AUTH: auth, ...extra });
      const answer = await local.availableFor(template);
      expect(answer.available, auth).toBe(false);
      expect(answer.available ? "" : answer.reason).toMatch(/cannot keep users apart/);
      await expect(
        local.ensure(
          { id: "0".repeat(32), template, createdAt: 0, owner: "a", expiresAt: 1 },
          {},
          new AbortController().signal,
        ),
      ).rejects.toMatchObject({ code: "bad_spec" });
    }
  });

  it("runs each instance as its own uid when root with LAUNCHER_LOCAL_UIDS, whatever the sign-in, and says why not otherwise", () => {
    const env = (source: Record<string, string>) =>
      readEnv({ LAUNCHER_TRUSTED_PROXIES: "127.0.0.1", ...source });
    const uids = { LAUNCHER_LOCAL_UIDS: "200000-200999" };
    const isolated = { mode: "isolated", uids: { first: 200_000, last: 200_999 } };
    for (const auth of ["none", "header"]) {
      expect(localIsolation(env({ LAUNCHER_AUTH: auth, ...uids }), 0)).toEqual(isolated);
      // Safer than sharing even where sharing is allowed.
      const shared = { LAUNCHER_LOCAL_SHARED_USER: "1" };
      expect(localIsolation(env({ LAUNCHER_AUTH: auth, ...uids, ...shared }), 0)).toEqual(isolated);
      // Set but not root: refused, never quietly shared.
      const notRoot = localIsolation(env({ LAUNCHER_AUTH: auth, ...uids }), 1000);
      expect(notRoot).toEqual({
        mode: "refused",
        reason: expect.stringMatching(
          /^LAUNCHER_LOCAL_UIDS is set, but the launcher runs as uid 1000, not root/,
        ),
      });
    }
    expect(localIsolation(env({}), 1000)).toEqual({ mode: "shared" });
    const noRange = localIsolation(env({ LAUNCHER_AUTH: "header" }), 0);
    expect(noRange.mode === "refused" && noRange.reason).toMatch(
      /cannot keep users apart unless it runs each instance as its own uid: run the launcher as root with LAUNCHER_LOCAL_UIDS set/,
    );
    const neither = localIsolation(env({ LAUNCHER_AUTH: "header" }), 1000);
    expect(neither.mode === "refused" && neither.reason).toMatch(/as root \(it runs as uid 1000\)/);
  });

  it("finds the addresses of this machine that header sign-in trusts, from which instances could name any user", () => {
    const env = (source: Record<string, string>) => readEnv({ LAUNCHER_AUTH: "header", ...source });
    const here = ["127.0.0.1", "::1", "10.1.2.3"];
    const trusted = (source: Record<string, string>) => trustedLocalAddresses(env(source), here);
    expect(trusted({ LAUNCHER_TRUSTED_PROXIES: "127.0.0.1" })).toEqual(["127.0.0.1"]);
    expect(trusted({ LAUNCHER_TRUST_PROXY: "1" })).toEqual(["127.0.0.1", "::1"]);
    expect(trusted({ LAUNCHER_TRUSTED_PROXIES: "10.0.0.0/8" })).toEqual(["10.1.2.3"]);
    expect(trusted({ LAUNCHER_TRUSTED_PROXIES: "192.168.0.7" })).toEqual([]);
    const oidc = readEnv({
      LAUNCHER_AUTH: "oidc",
      LAUNCHER_TRUST_PROXY: "1",
      LAUNCHER_OIDC_ISSUER: "http://127.0.0.1:1/",
      LAUNCHER_OIDC_CLIENT_ID: "launcher",
      LAUNCHER_PUBLIC_URL: "http://127.0.0.1:3000",
    });
    expect(trustedLocalAddresses(oidc, here)).toEqual([]);
  });

  it("reads LAUNCHER_LOCAL_UIDS as a range, and refuses a bad one with why", () => {
    const range = (value: string) => readEnv({ LAUNCHER_LOCAL_UIDS: value }).LAUNCHER_LOCAL_UIDS;
    expect(range("200000-200999")).toEqual({ first: 200_000, last: 200_999 });
    expect(range(" 5 - 5 ")).toEqual({ first: 5, last: 5 });
    const problem = (value: string) => {
      try {
        range(value);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems.join("\n");
      }
      return "accepted";
    };
    expect(problem("0-10")).toBe(
      "LAUNCHER_LOCAL_UIDS: uid 0 is root: the range must start at 1 or above",
    );
    expect(problem("10-5")).toBe("LAUNCHER_LOCAL_UIDS: the range ends (5) before it starts (10)");
    expect(problem("1-4294967295")).toBe(
      "LAUNCHER_LOCAL_UIDS: the range goes past the largest uid, 4294967294",
    );
    for (const bad of ["200000", "a-b", "-5-10", "1-2-3", ""]) {
      expect(problem(bad), bad).toMatch(/not a uid range "first-last" \(e\.g\. 200000-200999\)/);
    }
  });

  it("runs for the one user of LAUNCHER_AUTH=none, or where the operator trusts every user", async () => {
    expect((await (await localFor({})).availableFor(template)).available).toBe(true);
    const shared = await localFor({ LAUNCHER_AUTH: "header", LAUNCHER_LOCAL_SHARED_USER: "1" });
    expect((await shared.availableFor(template)).available).toBe(true);
  });
});
