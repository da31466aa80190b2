import { describe, expect, it } from "vitest";
import { readMarks } from "./container-observation.ts";
import { LABELS } from "./container-spec.ts";
import {
  engineUp,
  makeDriver,
  never,
  newId,
  newPassword,
  scratchpadWith,
  spec,
} from "./engine.fixture.ts";
import { createEngineApi, type EngineApi } from "./engine-api.ts";
import { type EnsureContext, ensureContainer } from "./ensure-instance.ts";
import { createInstanceEvents } from "./instance-events.ts";
import { startSlowPull } from "./slow-registry.fixture.ts";
import { teardown } from "./teardown.ts";

describe.skipIf(!engineUp)("ensure's watch for a destroy during an image pull", () => {
  it("reads the marks on the engine's events about the instance, not on each step of the pull's progress", async () => {
    await using registry = await startSlowPull();
    registry.release();
    const id = newId();
    // Wired as the docker driver wires it: a progress report wakes the instance's watchers.
    // The engine sends no layer progress for an image it has under another name (another
    // test's pull, at once): a few steps of a layer come first, then the engine's own pull.
    const real = createEngineApi(process.env.DOCKER_HOST);
    const engine: EngineApi = {
      ...real,
      async pullImage(image, signal, onEvent) {
        for (const current of [1, 2, 3]) {
          const progressDetail = { current, total: 4 };
          onEvent({ status: "Downloading", id: "layer", progressDetail });
        }
        await real.pullImage(image, signal, onEvent);
      },
    };
    const events = createInstanceEvents(engine);
    let reporting = false;
    let progressReports = 0;
    let readsOnProgress = 0;
    const context: EnsureContext = {
      engine,
      async readMarks(of) {
        if (reporting) readsOnProgress++;
        return readMarks(of, await engine.listVolumes(`${LABELS.id}=${of}`));
      },
      teardown: (of) => teardown(engine, of, 2),
      setEarly(of, state) {
        if (state?.phase === "pulling" && state.progress > 0) progressReports++;
        reporting = true;
        try {
          events.poke(of);
        } finally {
          reporting = false;
        }
      },
      poke: events.poke,
      watch: events.subscribe,
      planOptions: async () => ({ defaultPidsLimit: 512 }),
      probeIntervalMs: 100,
      log: () => {},
    };
    const launch = spec(id, scratchpadWith({ image: registry.image }));
    await ensureContainer(context, launch, { SCRATCHPAD_PASSWORD: newPassword() }, never);
    expect(progressReports).toBeGreaterThan(0);
    expect(readsOnProgress).toBe(0);
    await makeDriver().destroy(id);
  });
});
