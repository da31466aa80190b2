import { describe, expect, it } from "vitest";
import { ExitCode } from "./exit.ts";
import { serverUrl } from "./server-url.ts";

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
