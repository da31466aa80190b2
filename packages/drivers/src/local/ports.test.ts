import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { pickInstancePort } from "./ports.ts";

describe("instance ports", () => {
  it("are outside the ephemeral range, free, and never handed out twice", async () => {
    // Regression (chaos test): a port from listen(0) was taken by an outgoing connection
    // during the app's start delay, and the app died with EADDRINUSE.
    const [low, high] = (await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8"))
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports = await Promise.all(Array.from({ length: 100 }, () => pickInstancePort()));
    expect(new Set(ports).size).toBe(100);
    for (const port of ports) expect(port < low! || port > high!, String(port)).toBe(true);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(ports[0], "127.0.0.1", resolve));
    server.close();
  });
});
