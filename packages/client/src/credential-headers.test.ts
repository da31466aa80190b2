import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createPlatform, ID, startFakeServer, TICKET } from "../test/fake-server.ts";
import { createLauncherClient } from "./create-client.ts";
import { LauncherError } from "./errors.ts";
import { followLaunch } from "./follow-launch.ts";
import { memoryStore } from "./memory-store.ts";

const SECRET = "Basic c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3N3b3Jk";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gatedServer() {
  const platform = createPlatform();
  const server = await startFakeServer(platform, { authorization: SECRET });
  cleanups.push(() => server.close());
  return { platform, server };
}

function clientWith(url: string, authorization: string | (() => string)) {
  const client = createLauncherClient({
    url,
    WebSocket,
    headers: () => ({
      authorization: typeof authorization === "function" ? authorization() : authorization,
    }),
    retryDelayMs: () => 20,
    probeDelayMs: () => 20,
  });
  cleanups.push(() => client.close());
  return client;
}

/** What a call rejected with. */
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as LauncherError,
  );

describe("credentials in headers", () => {
  it("go with every HTTP call and with the WebSocket's upgrade, read again each time", async () => {
    const { platform, server } = await gatedServer();
    let reads = 0;
    const client = clientWith(server.url, () => {
      reads++;
      return SECRET;
    });
    const store = memoryStore();
    const prepared = await client.launch.prepare.mutate({ template: "scratchpad" });
    platform.publish("ready");
    const last = await followLaunch(client, { ticket: prepared, store }).done();
    expect(last?.phase).toBe("ready");
    // The mutation and the upgrade, each with the header; the function read for each.
    expect(server.admitted.length).toBeGreaterThanOrEqual(2);
    expect(server.admitted.every((value) => value === SECRET)).toBe(true);
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(server.connections()).toBe(1);
    // Nothing of them is kept with the launch.
    expect(JSON.stringify(await store.list())).not.toContain("c2VjcmV0");
  });

  it("refused by a proxy (a bare 401), make an `unauthenticated` error that does not show them", async () => {
    const { server } = await gatedServer();
    const client = clientWith(server.url, "Basic d3Jvbmc6c2VjcmV0LXdyb25n");
    const error = await failureOf(client.launch.prepare.mutate({ template: "scratchpad" }));
    expect(error).toBeInstanceOf(LauncherError);
    expect(error).toMatchObject({ code: "unauthenticated", httpStatus: 401 });
    expect(error!.message).toContain("HTTP 401, Basic");
    expect(error!.message).not.toContain("d3Jvbmc6");
  });

  it("refused at the WebSocket's upgrade, end the follow with `unauthenticated` instead of reconnecting for ever", async () => {
    const { platform, server } = await gatedServer();
    platform.publish("starting");
    const client = clientWith(server.url, "Bearer not-the-one");
    const store = memoryStore();
    const error = await failureOf(
      followLaunch(client, {
        ticket: { id: ID, ticket: TICKET },
        store,
        giveUpAfterMs: Number.POSITIVE_INFINITY,
      }).done(),
    );
    expect(error).toMatchObject({ code: "unauthenticated", httpStatus: 401 });
    expect(error!.message).not.toContain("not-the-one");
    // A sign-in problem is no reason to drop the ticket: the instance may run.
    expect((await store.list()).map((launch) => launch.id)).toEqual([ID]);
    expect(client.connection.state).toBe("idle");
  });

  it("that cannot go in a request are refused at once, naming the header but not the value", () => {
    const create = () =>
      createLauncherClient({
        url: "http://127.0.0.1:9",
        WebSocket,
        headers: { authorization: "Bearer secret-token\r\nX-Injected: 1" },
      });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/authorization header's value cannot be sent/);
    expect(create).not.toThrow(/secret-token/);
  });
});
