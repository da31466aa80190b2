import { randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startServer, type TestServer } from "@launcher/testing";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { follow, makeClient, within } from "./client.ts";
import { rssOf, seededRandom, waitFor } from "./harness.ts";

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31);
console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);

const MAX_SUBSCRIPTIONS = 3;
/** Error codes a client may get for bad input; never INTERNAL_SERVER_ERROR. */
const TYPED = new Set([
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "NOT_FOUND",
  "PRECONDITION_FAILED",
  "TOO_MANY_REQUESTS",
  "PAYLOAD_TOO_LARGE",
  "METHOD_NOT_SUPPORTED",
  "UNSUPPORTED_MEDIA_TYPE",
  "PARSE_ERROR",
]);

let server: TestServer;
let ticket = "";

beforeAll(async () => {
  server = await startServer({
    env: {
      LAUNCHER_FIXTURES: "1",
      LAUNCHER_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS),
      // The fuzz sends thousands of bad tickets; the limit's own test is elsewhere.
      LAUNCHER_UNSEAL_LIMIT: "1000000",
      // The flood follows one ticket thousands of times: it measures memory, not the limits.
      LAUNCHER_FOLLOW_LIMIT: "1000000",
      LAUNCHER_FOLLOW_INSTANCE_LIMIT: "1000000",
    },
  });
  ticket = (await prepare("scratchpad-slow")).ticket;
});

async function prepare(template: string) {
  const res = await fetch(`${server.url}/trpc/launch.prepare`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ template }),
  });
  return ((await res.json()) as { result: { data: { id: string; ticket: string } } }).result.data;
}
afterAll(async () => {
  await server?.dispose();
});

const health = async () => (await fetch(`${server.url}/health`)).status;

/** A random JSON value, nested up to `depth`, biased towards what the schemas look at. */
function makeValue(random: () => number, depth = 3): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const text = () => {
    const alphabet = "abcXYZ019-_=+/.:%\\\"'<>{}\u0000\u00e9\u{1f600} \n";
    const length = pick([0, 1, 8, 32, 200, 5000]);
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
    return out;
  };
  const mutate = (s: string) => {
    const i = Math.floor(random() * s.length);
    return pick([
      s.slice(0, i),
      `${s.slice(0, i)}${pick(["A", "=", " ", "~", "é"])}${s.slice(i + 1)}`,
      `${s}${s}`,
      s.toUpperCase(),
    ]);
  };
  switch (Math.floor(random() * (depth > 0 ? 9 : 6))) {
    case 0:
      return null;
    case 1:
      return pick([0, -1, 1e308, Number.MAX_SAFE_INTEGER, 0.5, 42]);
    case 2:
      return random() < 0.5;
    case 3:
      return text();
    case 4:
      return mutate(ticket);
    case 5:
      return pick(["scratchpad", "scratchpad-slow", "local", "docker", "nope", "__proto__"]);
    case 6:
      return Array.from({ length: Math.floor(random() * 4) }, () => makeValue(random, depth - 1));
    default: {
      const keys = ["template", "driver", "ticket", "lastEventId", "__proto__", "constructor", "x"];
      const object: Record<string, unknown> = {};
      for (const key of keys) if (random() < 0.5) object[key] = makeValue(random, depth - 1);
      return object;
    }
  }
}

interface WireError {
  error?: { message: string; data?: { code?: string; stack?: unknown } };
}

function expectTyped(reply: WireError, what: string) {
  if (!reply.error) return;
  expect(TYPED.has(reply.error.data?.code ?? ""), `${what}: ${JSON.stringify(reply.error)}`).toBe(
    true,
  );
  expect(reply.error.data?.stack, what).toBeUndefined();
}

