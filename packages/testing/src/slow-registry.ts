import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { forwardHttp } from "./forward-http.ts";

/** A container registry that answers only when told to (see `startSlowRegistry`). */
export interface SlowRegistry extends AsyncDisposable {
  /** The image's reference through this registry: new to the engine, so a launch pulls it. */
  readonly image: string;
  /** Resolves once a request is being held (now or later): a pull is under way. */
  held(): Promise<void>;
  /** Holds every image request from now on, until `release()`. */
  hold(): void;
  /** Lets held and later requests through. */
  release(): void;
  /** Stops the registry (a held request is dropped). */
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of a plain-HTTP registry (scripts/engine.sh runs one) that holds
 * every manifest and blob request while told to (from its start, and after `hold()`), so a
 * test can act while an image pull is under way for as long as it needs. `upstream` is an
 * image there: `127.0.0.1:5000/name:tag`.
 *
 * @example
 * await using registry = await startSlowRegistry("127.0.0.1:5000/app:latest");
 * void driver.ensure(specWithImage(registry.image), env, signal);
 * await registry.held(); // pulling now, until registry.release()
 */
export async function startSlowRegistry(upstream: string): Promise<SlowRegistry> {
  const slash = upstream.indexOf("/");
  const target = new URL(`http://${upstream.slice(0, slash)}`);
  const makeGate = () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return { opened, open };
  };
  let gate: ReturnType<typeof makeGate> | undefined = makeGate();
  let holding = 0;
  let waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const image = /\/(manifests|blobs)\//.test(req.url ?? "");
    const wait = image && gate ? gate.opened : undefined;
    if (wait) {
      holding++;
      for (const wake of waiters) wake();
      waiters = [];
    }
    void (wait ?? Promise.resolve()).then(() => {
      if (wait) holding--;
      if (req.destroyed) return; // the engine gave up on it (its pull was cancelled)
      forwardHttp(req, res, target);
    });
  });
  // The engine tries TLS first on a loopback registry, then plain HTTP.
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const release = () => {
    gate?.open();
    gate = undefined;
  };
  const close = async () => {
    release();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    image: `127.0.0.1:${port}${upstream.slice(slash)}`,
    held: () =>
      holding > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
    hold() {
      gate ??= makeGate();
    },
    release,
    close,
    [Symbol.asyncDispose]: close,
  };
}
