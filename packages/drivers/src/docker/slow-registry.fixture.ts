// The test registry's pull image through a registry that answers only when told to, so a
// test can act while an image pull is under way (see @launcher/testing's startSlowRegistry).
import { type SlowRegistry, startSlowRegistry } from "@launcher/testing";
import { docker, scratchpad } from "./engine.fixture.ts";

/** The registry copy of the test image (scripts/engine.sh labels the test image with it). */
export async function pullImageOfEngine(): Promise<string> {
  const base = await docker.getImage(scratchpad.drivers.docker!.image).inspect();
  const reference = base.Config.Labels?.["launcher.test-pull-image"];
  if (!reference) throw new Error("scripts/engine.sh labels the test image with its registry copy");
  return reference;
}

/** A slow registry; closing it also removes the image from the engine, if a pull left it. */
export async function startSlowPull(): Promise<SlowRegistry> {
  const registry = await startSlowRegistry(await pullImageOfEngine());
  const close = async () => {
    await registry.close();
    await docker
      .getImage(registry.image)
      .remove({ force: true })
      .catch(() => {});
  };
  return { ...registry, close, [Symbol.asyncDispose]: close };
}