/** A raw tRPC WebSocket: send JSON-RPC messages, read replies by id. */
async function openSocket() {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/trpc`);
  const replies: { id: number; error?: WireError["error"]; result?: { type: string } }[] = [];
  ws.on("message", (data: Buffer) => replies.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const closed = new Promise<number>((resolve) => ws.once("close", resolve));
  return { ws, replies, closed };
}

describe("security headers", () => {
  it("sends a strict CSP without inline scripts, no sniffing, no referrer, no framing", async () => {
    for (const path of ["/", "/some/app/route", "/health"]) {
      const res = await fetch(`${server.url}${path}`);
      await res.arrayBuffer();
      const csp = res.headers.get("content-security-policy") ?? "";
      const directives = new Map(
        csp.split(";").map((d) => {
          const [name = "", ...values] = d.trim().split(/\s+/);
          return [name, values] as const;
        }),
      );
      expect(directives.get("default-src"), path).toEqual(["'self'"]);
      expect(directives.get("script-src"), path).toEqual(["'self'"]);
      expect(directives.get("frame-ancestors"), path).toEqual(["'none'"]);
      expect(directives.get("object-src"), path).toEqual(["'none'"]);
      expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
    }
  });
});

describe("rate limits per client address", () => {
  it("limits failed unseals and prepares with TOO_MANY_REQUESTS and a retry hint", async () => {
    await using limited = await startServer({
      env: { LAUNCHER_UNSEAL_LIMIT: "3", LAUNCHER_PREPARE_LIMIT: "3", LAUNCHER_TRUST_PROXY: "1" },
    });
    const post = async (path: string, body: unknown, from = "203.0.113.7") => {
      const res = await fetch(`${limited.url}/trpc/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": from },
        body: JSON.stringify(body),
      });
      return (await res.json()) as {
        error?: { data: { code: string; retryAfter?: number; tokenCode?: string } };
      };
    };
    for (let i = 0; i < 3; i++) {
      expect((await post("launch.destroy", { ticket: "bad" })).error?.data.code).toBe(
        "UNAUTHORIZED",
      );
    }
    const refused = (await post("launch.destroy", { ticket: "bad" })).error?.data;
    expect(refused?.code).toBe("TOO_MANY_REQUESTS");
    expect(refused?.retryAfter).toBeGreaterThanOrEqual(1);
    // Another address is not affected.
    expect((await post("launch.destroy", { ticket: "bad" }, "198.51.100.1")).error?.data.code).toBe(
      "UNAUTHORIZED",
    );

    for (let i = 0; i < 3; i++) {
      expect((await post("launch.prepare", { template: "scratchpad" })).error).toBeUndefined();
    }
    const tooMany = (await post("launch.prepare", { template: "scratchpad" })).error?.data;
    expect(tooMany?.code).toBe("TOO_MANY_REQUESTS");
    expect(tooMany?.retryAfter).toBeGreaterThanOrEqual(1);
    expect(await fetch(`${limited.url}/health`).then((r) => r.status)).toBe(200);
  });
});

describe("subscriptions per connection", () => {
  it("refuses one subscription over the cap with a typed error, and frees slots as they end", async () => {
    const c = makeClient(server.url);
    const other = makeClient(server.url);
    try {
      const open = Array.from({ length: MAX_SUBSCRIPTIONS }, () => follow(c.client, { ticket }));
      await Promise.all(open.map((f) => f.until(() => true)));
      const over = follow(c.client, { ticket });
      const error = await within(over.done.catch((e: unknown) => e));
      expect(error).toBeInstanceOf(TRPCClientError);
      const data = (error as TRPCClientError<never>).data as unknown as Record<string, unknown>;
      expect(data.code).toBe("TOO_MANY_REQUESTS");
      expect(data.maxSubscriptions).toBe(MAX_SUBSCRIPTIONS);
      expect((error as Error).message).toMatch(/Too many subscriptions/);
      // Another connection has its own slots; an ended subscription gives its slot back.
      const elsewhere = follow(other.client, { ticket });
      await elsewhere.until(() => true);
      open[0]!.stop();
      const again = follow(c.client, { ticket });
      await waitFor(
        () => again.snapshots.length > 0 || again.errors.length > 0,
        "the next subscription to be served",
      );
      expect(again.errors).toEqual([]);
      for (const f of [...open, elsewhere, again]) f.stop();
    } finally {
      c.close();
      other.close();
    }
  });
});

