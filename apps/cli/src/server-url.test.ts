import { afterEach, describe, expect, it, vi } from "vitest";
import { ExitCode } from "./exit.ts";
import { credentialFor, serverUrl } from "./server-url.ts";

const codeOf = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
};

describe("serverUrl", () => {
  it("refuses plain http:// to anything but this machine unless --insecure", () => {
    const thisMachine = [
      "localhost:3000",
      "app.localhost",
      "127.0.0.1:3000",
      "127.1.2.3",
      "[::1]:3000",
    ];
    const others = [
      "launcher.example.org",
      "10.0.0.5:3000",
      "0.0.0.0",
      "localhost.example.org",
      "128.0.0.1",
      "[::2]",
    ];
    for (const host of thisMachine) {
      const url = `http://${host}`;
      expect(serverUrl({ server: url }).href, url).toBe(new URL(url).href);
    }
    for (const host of others) {
      const url = `http://${host}`;
      expect(
        codeOf(() => serverUrl({ server: url })),
        url,
      ).toBe(ExitCode.insecure);
      expect(serverUrl({ server: url, insecure: true }).host, url).toBe(new URL(url).host);
      expect(serverUrl({ server: `https://${host}` }).protocol, url).toBe("https:");
    }
  });

  it("sends a kept ticket only to the server that issued it, unless --force-server", () => {
    const launch = { id: "a".repeat(32), server: "https://one.example.org" };
    expect(serverUrl({}, launch).origin).toBe("https://one.example.org");
    expect(serverUrl({ server: "https://one.example.org/" }, launch).origin).toBe(
      "https://one.example.org",
    );
    expect(codeOf(() => serverUrl({ server: "https://two.example.org" }, launch))).toBe(
      ExitCode.otherServer,
    );
    expect(
      serverUrl({ server: "https://two.example.org", "force-server": true }, launch).origin,
    ).toBe("https://two.example.org");
  });
});

describe("credentialFor", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("gives the credential only to the server named for this run, not to a kept launch's", () => {
    vi.stubEnv("LAUNCHER_URL", "https://one.example.org");
    vi.stubEnv("LAUNCHER_TOKEN", "t0ken");
    vi.stubEnv("LAUNCHER_AUTHORIZATION", "");
    expect(credentialFor({}, new URL("https://one.example.org/"))).toEqual({
      source: "LAUNCHER_TOKEN",
      authorization: "Bearer t0ken",
    });
    expect(credentialFor({}, new URL("https://two.example.org"))).toBeUndefined();
    const named = { server: "https://two.example.org" };
    expect(credentialFor(named, new URL("https://two.example.org"))?.source).toBe("LAUNCHER_TOKEN");
    expect(credentialFor(named, new URL("https://one.example.org"))).toBeUndefined();
  });
});
