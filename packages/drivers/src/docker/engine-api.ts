import type Docker from "dockerode";
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo } from "dockerode";
import { DriverError } from "../driver.ts";
import {
  ENGINE_TIMEOUT_MS,
  isNameConflict,
  statusOf,
  toDriverError,
  unreachableReason,
  withTimeout,
} from "./engine-errors.ts";
import type { PullEvent } from "./pull-progress.ts";

/** A volume as the engine lists it: the driver's marks are labelled volumes. */
export interface VolumeSummary {
  Name: string;
  Labels: Record<string, string> | null;
}

/** One message of the engine's `/events` stream (the fields the driver reads). */
export interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/**
 * The Engine API calls the docker driver makes, each mapped to a `DriverError` (never a stack
 * or a request dump). dockerode is loaded on the first call, not when this module is imported,
 * so a server that offers docker pays for it only once docker is used.
 */
export interface EngineApi {
  /** Where the engine is, for messages: `unix:///run/docker.sock` or `host:port`. */
  where(): string;
  /** The engine's name and version, or a `DriverError("unavailable")` within 5 s. */
  version(): Promise<{ name: string; version: string; apiVersion: string }>;
  /** The engine's default log driver (`json-file`, `journald`…), when it says. */
  loggingDriver(): Promise<string | undefined>;
  inspectContainer(name: string): Promise<ContainerInspectInfo | undefined>;
  /** Creates the container; `false` when one of that name exists already (another process). */
  createContainer(options: ContainerCreateOptions): Promise<boolean>;
  /** Starts it; one started already (304) is fine. */
  startContainer(name: string): Promise<void>;
  /** Stops it with `graceSeconds` for the app's TERM handler; stopped or gone is fine. */
  stopContainer(name: string, graceSeconds: number): Promise<void>;
  /** Removes it with its anonymous volumes; gone, or being removed by another process, is fine. */
  removeContainer(name: string): Promise<void>;
  /** Every container (running or not) carrying `label` (`key` or `key=value`). */
  listContainers(label: string): Promise<ContainerInfo[]>;
  /** The last `tail` lines of its log (framed as the API sends them), or none when it is gone. */
  containerLogs(name: string, tail: number): Promise<Buffer>;
  /** Every volume carrying `label` (`key` or `key=value`). */
  listVolumes(label: string): Promise<VolumeSummary[]>;
  /** Creates a labelled volume; one of that name existing already is fine. */
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** Removes a volume; one already gone is fine. */
  removeVolume(name: string): Promise<void>;
  imagePresent(image: string): Promise<boolean>;
  /** Pulls `image`, handing each progress event to `onEvent`; rejects on a pull error or abort. */
  pullImage(image: string, signal: AbortSignal, onEvent: (event: PullEvent) => void): Promise<void>;
  /** Resolves when the registry has `image` (its manifest, nothing pulled); rejects otherwise. */
  checkPullable(image: string): Promise<void>;
  /**
   * Streams engine events of the given `types` from now on; `onEnd` is called once when the
   * stream ends or fails. Resolves to a function that stops it.
   */
  watchEvents(
    types: Array<"container" | "volume">,
    onEvent: (event: EngineEvent) => void,
    onEnd: () => void,
  ): Promise<() => void>;
}

/** How to reach the engine: `unix:///path`, `tcp://host:port` or `http(s)://host:port`. */
export type EngineHost = string;

/**
 * @example
 * const engine = createEngineApi("unix:///run/docker.sock");
 * await engine.version(); // loads dockerode now
 */
