import { spawn } from "node:child_process";
import { resolve } from "node:path";
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import type { Driver, Observation } from "../driver.ts";
import { type Template, TemplateSchema } from "../template.ts";
import { BUNDLED_TEMPLATES } from "../templates/bundled.ts";
import {
  containerName,
  createDockerDriver,
  DOCKER_LABELS,
  readyMarkName,
  tombstoneName,
} from "./index.ts";

// The real engine from DOCKER_HOST (scripts/engine.sh starts one). Only when none answers are
// these tests skipped; while one is up, every test runs.
const docker = new Docker();
const engineUp = await docker
  .ping()
  .then(() => true)
  .catch(() => false);
// CI must have an engine (.ci/run starts one): there, a missing engine fails, never skips.
if (!engineUp && process.env.CI) throw new Error("CI needs a Docker engine: scripts/engine.sh");
if (!engineUp) {
  console.warn(
    "docker driver tests SKIPPED: no container engine answers at DOCKER_HOST " +
      `(${process.env.DOCKER_HOST ?? "unset"}); run: eval "$(scripts/engine.sh)"`,
  );
}

const repoRoot = resolve(import.meta.dirname, "../../../..");
const scratchpad = TemplateSchema.parse(BUNDLED_TEMPLATES.find((t) => t.id === "scratchpad"));
const newId = () => `dt${crypto.randomUUID().replaceAll("-", "").slice(0, 30)}`;
const newPassword = () => `pw-${crypto.randomUUID().replaceAll("-", "")}`;
const used = new Set<string>();
const lines: string[] = [];
const makeDriver = () =>
  createDockerDriver({ probeIntervalMs: 100, log: (line) => lines.push(line) });
const spec = (id: string, template: Template = scratchpad) => {
  used.add(id);
  return { id, template, createdAt: Date.now(), owner: "local", expiresAt: Date.now() + 3_600_000 };
};
const never = new AbortController().signal;

async function until(driver: Driver, id: string, phases: string[], ms = 30_000) {
  const seen: Observation[] = [];
  const signal = AbortSignal.timeout(ms);
  for await (const o of driver.observe(id, signal)) {
    seen.push(o);
    if (phases.includes(o.phase)) return { last: o, seen };
  }
  throw new Error(`no ${phases} within ${ms} ms; saw ${seen.map((o) => o.phase)}`);
}

