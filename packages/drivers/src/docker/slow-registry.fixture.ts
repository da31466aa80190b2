// A registry that answers only when told to: a loopback proxy in front of the test registry
// (scripts/engine.sh) that holds every manifest request until `release()`, so a test can act
// while an image pull is under way, for as long as it needs.
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { docker, scratchpad } from "./engine.fixture.ts";

export interface SlowRegistry {
  /** The test image's reference through this proxy: never on the engine before a pull. */
  image: string;
  /** Resolves once the engine asked for the image's manifest: the pull is under way. */
  asked: Promise<void>;
  /** Lets held and later requests through. */
  release(): void;
  /** Stops the proxy and removes the image from the engine, if a pull left it there. */
  close(): Promise<void>;
}

export async function startSlowRegistry(): Promise<SlowRegistry> {
  const base = await docker.getImage(scratchpad.drivers.docker!.image).inspect();
  const reference = base.Config.Labels?.["launcher.test-pull-image"];
  if (!reference) throw new Error("scripts/engine.sh labels the test image with its registry copy");
  const upstream = new URL(`http://${reference.split("/")[0]}`);
  const path = reference.slice(reference.indexOf("/"));

  let open!: () => void;
  const released = new Promise<void>((resolve) => {
    open = resolve;
  });
  let asked!: () => void;
  const askedPromise = new Promise<void>((resolve) => {
    asked = resolve;
  });
  const server = createServer((req, res) => {
    const manifest = req.url?.includes("/manifests/") ?? false;
    if (manifest) asked();
    void (manifest ? released : Promise.resolve()).then(() => {
      if (req.destroyed) return;
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      req.pipe(forward);
    });
  });
  server.on("clientError", (_error, socket) => socket.destroy()); // the engine's TLS probe
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const image = `127.0.0.1:${port}${path}`;
  return {
    image,
    asked: askedPromise,
    release: open,
    async close() {
      open();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => {});
    },
  };
}
