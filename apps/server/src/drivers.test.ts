import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TemplateSchema } from "@launcher/drivers";
import { afterAll, describe, expect, it } from "vitest";
import { createDrivers } from "./drivers.ts";
import { readEnv } from "./env.ts";
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

  it("runs for the one user of LAUNCHER_AUTH=none, or where the operator trusts every user", async () => {
    expect((await (await localFor({})).availableFor(template)).available).toBe(true);
    const shared = await localFor({ LAUNCHER_AUTH: "header", LAUNCHER_LOCAL_SHARED_USER: "1" });
    expect((await shared.availableFor(template)).available).toBe(true);
  });
});