const containersOf = (id: string) =>
  docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${DOCKER_LABELS.id}=${id}`] }),
  });

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

afterAll(async () => {
  if (!engineUp) return;
  const driver = makeDriver();
  for (const id of used) {
    await driver.destroy(id);
    await docker
      .getVolume(tombstoneName(id))
      .remove()
      .catch(() => {});
  }
});

describe("docker driver without an engine", () => {
  it("says why it is unavailable when the socket does not answer", async () => {
    const driver = createDockerDriver({ socketPath: "/nonexistent/launcher/docker.sock" });
    const availability = await driver.available();
    expect(availability.available).toBe(false);
    if (availability.available) return;
    expect(availability.reason).toContain("unix:///nonexistent/launcher/docker.sock");
    expect(availability.reason).not.toMatch(/\n\s+at /);
    expect(await driver.availableFor(scratchpad)).toEqual(availability);
  });
});

describe.skipIf(!engineUp)("docker driver on a real engine", () => {
  it("reports the engine and which templates it can run", async () => {
    const driver = makeDriver();
    expect(await driver.available()).toMatchObject({
      available: true,
      detail: expect.stringMatching(/Engine \S+/),
    });
    expect((await driver.availableFor(scratchpad)).available).toBe(true);
    const localOnly = { ...scratchpad, drivers: { local: scratchpad.drivers.local } };
    expect((await driver.availableFor(localOnly)).available).toBe(false);
  });

  it("launches Scratchpad to ready: the password opens it, a wrong one gets 401, and the secret stays in Env", async () => {
    const driver = makeDriver();
    const id = newId();
    const password = newPassword();
    await driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: password }, never);
    const { last, seen } = await until(driver, id, ["ready", "failed"]);
    expect(last.phase, last.error).toBe("ready");
    const versions = seen.map((o) => o.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
    expect(last.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(last.steps.every((s) => s.state === "done")).toBe(true);

    const page = await fetch(last.url!, { headers: { authorization: basic("anyone", password) } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Scratchpad");
    const wrong = await fetch(last.url!, { headers: { authorization: basic("anyone", "nope") } });
    expect(wrong.status).toBe(401);
    await wrong.body?.cancel();
    expect((await fetch(last.url!)).status).toBe(401);

    // Ports on loopback only, chosen by the engine.
    const info = await docker.getContainer(containerName(id)).inspect();
    const binding = info.NetworkSettings.Ports["8080/tcp"]?.[0];
    expect(binding?.HostIp).toBe("127.0.0.1");
    expect(last.url).toContain(`:${binding?.HostPort}/`);
    // The secret: in the container's Env, and nowhere else the launcher or the engine shows.
    expect(info.Config.Env).toContain(`SCRATCHPAD_PASSWORD=${password}`);
    const { Env: _env, ...config } = info.Config;
    const outsideEnv = JSON.stringify({ ...info, Config: config });
    expect(outsideEnv).not.toContain(password);
    expect(JSON.stringify(info.Config.Labels)).not.toContain(password);
    expect(info.Name).not.toContain(password);
    expect(JSON.stringify(seen)).not.toContain(password);
    expect(lines.join("\n")).not.toContain(password);
    expect(info.Config.Labels).toMatchObject({
      [DOCKER_LABELS.id]: id,
      [DOCKER_LABELS.template]: "scratchpad",
    });

    await driver.destroy(id);
    const tombstone = await docker.getVolume(tombstoneName(id)).inspect();
    expect(JSON.stringify(tombstone)).not.toContain(password);
  });

  it("pulls a missing image from the registry with per-layer progress on the pull step", async () => {
    const base = await docker.getImage(scratchpad.drivers.docker!.image).inspect();
    const pullImage = base.Config.Labels?.["launcher.test-pull-image"];
    expect(
      pullImage,
      "scripts/engine.sh labels the test image with its registry copy",
    ).toBeTruthy();
    await docker
      .getImage(pullImage!)
      .remove({ force: true })
      .catch(() => {});
    const template = TemplateSchema.parse({
      ...scratchpad,
      drivers: { docker: { ...scratchpad.drivers.docker, image: pullImage } },
    });
    const driver = makeDriver();
    const id = newId();
    const observed = until(driver, id, ["ready", "failed"]);
    await driver.ensure(spec(id, template), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    const { last, seen } = await observed;
    expect(last.phase, last.error).toBe("ready");
    const pulls = seen.filter((o) => o.phase === "pulling");
    expect(pulls.length).toBeGreaterThan(0);
    const progress = pulls.map((o) => o.steps.find((s) => s.key === "pull")!.progress!);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(seen.map((o) => o.phase)).toContain("creating");
    await driver.destroy(id);
    await docker
      .getImage(pullImage!)
      .remove({ force: true })
      .catch(() => {});
  });

  it("resumes after the launcher is killed with -9 mid-ensure: exactly one container", async () => {
    const id = newId();
    const password = newPassword();
    used.add(id);
    const child = spawn(
      // tsx is a devDependency of this package, linked into its own node_modules.
      resolve(import.meta.dirname, "../../node_modules/.bin/tsx"),
      [resolve(import.meta.dirname, "ensure-child.fixture.ts"), id, JSON.stringify(scratchpad)],
      {
        cwd: repoRoot,
        detached: true, // its own process group: tsx runs node as a child of its own
        env: { ...process.env, CHILD_SECRET: password },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    const exited = new Promise((done) => child.once("exit", done));
    // Kill the whole group the moment the container exists, before ensure has started it.
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`child never created: ${output}`)), 30_000);
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("created")) {
          clearTimeout(timer);
          process.kill(-child.pid!, "SIGKILL");
          done();
        }
      });
      child.once("exit", () => fail(new Error(`child exited first: ${output}`)));
    });
    await exited;
    expect(output).not.toContain(password);

    const driver = makeDriver();
    await driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: password }, never);
    const { last } = await until(driver, id, ["ready", "failed"]);
    expect(last.phase, last.error).toBe("ready");
    expect(await containersOf(id)).toHaveLength(1);
    await driver.destroy(id);
  });

  it("creates one container when two launchers ensure the same instance at once", async () => {
    const id = newId();
    const password = newPassword();
    const [a, b] = [makeDriver(), makeDriver()];
    await Promise.all([
      a.ensure(spec(id), { SCRATCHPAD_PASSWORD: password }, never),
      b.ensure(spec(id), { SCRATCHPAD_PASSWORD: password }, never),
    ]);
    const [fromA, fromB] = await Promise.all([
      until(a, id, ["ready", "failed"]),
      until(b, id, ["ready", "failed"]),
    ]);
    expect(fromA.last.phase).toBe("ready");
    // Both processes derive the same version from the platform.
    expect(fromB.last).toMatchObject({ phase: "ready", version: fromA.last.version });
    expect(await containersOf(id)).toHaveLength(1);
    await a.destroy(id);
  });

  it("destroys: the container is gone, destroy again is fine, observe ends destroyed and ensure never recreates", async () => {
    const driver = makeDriver();
    const id = newId();
    const password = newPassword();
    await driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: password }, never);
    const { last: ready } = await until(driver, id, ["ready", "failed"]);
    expect(ready.phase).toBe("ready");

    await driver.destroy(id);
    expect(await containersOf(id)).toHaveLength(0);
    await driver.destroy(id);

    // Another launcher process (a fresh driver) sees the tombstone.
    const other = makeDriver();
    const { last, seen } = await until(other, id, ["destroyed"]);
    expect(seen).toHaveLength(1);
    expect(last.version).toBeGreaterThan(ready.version);
    await other.ensure(spec(id), { SCRATCHPAD_PASSWORD: password }, never);
    expect(await containersOf(id)).toHaveLength(0);
    const tombstone = await docker.getVolume(tombstoneName(id)).inspect();
    expect(tombstone.Labels).toMatchObject({ [DOCKER_LABELS.id]: id });
  });

  it("stays ready when a probe misses after the health timeout, even for another launcher", async () => {
    const driver = makeDriver();
    const id = newId();
    const quick = TemplateSchema.parse({
      ...scratchpad,
      drivers: { docker: { ...scratchpad.drivers.docker, timeout: 1 } },
    });
    await driver.ensure(spec(id, quick), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    const { last: ready } = await until(driver, id, ["ready", "failed"]);
    expect(ready.phase).toBe("ready");
    const container = docker.getContainer(containerName(id));
    await container.pause(); // the app answers nothing now: every probe misses
    try {
      const startedAt = Date.parse((await container.inspect()).State.StartedAt);
      while (Date.now() < startedAt + 1500) await new Promise((r) => setTimeout(r, 100));
      // A fresh driver (another launcher process) knows only what the engine records.
      const { last } = await until(makeDriver(), id, ["ready", "failed"]);
      expect(last).toMatchObject({ phase: "ready", version: ready.version, url: ready.url });
    } finally {
      await container.unpause();
    }
    await driver.destroy(id);
    await expect(docker.getVolume(readyMarkName(id)).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it("reports a container that exits before it is healthy as failed, with its log", async () => {
    const driver = makeDriver();
    const id = newId();
    // No password: the test image refuses to start.
    await driver.ensure(spec(id), {}, never);
    const { last } = await until(driver, id, ["ready", "failed"]);
    expect(last.phase).toBe("failed");
    expect(last.error).toMatch(/exited with code 2/);
    expect(last.logTail.join("\n")).toContain("SCRATCHPAD_PASSWORD is not set");
    await driver.destroy(id);
  });
});
