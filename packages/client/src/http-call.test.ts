import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { makeHttpCall } from "./http-call.ts";

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A proxy that answers every request `status` with a JSON body of its own. */
async function proxyAnswering(status: number, body: unknown) {
  const server = createServer((_, res) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`;
}

describe("an HTTP call answered by a proxy's JSON", () => {
  it.each([
    [401, { error: "unauthorized" }, "unauthenticated"],
    [502, { error: "bad gateway" }, "unreachable"],
  ])(
    "HTTP %i with %j is %s, as the same status with any other body",
    async (status, body, code) => {
      const call = makeHttpCall({ url: await proxyAnswering(status, body), fetch });
      await expect(call("query", "templates.list", undefined)).rejects.toMatchObject({
        code,
        httpStatus: status,
      });
    },
  );
});