describe("tickets never in a URL", () => {
  it("refuses to follow over HTTP (SSE), where the ticket would be in the URL", async () => {
    const { id, ticket: fresh } = await prepare("scratchpad");
    const input = encodeURIComponent(JSON.stringify({ ticket: fresh }));
    const res = await fetch(`${server.url}/trpc/launch.follow?input=${input}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text(); // ends at once: nothing is streamed
    expect(text).toContain("METHOD_NOT_SUPPORTED");
    expect(text).not.toContain('"phase"');
    // And nothing was started for it.
    expect(existsSync(join(server.stateDir, "instances", id))).toBe(false);
  });
});

describe("bad input", () => {
  it(`answers fuzzed input at every procedure with typed errors (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    const call = async (path: string, input: unknown, method: "GET" | "POST") => {
      const url = `${server.url}/trpc/${path}`;
      const res =
        method === "GET"
          ? await fetch(`${url}?input=${encodeURIComponent(JSON.stringify(input) ?? "")}`, {
              // A ticket the fuzz left valid streams on: stop it after a while.
              signal: AbortSignal.timeout(3000),
            }).catch(() => undefined)
          : await fetch(url, {
              method,
              headers: { "content-type": "application/json" },
              body: JSON.stringify(input) ?? "",
            });
      if (!res) return;
      const what = `${method} ${path} ${JSON.stringify(input)?.slice(0, 200)}`;
      if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
        // A subscription over HTTP (SSE): a refusal is a `serialized-error` event.
        const text = await res.text().catch(() => "");
        const error = /event: serialized-error\ndata: (.*)\n/.exec(text)?.[1];
        if (error) expectTyped({ error: JSON.parse(error) }, what);
      } else if (res.status === 431) {
        // A URL over Node's header limit: refused by the HTTP parser, before tRPC.
        await res.arrayBuffer();
      } else {
        const text = await res.text();
        expect(() => JSON.parse(text), `${what} → ${res.status} ${text}`).not.toThrow();
        expectTyped(JSON.parse(text) as WireError, what);
      }
      expect(res.status, `${path}`).toBeLessThan(500);
    };
    for (let i = 0; i < 150; i++) {
      const input = makeValue(random);
      await Promise.all([
        call("templates.list", input, "GET"),
        call("launch.prepare", input, "POST"),
        call("launch.destroy", input, "POST"),
        call("launch.follow", input, "GET"),
        call(random() < 0.5 ? "launch.nope" : "launch.prepare", input, "GET"),
      ]);
    }
    // And over the WebSocket, where `follow` lives.
    const { ws, replies } = await openSocket();
    try {
      for (let id = 1; id <= 300; id++) {
        const method = random() < 0.8 ? "subscription" : "query";
        const path = random() < 0.9 ? "launch.follow" : "launch.prepare";
        ws.send(JSON.stringify({ id, method, params: { path, input: makeValue(random) } }));
        ws.send(JSON.stringify({ id, method: "subscription.stop" }));
      }
      ws.send("not json");
      ws.send(JSON.stringify({ id: 9999, method: "nope", params: {} }));
      await waitFor(() => replies.some((r) => r.id === 300), "the last reply");
      for (const reply of replies) expectTyped(reply, `ws ${JSON.stringify(reply)}`);
    } finally {
      ws.close();
    }
    expect(await health()).toBe(200);
  });

  it("refuses oversized messages and stays up", async () => {
    const big = "a".repeat(200 * 1024);
    const res = await fetch(`${server.url}/trpc/launch.prepare`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ template: big }),
    });
    const reply = (await res.json()) as WireError;
    expect(reply.error?.data?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(res.status).toBe(413);

    const { ws, closed } = await openSocket();
    ws.send(JSON.stringify({ id: 1, method: "subscription", params: { input: { ticket: big } } }));
    expect(await within(closed, 10_000)).toBe(1009); // "message too big"
    expect(await health()).toBe(200);
  });

  it("survives a flood of subscribe and unsubscribe with memory back near where it was", async () => {
    const pid = server.pid!;
    const flood = async () => {
      const sockets = await Promise.all(Array.from({ length: 4 }, () => openSocket()));
      await Promise.all(
        sockets.map(async ({ ws, replies }, s) => {
          for (let i = 1; i <= 1500; i++) {
            const input = { ticket: i % 3 === 0 ? `${ticket.slice(0, -2)}xx` : ticket };
            ws.send(
              JSON.stringify({
                id: i,
                method: "subscription",
                params: { path: "launch.follow", input },
              }),
            );
            ws.send(JSON.stringify({ id: i, method: "subscription.stop" }));
          }
          // A reply to a final request proves every earlier message was handled.
          ws.send(JSON.stringify({ id: 1e6, method: "query", params: { path: "templates.list" } }));
          await waitFor(() => replies.some((r) => r.id === 1e6), `socket ${s} to drain`);
          for (const reply of replies) expectTyped(reply, `flood ${JSON.stringify(reply)}`);
          ws.close();
        }),
      );
      await Promise.all(sockets.map((s) => s.closed));
    };
    await flood(); // warm up: JIT, buffers, heap sized for the load
    const baseline = await rssOf(pid);
    for (let round = 0; round < 3; round++) await flood();
    expect(await health()).toBe(200);
    // Memory does not grow with the number of floods: it settles near the warmed-up level.
    await waitFor(
      async () => (await rssOf(pid)) < baseline * 1.25 + 16 * 1024 * 1024,
      `RSS near ${Math.round(baseline / 2 ** 20)} MiB`,
      { timeoutMs: 20_000, everyMs: 250 },
    );
  }, 120_000);
});
