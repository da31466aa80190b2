// The abuse items of the audit that meet identity: client addresses a client cannot pick,
// limits per address (IPv6 by /64), connections per address, batch sizes, a static file
// that fails mid-read, and an IPv6 HOST's own origin. Each against the real server.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { waitFor } from "./harness.ts";
import { call, request, rpc, upgrade } from "./peer.ts";

const prepare = (url: string, options: { xff?: string; from?: string } = {}) =>
  call(url, "launch.prepare", {
    input: { template: "scratchpad" },
    from: options.from,
    headers: options.xff ? { "x-forwarded-for": options.xff } : {},
  });

/**
 * Sends one prepare per entry, in order, with LAUNCHER_PREPARE_LIMIT=2 on the server: the
 * first two pass and the third is refused when all three count as the same client.
 */
async function expectThirdLimited(url: string, sends: Array<{ xff?: string; from?: string }>) {
  const answers = [];
  for (const send of sends) answers.push(await prepare(url, send));
  expect(answers.map((a) => a.error?.data.code)).toEqual([
    undefined,
    undefined,
    "TOO_MANY_REQUESTS",
  ]);
  return answers[2]!;
}

describe("client addresses behind a proxy", () => {
  it("keys limits on the right-most untrusted X-Forwarded-For entry, so a client's own entries change nothing", async () => {
    // This test is the proxy (127.0.0.1, trusted) and appends the client's address, as
    // nginx's $proxy_add_x_forwarded_for does, after whatever the client sent.
    await using server = await startServer({
      env: { LAUNCHER_TRUSTED_PROXIES: "127.0.0.1/32", LAUNCHER_PREPARE_LIMIT: "2" },
    });
    const client = "203.0.113.7";
    const third = await expectThirdLimited(
      server.url,
      [1, 2, 3].map((n) => ({ xff: `6.6.6.${n}, ${client}` })),
    );
    expect(third.error?.data.retryAfter).toBeGreaterThan(0);
    // Another client behind the same proxy has its own budget.
    expect((await prepare(server.url, { xff: "203.0.113.8" })).error).toBeUndefined();
    // A chain of trusted proxies is walked past.
    const chained = await prepare(server.url, { xff: `6.6.6.4, ${client}, 127.0.0.1` });
    expect(chained.error?.data.code).toBe("TOO_MANY_REQUESTS");
  });

  it("keeps LAUNCHER_TRUST_PROXY=1 as the loopback range, and ignores X-Forwarded-For from others", async () => {
    await using server = await startServer({
      env: { LAUNCHER_TRUST_PROXY: "1", LAUNCHER_PREPARE_LIMIT: "2" },
    });
    // Not a proxy: 198.51.100.0/24 is not loopback, so its header proves nothing…
    const client = "198.51.100.1";
    await expectThirdLimited(
      server.url,
      [1, 2, 3].map((n) => ({ xff: `9.9.9.${n}, ${client}` })),
    );
    // …and a peer outside the trusted range is itself the client, whatever it sends.
    await using strict = await startServer({
      env: { LAUNCHER_TRUSTED_PROXIES: "127.0.0.1", LAUNCHER_PREPARE_LIMIT: "2" },
    });
    const from = "127.0.0.2";
    await expectThirdLimited(
      strict.url,
      [1, 2, 3].map((n) => ({ from, xff: `10.0.0.${n}` })),
    );
  });

  it("counts a whole IPv6 /64 as one client", async () => {
    await using server = await startServer({
      env: { LAUNCHER_TRUSTED_PROXIES: "127.0.0.1", LAUNCHER_PREPARE_LIMIT: "2" },
    });
    await expectThirdLimited(
      server.url,
      ["2001:db8:5:6::1", "2001:db8:5:6:ffff::2", "2001:db8:5:6:1:2:3:4"].map((xff) => ({ xff })),
    );
    expect((await prepare(server.url, { xff: "2001:db8:5:7::1" })).error).toBeUndefined();
  });
});

