import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startServer } from "@launcher/testing";
import { freePort } from "./free-port.ts";
import { waitFor } from "./harness.ts";

export { freePort };

/** The same template scripts/replicas.sh runs. */
const TEMPLATE = resolve(import.meta.dirname, "../../../scripts/replicas/nginx.conf.template");

export const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((path) => existsSync(path));

export interface Nginx extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Another config template with the same placeholders (default: the replicas' one). */
  template?: string;
  /** Files to write into nginx's prefix dir (`{{PREFIX}}`) first, by name. */
  files?: Record<string, string>;
}

/** Runs nginx from the repo's replica config in front of `upstreams` (ports). */
export async function startNginx(
  upstreams: number[],
  listenPort?: number,
  options: NginxOptions = {},
): Promise<Nginx> {
  if (!NGINX) throw new Error("nginx is not installed (scripts/ci-deps.sh installs it)");
  const prefix = await mkdtemp(join(tmpdir(), "launcher-nginx-"));
  const port = listenPort ?? (await freePort());
  for (const [name, text] of Object.entries(options.files ?? {})) {
    // nginx's workers (nobody, when it runs as root) read these: the dir must let them in.
    await chmod(prefix, 0o755);
    await writeFile(join(prefix, name), text, { mode: 0o644 });
  }
  const conf = (await readFile(options.template ?? TEMPLATE, "utf8"))
    .replaceAll("{{PREFIX}}", prefix)
    .replaceAll("{{LB_PORT}}", String(port))
    .replaceAll(
      "{{UPSTREAMS}}",
      upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join("\n"),
    );
  await writeFile(join(prefix, "nginx.conf"), conf);
  let log = "";
  const child: ChildProcess = spawn(NGINX, ["-p", prefix, "-c", join(prefix, "nginx.conf")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited:\n${log}`);
      return fetch(`${url}/health`).then(
        (res) => res.arrayBuffer().then(() => true),
        () => false,
      );
    },
    "nginx to listen",
    { timeoutMs: 10_000 },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(prefix, { recursive: true, force: true });
  };
  return { url, port, output: () => log, stop, [Symbol.asyncDispose]: stop };
}

/** Which replica (its port) nginx sent an HTTP request to. */
export async function upstreamOf(url: string): Promise<number> {
  const res = await fetch(`${url}/health`);
  await res.arrayBuffer();
  return Number(res.headers.get("x-launcher-upstream")?.split(":").at(-1));
}

export interface ReplicaPairOptions {
  /** The environment of both replicas. */
  env?: Record<string, string>;
  /** What replica `a` (or `b`) has on top of `env`. */
  a?: Record<string, string>;
  b?: Record<string, string>;
  nginx?: NginxOptions;
}

/**
 * Two replicas sharing one state dir and keyring behind nginx. They learn nginx's origin (the
 * browser pages' origin, in `LAUNCHER_ALLOWED_ORIGINS`) before nginx knows their ports, so its
 * port is picked first. Disposing stops all three and every instance they started.
 */
export async function startReplicaPair(options: ReplicaPairOptions = {}) {
  const lbPort = await freePort();
  const env = { LAUNCHER_ALLOWED_ORIGINS: `http://127.0.0.1:${lbPort}`, ...options.env };
  const a = await startServer({ env: { ...env, ...options.a } });
  const b = await startServer({
    stateDir: a.stateDir,
    keys: a.keys,
    env: { ...env, ...options.b },
  });
  const lb = await startNginx([a.port, b.port], lbPort, options.nginx);
  return {
    a,
    b,
    lb,
    async [Symbol.asyncDispose]() {
      await lb.stop();
      await b.kill();
      await a.dispose();
      await b.dispose();
    },
  };
}

/** Two replicas behind nginx as scripts/replicas.sh runs them. */
export function startReplicas() {
  return startReplicaPair({ env: { LAUNCHER_FIXTURES: "1", LAUNCHER_TRUST_PROXY: "1" } });
}
