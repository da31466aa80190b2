// Shared by the docker driver's tests on the real engine (scripts/engine.sh starts one).
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import Docker from "dockerode";
import { afterAll } from "vitest";
import type { Driver, InstanceSpec, Observation } from "../driver.ts";
import { newInstanceSpec } from "../driver-fixtures.ts";
import { type Template, TemplateSchema } from "../template.ts";
import { BUNDLED_TEMPLATES } from "../templates/bundled.ts";
import { containerName, LABELS, tombstoneName } from "./container-spec.ts";
import { createDockerDriver, type DockerDriverOptions } from "./docker-driver.ts";

/** The engine from DOCKER_HOST, as the tests' own view of it. */
export const docker = new Docker();

/** Whether an engine answers; only when none does are the engine tests skipped. */
export const engineUp = await docker
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

export const scratchpad = TemplateSchema.parse(
  BUNDLED_TEMPLATES.find((t) => t.id === "scratchpad"),
);

/** Scratchpad's docker flavour with other docker settings (a command, a timeout…). */
export const scratchpadWith = (
  docker: Partial<NonNullable<Template["drivers"]["docker"]>>,
  more: Partial<Template> = {},
): Template =>
  TemplateSchema.parse({
    ...scratchpad,
    ...more,
    drivers: { docker: { ...scratchpad.drivers.docker, ...docker } },
  });

const used = new Set<string>();
/** A fresh instance id, torn down with its tombstone after the file's tests. */
export const newId = (): string => {
  const id = crypto.randomUUID().replaceAll("-", "");
  used.add(id);
  return id;
};
export const newPassword = () => `pw-${crypto.randomUUID().replaceAll("-", "")}`;
export const never = new AbortController().signal;

/** Every line the drivers made by `makeDriver` logged (to check that no secret is among them). */
export const logged: string[] = [];
export const makeDriver = (options: DockerDriverOptions = {}): Driver =>
  createDockerDriver({
    probeIntervalMs: 100,
    pollIntervalMs: 200,
    stopGraceSeconds: 2,
    log: (line) => logged.push(line),
    ...options,
  });

export const spec = (
  id: string,
  template: Template = scratchpad,
  more: Partial<InstanceSpec> = {},
): InstanceSpec => newInstanceSpec(template, { id, ...more });

/** Observes until one of `phases`; throws with what it saw otherwise. */
export async function until(driver: Driver, id: string, phases: string[], ms = 30_000) {
  const seen: Observation[] = [];
  const signal = AbortSignal.timeout(ms);
  for await (const o of driver.observe(id, signal)) {
    seen.push(o);
    if (phases.includes(o.phase)) return { last: o, seen };
  }
  throw new Error(`no ${phases} within ${ms} ms; saw ${seen.map((o) => o.phase)}`);
}

/** The first observation a fresh observer gets: the engine's current state. */
export async function current(driver: Driver, id: string): Promise<Observation> {
  const controller = new AbortController();
  for await (const o of driver.observe(id, controller.signal)) {
    controller.abort();
    return o;
  }
  throw new Error("observe yielded nothing");
}

/** Waits for `check` to hold, polling; fails after `ms`. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const containersOf = (id: string) =>
  docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${LABELS.id}=${id}`] }),
  });

export const inspect = (id: string) => docker.getContainer(containerName(id)).inspect();

/** The URL of a started container's published port (the app may not answer yet). */
export async function publishedUrl(id: string): Promise<string | undefined> {
  const info = await inspect(id);
  const port = info.NetworkSettings.Ports?.["8080/tcp"]?.[0]?.HostPort;
  return port ? `http://127.0.0.1:${port}` : undefined;
}

/**
 * Runs `ensure` of `id` in a launcher process of its own (ensure-child.fixture.ts) and kills
 * its whole process group with SIGKILL the moment it logs a line containing `at`; resolves
 * with what it printed, once it is dead. The secret goes to it in its environment only.
 */
export async function killEnsureAt(
  at: string,
  launch: { id: string; template: Template; password: string; expiresAt?: number },
): Promise<string> {
  const args = [launch.id, JSON.stringify(launch.template), String(launch.expiresAt ?? "")];
  const child = spawn(
    // tsx is a devDependency of this package, linked into its own node_modules.
    resolve(import.meta.dirname, "../../node_modules/.bin/tsx"),
    [resolve(import.meta.dirname, "ensure-child.fixture.ts"), ...args],
    {
      cwd: resolve(import.meta.dirname, "../../../.."),
      detached: true, // its own process group: tsx runs node as a child of its own
      env: { ...process.env, CHILD_SECRET: launch.password },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let output = "";
  const exited = new Promise((done) => child.once("exit", done));
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`child never said ${at}: ${output}`)), 30_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(at)) {
        clearTimeout(timer);
        process.kill(-child.pid!, "SIGKILL");
        done();
      }
    });
    child.once("exit", () => fail(new Error(`child exited first: ${output}`)));
  });
  await exited;
  return output;
}

afterAll(async () => {
  if (!engineUp) return;
  const driver = makeDriver({ stopGraceSeconds: 0 });
  for (const id of used) {
    await driver.destroy(id).catch(() => {});
    await docker
      .getVolume(tombstoneName(id))
      .remove()
      .catch(() => {});
  }
});
