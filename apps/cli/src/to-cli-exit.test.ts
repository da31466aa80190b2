import { LauncherError } from "@launcher/client";
import { describe, expect, it } from "vitest";
import type { CredentialSource } from "./env.ts";
import { ExitCode } from "./exit.ts";
import { toCliExit, unauthenticated } from "./to-cli-exit.ts";

const id = "0123456789abcdef0123456789abcdef";

describe("toCliExit for FORBIDDEN", () => {
  it("a quota exits 7 with its scope, limit and use, and says how to go on", () => {
    const quota = new LauncherError("forbidden", "You have 3 instances", {
      quota: { scope: "user", limit: 3, used: 3 },
    });
    const exit = toCliExit(quota, { id });
    expect(exit.code).toBe(ExitCode.overQuota);
    expect(exit.message).toContain("your limit is 3 instances and 3 are in use");
    expect(exit.message).toContain("The ticket is kept");
    expect(exit.message).toContain(`\`launcher destroy ID\``);
    expect(exit.message).toContain(`\`launcher follow ${id}\``);
    const global = new LauncherError("forbidden", "full", {
      quota: { scope: "global", limit: 100, used: 100 },
    });
    expect(toCliExit(global, { id }).message).toContain("the server's limit is 100 instances");
  });

  it("another user's instance exits 4 and names no owner", () => {
    const exit = toCliExit(new LauncherError("forbidden", "Not yours"), { id });
    expect(exit.code).toBe(ExitCode.refused);
    expect(exit.message).toBe(
      `Instance ${id} belongs to another user; only its owner or an admin may do that`,
    );
  });
});

describe("toCliExit for a 401 (unauthenticated)", () => {
  const server = new URL("https://launcher.example.org");
  const proxy = new LauncherError("unauthenticated", "asks for credentials (HTTP 401, Basic)", {
    httpStatus: 401,
  });
  const oidc = new LauncherError("unauthenticated", "CLI token refused (invalid)", {
    signIn: "/auth/login",
  });

  it("exits 8 and says which variable to set, and where a token comes from", () => {
    const cases: [LauncherError, CredentialSource | undefined, RegExp][] = [
      [
        proxy,
        undefined,
        /set LAUNCHER_AUTHORIZATION to the whole Authorization header.*LAUNCHER_TOKEN/,
      ],
      [proxy, "LAUNCHER_AUTHORIZATION", /refused the credentials in LAUNCHER_AUTHORIZATION/],
      [
        oidc,
        undefined,
        /sign in at https:\/\/launcher\.example\.org\/auth\/token .*set LAUNCHER_TOKEN/,
      ],
      [
        oidc,
        "LAUNCHER_TOKEN",
        /refused the token in LAUNCHER_TOKEN: CLI token refused \(invalid\)\. Sign in at https:\/\/launcher\.example\.org\/auth\/token/,
      ],
    ];
    for (const [failure, sent, message] of cases) {
      const exit = unauthenticated(failure, server, { sent, configured: sent });
      expect(exit.code).toBe(ExitCode.unauthenticated);
      expect(exit.message).toMatch(message);
    }
    expect(toCliExit(proxy, { server }).code).toBe(8);
  });

  it("says that a credential for the server named for this run did not go to another", () => {
    const exit = unauthenticated(oidc, server, { configured: "LAUNCHER_TOKEN" });
    expect(exit.code).toBe(ExitCode.unauthenticated);
    expect(exit.message).toContain("The one in LAUNCHER_TOKEN goes only to the server named");
    expect(exit.message).toContain("--server https://launcher.example.org");
  });
});