describe("connections and batches", () => {
  it("caps open WebSocket connections per client address, and frees a slot when one closes", async () => {
    await using server = await startServer({
      env: { LAUNCHER_MAX_CONNECTIONS_PER_ADDRESS: "3" },
    });
    const from = "127.0.0.2";
    const opened = await Promise.all([1, 2, 3].map(() => upgrade(server.url, { from })));
    expect(opened.map((u) => u.status)).toEqual([101, 101, 101]);
    const refused = await upgrade(server.url, { from });
    expect(refused.status).toBe(429);
    // Another address is not affected.
    const other = await upgrade(server.url, { from: "127.0.0.3" });
    expect(other.status).toBe(101);
    const first = opened[0]!;
    if (!first.open) throw new Error("not open");
    first.ws.close();
    let again = await upgrade(server.url, { from });
    await waitFor(async () => {
      if (again.status === 101) return true;
      again = await upgrade(server.url, { from });
      return again.status === 101;
    }, "a slot to free up");
    for (const u of [...opened, other, again]) if (u.open) u.ws.close();
  });

  it("refuses an HTTP batch larger than LAUNCHER_MAX_BATCH_SIZE", async () => {
    await using server = await startServer({ env: { LAUNCHER_MAX_BATCH_SIZE: "4" } });
    const batch = (n: number) =>
      request(`${server.url}/trpc/${Array(n).fill("health").join(",")}?batch=1`);
    expect((await batch(4)).status).toBe(200);
    const big = await batch(5);
    expect(big.status).toBe(400);
    expect(big.text).toContain("Batch call exceeds maximum size");
    // Over the WebSocket too, past the subscriptions one connection may resend at once.
    await using ws = await startServer({
      env: { LAUNCHER_MAX_BATCH_SIZE: "4", LAUNCHER_MAX_SUBSCRIPTIONS: "6" },
    });
    const socket = await upgrade(ws.url);
    if (!socket.open) throw new Error("not open");
    try {
      const messages = (n: number, base: number) =>
        Array.from({ length: n }, (_, i) => ({
          id: base + i,
          method: "query",
          params: { path: "health" },
        }));
      expect((await rpc(socket.ws, messages(6, 10), 10)).result).toBeDefined();
      const refusal = await rpc(socket.ws, messages(7, 20), 20);
      expect(JSON.stringify(refusal.error)).toContain("Batch call exceeds maximum size");
    } finally {
      socket.ws.close();
    }
  });
});

describe("static files", () => {
  it("survives a file whose read fails mid-response", async () => {
    const web = await mkdtemp(join(tmpdir(), "launcher-web-"));
    try {
      await mkdir(join(web, "assets"));
      await writeFile(join(web, "index.html"), "<!doctype html><title>t</title>");
      // A "regular file" of size 0 whose every read fails (EIO): the read errors after the
      // headers are out.
      await symlink("/proc/self/mem", join(web, "assets", "broken.js"));
      await using server = await startServer({ env: { LAUNCHER_WEB_DIR: web } });
      await request(`${server.url}/assets/broken.js`).catch(() => undefined);
      await request(`${server.url}/assets/broken.js`).catch(() => undefined);
      expect((await request(`${server.url}/health`)).status).toBe(200);
      expect((await request(`${server.url}/`)).text).toContain("<title>t</title>");
      expect(server.output()).not.toMatch(/EIO|Unhandled|uncaught/i);
    } finally {
      await rm(web, { recursive: true, force: true });
    }
  });
});

describe("an IPv6 HOST", () => {
  it("accepts its own origin in brackets, as browsers send it", async () => {
    await using server = await startServer({ env: { HOST: "::1" } });
    const url = `http://[::1]:${server.port}`;
    expect((await request(`${url}/health`)).status).toBe(200);
    const own = await upgrade(url, { origin: url });
    expect(own.status).toBe(101);
    if (own.open) own.ws.close();
    expect((await upgrade(url, { origin: "http://[::2]:1" })).status).toBe(403);
  });
});