export function createEngineApi(host?: EngineHost): EngineApi {
  const connection = host === undefined ? undefined : parseHost(host);
  let client: Promise<Docker> | undefined;
  let loaded: Docker | undefined;
  const docker = (): Promise<Docker> => {
    client ??= import("dockerode").then(({ default: Dockerode }) => {
      // Without a host, dockerode's own defaults apply (DOCKER_HOST, then the default socket).
      loaded = connection ? new Dockerode(connection) : new Dockerode();
      return loaded;
    });
    return client;
  };
  const where = (): string => (host ? describeHost(host) : loaded ? modemWhere(loaded) : "?");
  const fail = (error: unknown, action: string): DriverError =>
    toDriverError(error, action, where());

  /** Runs `call` on the client; a 404 becomes `missing`, anything else a DriverError. */
  async function call<T, M = never>(
    action: string,
    run: (docker: Docker) => Promise<T>,
    tolerate: { status: number[]; value: M } = { status: [], value: undefined as never },
  ): Promise<T | M> {
    try {
      return await run(await docker());
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && tolerate.status.includes(status)) return tolerate.value;
      throw fail(error, action);
    }
  }

  return {
    where,

    async version() {
      try {
        const version = await withTimeout(
          docker().then((d) => d.version()),
          ENGINE_TIMEOUT_MS,
        );
        const component = version.Components?.find((c) => /engine/i.test(c.Name))?.Name;
        const name = !component || component === "Engine" ? "Docker Engine" : component;
        return { name, version: version.Version, apiVersion: version.ApiVersion };
      } catch (error) {
        throw new DriverError("unavailable", unreachableReason(error, where()), { cause: error });
      }
    },

    async loggingDriver() {
      const info = await call("read the engine's settings", (d) => d.info());
      const name = (info as { LoggingDriver?: unknown }).LoggingDriver;
      return typeof name === "string" ? name : undefined;
    },

    inspectContainer: (name) =>
      call("inspect the container", (d) => d.getContainer(name).inspect(), {
        status: [404],
        value: undefined,
      }),

    async createContainer(options) {
      try {
        await (await docker()).createContainer(options);
        return true;
      } catch (error) {
        if (isNameConflict(error)) return false;
        throw fail(error, "create the container");
      }
    },

    async startContainer(name) {
      // 304: another process started it first.
      await call("start the container", (d) => d.getContainer(name).start(), {
        status: [304],
        value: undefined,
      });
    },

    async stopContainer(name, graceSeconds) {
      await call("stop the container", (d) => d.getContainer(name).stop({ t: graceSeconds }), {
        status: [304, 404],
        value: undefined,
      });
    },

    async removeContainer(name) {
      // 404: gone already; 409: another process is removing it.
      await call(
        "remove the container",
        (d) => d.getContainer(name).remove({ force: true, v: true }),
        { status: [404, 409], value: undefined },
      );
    },

    listContainers: (label) =>
      call("list the containers", (d) =>
        d.listContainers({ all: true, filters: JSON.stringify({ label: [label] }) }),
      ),

    async containerLogs(name, tail) {
      const logs = await call(
        "read the container's log",
        (d) =>
          d.getContainer(name).logs({ stdout: true, stderr: true, follow: false, tail }) as Promise<
            Buffer | string
          >,
        { status: [404], value: Buffer.alloc(0) },
      );
      return Buffer.isBuffer(logs) ? logs : Buffer.from(String(logs));
    },

    async listVolumes(label) {
      const { Volumes } = await call("list the volumes", (d) =>
        d.listVolumes({ filters: JSON.stringify({ label: [label] }) }),
      );
      return Volumes ?? [];
    },

    async createVolume(name, labels) {
      try {
        await (await docker()).createVolume({ Name: name, Labels: labels });
      } catch (error) {
        if (!isNameConflict(error)) throw fail(error, "write a mark on the engine");
      }
    },

    async removeVolume(name) {
      await call("remove a mark from the engine", (d) => d.getVolume(name).remove(), {
        status: [404],
        value: undefined,
      });
    },

    async imagePresent(image) {
      return call(
        "inspect the image",
        async (d) => {
          await d.getImage(image).inspect();
          return true;
        },
        { status: [404], value: false },
      );
    },

    async pullImage(image, signal, onEvent) {
      // The engine answers only once the registry has: until then the signal ends the request.
      const stream = (await call(`pull ${image}`, (d) =>
        d.pull(image, { abortSignal: signal }),
      ).catch((error: unknown) => {
        signal.throwIfAborted();
        throw error;
      })) as NodeJS.ReadableStream;
      const abort = () => (stream as unknown as { destroy(): void }).destroy();
      signal.addEventListener("abort", abort, { once: true });
      if (signal.aborted) abort();
      try {
        for await (const event of jsonLines<PullEvent>(stream)) {
          if (event.error) {
            throw new DriverError("platform", `could not pull ${image}: ${event.error}`);
          }
          onEvent(event);
        }
      } catch (error) {
        signal.throwIfAborted();
        throw fail(error, `pull ${image}`);
      } finally {
        signal.removeEventListener("abort", abort);
      }
      signal.throwIfAborted();
    },

    async checkPullable(image) {
      await withTimeout(
        docker().then((d) => d.getImage(image).distribution()),
        ENGINE_TIMEOUT_MS,
      );
    },

    async watchEvents(types, onEvent, onEnd) {
      // `since`, never `until`: Podman's events with `until` return nothing.
      const stream = (await call("watch the engine's events", (d) =>
        d.getEvents({
          since: Math.floor(Date.now() / 1000) - 1,
          filters: { type: types },
        }),
      )) as NodeJS.ReadableStream & { destroy(): void };
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        onEnd();
      };
      void (async () => {
        try {
          for await (const event of jsonLines<EngineEvent>(stream)) onEvent(event);
        } catch {
          // A dropped stream ends like a closed one: the caller decides whether to reopen.
        }
        end();
      })();
      return () => {
        ended = true;
        stream.destroy();
      };
    },
  };
}

/** The JSON objects of a newline-delimited JSON stream; a line that is not JSON is skipped. */
async function* jsonLines<T>(stream: NodeJS.ReadableStream): AsyncIterable<T> {
  let buffered = "";
  for await (const chunk of stream) {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      let value: T;
      try {
        value = JSON.parse(line) as T;
      } catch {
        continue;
      }
      yield value;
    }
  }
}

type Connection =
  | { socketPath: string }
  | { host: string; port: number; protocol: "http" | "https" };

function parseHost(host: string): Connection {
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  const url = new URL(host.replace(/^tcp:/, "http:"));
  const protocol = url.protocol === "https:" ? "https" : "http";
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`an engine host is unix://, tcp://, http:// or https://, not ${host}`);
  }
  return {
    host: url.hostname,
    port: Number(url.port) || (protocol === "https" ? 2376 : 2375),
    protocol,
  };
}

function describeHost(host: string): string {
  return host.startsWith("unix://") ? host : host.replace(/^\w+:\/\//, "");
}

function modemWhere(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: string; port?: number | string };
  if (typeof modem.socketPath === "string") return `unix://${modem.socketPath}`;
  // No DOCKER_HOST: the modem falls back to the default socket.
  if (!modem.host) return "unix:///var/run/docker.sock";
  return `${modem.host}:${modem.port ?? "?"}`;
}
