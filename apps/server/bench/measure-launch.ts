import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { AppRouter, Snapshot } from "@launcher/api";
import type { TestServer } from "@launcher/testing";
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink } from "@trpc/client";
import WebSocket from "ws";
import { freePort } from "../test/free-port.ts";

const SCRATCHPAD = resolve(import.meta.dirname, "../../scratchpad/dist/main.js");

/** A tRPC client as another app builds one: HTTP for mutations, a WebSocket for follows. */
function makeClient(url: string) {
  const wsClient = createWSClient({
    url: `${url.replace(/^http/, "ws")}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({ url: `${url}/trpc` }),
      }),
    ],
  });
  return { client, close: () => wsClient.close() };
}

/**
 * `launch.prepare` → the `ready` snapshot of a Scratchpad over tRPC, `runs` times (after one
 * launch to warm up), each instance destroyed after. Returns the times in ms.
 */
export async function measureLaunches(server: TestServer, runs: number): Promise<number[]> {
  const { client, close } = makeClient(server.url);
  const times: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const started = performance.now();
      const { ticket } = await client.launch.prepare.mutate({ template: "scratchpad" });
      await new Promise<Snapshot>((resolveReady, reject) => {
        const subscription = client.launch.follow.subscribe(
          { ticket },
          {
            onData: ({ data }) => {
              if (data.phase === "ready") resolveReady(data);
              else if (data.phase === "failed" || data.phase === "destroyed") {
                reject(new Error(`the launch ended ${data.phase}: ${data.error ?? ""}`));
              } else return;
              subscription.unsubscribe();
            },
            onError: reject,
          },
        );
      });
      if (i > 0) times.push(performance.now() - started);
      await client.launch.destroy.mutate({ ticket });
    }
  } finally {
    close();
  }
  return times;
}

/** The floor: Scratchpad alone, `node` spawned → its `/health` answers 200, in ms. */
export async function measureScratchpadAlone(runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const started = performance.now();
    const child = spawn(process.execPath, [SCRATCHPAD], {
      env: {
        PATH: process.env.PATH,
        SCRATCHPAD_PORT: String(port),
        SCRATCHPAD_PASSWORD: "bench-password-0123456789",
      },
      stdio: "ignore",
    });
    try {
      for (;;) {
        const status = await fetch(`http://127.0.0.1:${port}/health`).then(
          (res) => res.status,
          () => 0,
        );
        if (status === 200) break;
        if (child.exitCode !== null) throw new Error("Scratchpad exited");
        await new Promise((r) => setTimeout(r, 2));
      }
      times.push(performance.now() - started);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
  }
  return times;
}
