import { describe, expect, it } from "vitest";
import { ExitCode } from "./exit.ts";
import { isLoopbackHost, serverUrl } from "./server-url.ts";

const codeOf = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
};

describe("serverUrl", () => {
  it("refuses plain http:// to another machine unless --insecure", () => {
    expect(codeOf(() => serverUrl({ server: "http://launcher.example.org" }))).toBe(
      ExitCode.insecure,
    );
    expect(codeOf(() => serverUrl({ server: "http://10.0.0.5:3000" }))).toBe(ExitCode.insecure);
    expect(serverUrl({ server: "http://10.0.0.5:3000", insecure: true }).host).toBe(
      "10.0.0.5:3000",
    );
    expect(serverUrl({ server: "https://launcher.example.org" }).protocol).toBe("https:");
    for (const local of ["http://127.0.0.1:3000", "http://localhost:3000", "http://[::1]:3000"]) {
      expect(serverUrl({ server: local }).href, local).toBe(new URL(local).href);
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

describe("isLoopbackHost", () => {
  it("is this machine only", () => {
    for (const host of ["localhost", "app.localhost", "127.0.0.1", "127.1.2.3", "[::1]"]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "10.0.0.1", "localhost.example.org", "128.0.0.1", "[::2]"]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
