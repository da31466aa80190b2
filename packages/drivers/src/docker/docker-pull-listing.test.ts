import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import type { InstanceInfo } from "../driver.ts";
import {
  LABELS,
  launchMarkName,
  markLabels,
  recordLabels,
  tombstoneName,
} from "./container-spec.ts";
import {
  containersOf,
  current,
  docker,
  engineUp,
  killEnsureAt,
  makeDriver,
  never,
  newId,
  newPassword,
  scratchpad,
  scratchpadWith,
  spec,
  until,
} from "./engine.fixture.ts";
import { pullImageOfEngine, startSlowPull } from "./slow-registry.fixture.ts";

const volumesOf = async (id: string) =>
  (
    await docker.listVolumes({ filters: JSON.stringify({ label: [`${LABELS.id}=${id}`] }) })
  ).Volumes.map((v) => v.Name);

const listed = async (driver: ReturnType<typeof makeDriver>, id: string) =>
  (await driver.list()).find((i) => i.id === id);

describe.skipIf(!engineUp)("docker launches listed before their container exists", () => {
  it("lists a launch while its image is still being pulled, and a destroy from another launcher stops the pull and leaves nothing", async () => {
    await using registry = await startSlowPull();
    const id = newId();
    const password = newPassword();
    const createdAt = Date.now() - 1000;
    const record = { createdAt, expiresAt: createdAt + 60_000, owner: "ada" };
    const driver = makeDriver();
    const other = makeDriver(); // another replica, sharing only the engine
    const launching = new AbortController();
    const ensured = driver.ensure(
      spec(id, scratchpadWith({ image: registry.image }), record),
      { SCRATCHPAD_PASSWORD: password },
      launching.signal,
    );
    ensured.catch(() => {}); // awaited below; a failed assertion before must not leave it unhandled
    await registry.held(); // the pull is under way, and stays so until released

    const expected: InstanceInfo = { id, template: "scratchpad", phase: "pulling", ...record };
    expect(await listed(driver, id)).toEqual(expected);
    expect(await listed(other, id)).toEqual({ ...expected, phase: "preparing" });
    expect(await containersOf(id)).toEqual([]);
    // Observers in the launching process still see the pull step.
    const pulling = await current(driver, id);
    expect(pulling.phase).toBe("pulling");
    expect(pulling.steps.find((s) => s.key === "pull")?.state).toBe("running");
    const labels = (await docker.getVolume(launchMarkName(id)).inspect()).Labels;
    expect(JSON.stringify(labels)).not.toContain(password);

    await other.destroy(id);
    await ensured; // gives up quietly: the pull stopped, nothing was created
    expect(getEventListeners(launching.signal, "abort")).toHaveLength(0);
    expect(await listed(driver, id)).toBeUndefined();
    expect(await listed(other, id)).toBeUndefined();
    expect(await containersOf(id)).toEqual([]);
    expect(await volumesOf(id)).toEqual([`launcher-${id}-destroyed`]);
    expect((await current(makeDriver(), id)).phase).toBe("destroyed");
    registry.release();
    // A late follow of the ticket creates nothing either.
    await driver.ensure(spec(id, scratchpadWith({ image: registry.image }), record), {}, never);
    expect(await containersOf(id)).toEqual([]);
  });

  it("keeps a launch whose launcher was killed mid-pull listed with its lifetime, so a follow resumes it or the reaper ends it, and its destroy leaves no mark", async () => {
    await using registry = await startSlowPull();
    const template = scratchpadWith({ image: registry.image });
    const [resumed, expired] = [newId(), newId()];
    const password = newPassword();
    const expiresAt = Date.now() - 1;
    for (const id of [resumed, expired]) {
      const output = await killEnsureAt("pulling", { id, template, password, expiresAt });
      expect(output).not.toContain(password);
    }
    const driver = makeDriver();
    for (const id of [resumed, expired]) {
      expect(await listed(driver, id)).toMatchObject({ owner: "local", phase: "preparing" });
    }
    // A sweep cannot tell an abandoned pull from a slow one: the launch stays counted...
    await driver.sweep();
    // ...until its ticket is followed again (ensure resumes it: one container),
    registry.release();
    const again = spec(resumed, template, { expiresAt }); // the same ticket, followed again
    await driver.ensure(again, { SCRATCHPAD_PASSWORD: password }, never);
    expect(await listed(driver, resumed)).toMatchObject({ phase: "ready", expiresAt });
    expect(await containersOf(resumed)).toHaveLength(1);
    // ...or the reaper destroys it, past the `expiresAt` the launch recorded.
    const info = await listed(driver, expired);
    expect(info?.expiresAt).toBeLessThanOrEqual(Date.now());
    for (const id of [resumed, expired]) {
      await driver.destroy(id, "expired");
      expect(await listed(driver, id)).toBeUndefined();
      expect(await volumesOf(id)).toEqual([`launcher-${id}-destroyed`]);
      const { last } = await until(makeDriver(), id, ["destroyed"]);
      expect(last.message).toMatch(/expired/);
    }
  });

  it("creates no container once another launcher recorded the launch's failure during its pull", async () => {
    await using registry = await startSlowPull();
    const id = newId();
    const driver = makeDriver();
    const launch = spec(id, scratchpadWith({ image: registry.image }));
    const ensured = driver.ensure(launch, { SCRATCHPAD_PASSWORD: newPassword() }, never);
    ensured.catch(() => {}); // awaited below
    await registry.held();
    // Another replica's ensure of the same launch failed, and its session recorded that.
    await makeDriver().recordFailure(id, "the other launcher gave up");
    registry.release();
    await expect(ensured).rejects.toThrow(/the other launcher gave up/);
    expect(await containersOf(id)).toEqual([]);
    expect(await listed(driver, id)).toMatchObject({ phase: "failed" });
  });

  it("lists a launch whose pull failed as failed, in every launcher, and its destroy leaves only the tombstone", async () => {
    const id = newId();
    const driver = makeDriver();
    // The test registry has no such image: the pull fails at once.
    const registry = (await pullImageOfEngine()).split("/")[0];
    const template = scratchpadWith({ image: `${registry}/launcher-nothing-${id}:latest` });
    const launch = spec(id, template, { owner: "ada" });
    await expect(driver.ensure(launch, {}, never)).rejects.toThrow(/pull/);
    await driver.recordFailure(id, "could not pull the image");
    for (const launcher of [driver, makeDriver()]) {
      expect(await listed(launcher, id)).toMatchObject({ owner: "ada", phase: "failed" });
    }
    await driver.destroy(id);
    expect(await listed(driver, id)).toBeUndefined();
    expect(await volumesOf(id)).toEqual([`launcher-${id}-destroyed`]);
  });

  it("keeps the old tombstone of a destroyed launch while its launch mark cannot be removed, so the launch is not listed again", async () => {
    const id = newId();
    const driver = makeDriver({ tombstoneTtlSeconds: 3600 });
    const launch = markLabels(id, "launch", recordLabels(spec(id, scratchpad, { owner: "ada" })));
    await docker.createVolume({ Name: launchMarkName(id), Labels: launch });
    const longAgo = Date.now() - 7_200_000;
    const tombstone = markLabels(id, "destroyed", { [LABELS.reason]: "destroyed" }, longAgo);
    await docker.createVolume({ Name: tombstoneName(id), Labels: tombstone });
    // A volume a container mounts cannot be removed (the engine answers 409: in use).
    const holder = await docker.createContainer({
      Image: scratchpad.drivers.docker!.image,
      HostConfig: { Binds: [`${launchMarkName(id)}:/held`] },
    });
    try {
      await expect(driver.sweep()).rejects.toThrow();
      expect(await volumesOf(id)).toContain(tombstoneName(id));
      expect(await listed(driver, id)).toBeUndefined();
    } finally {
      await holder.remove({ force: true });
    }
    // Once it can go, both go.
    await driver.sweep();
    expect(await volumesOf(id)).toEqual([]);
    expect(await listed(driver, id)).toBeUndefined();
  });
});
