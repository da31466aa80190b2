// An app outside this repository (examples/consumer) installs the packed client with npm,
// type-checks with tsc --strict and launches Scratchpad against a real server. It runs in a
// temp dir, so nothing of the workspace (its node_modules, its TypeScript source) can help.
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  npmEnv,
  packLauncher,
  REPO_ROOT,
  runCommand,
  startServer,
  type TestServer,
} from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** What must never be installed with the client: server code and the API's own deps. */
const SERVER_ONLY = [
  "@launcher/api",
  "@launcher/drivers",
  "@kubernetes/client-node",
  "dockerode",
  "pino",
  "zod",
];

let dir: string;
let tarballs: Record<string, string>;
let server: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "launcher-consumer-"));
  // The example's package.json names ../../dist-packages/*.tgz: the same layout here.
  tarballs = await packLauncher(join(dir, "dist-packages"));
  await cp(join(REPO_ROOT, "examples/consumer"), join(dir, "examples/consumer"), {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|dist|package-lock\.json)$/.test(source),
  });
  server = await startServer();
}, 120_000);
afterAll(async () => {
  await server?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The files an `exports` field points at (the values, under any subpath or condition). */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === "string") return [exports];
  if (!exports || typeof exports !== "object") return [];
  return Object.values(exports).flatMap(exportTargets);
}

/** The packed package.json and file list of a tarball. */
async function readTarball(file: string) {
  const manifest = await runCommand("tar", ["-xzOf", file, "package/package.json"]);
  const list = await runCommand("tar", ["-tzf", file]);
  return {
    manifest: JSON.parse(manifest.stdout) as Record<string, Record<string, unknown>>,
    files: list.stdout.trim().split("\n"),
  };
}

describe("the packed client", () => {
  it("is built ESM with declarations: no TypeScript source, no workspace or server deps", async () => {
    expect(Object.keys(tarballs).sort()).toEqual([
      "@launcher/cli",
      "@launcher/client",
      "@launcher/contract",
      "@launcher/crypto-token",
    ]);
    for (const name of ["@launcher/client", "@launcher/contract", "@launcher/crypto-token"]) {
      const { manifest, files } = await readTarball(tarballs[name]!);
      const targets = exportTargets(manifest.exports);
      expect(targets.length, name).toBeGreaterThan(0);
      for (const target of targets) {
        expect(target, name).toMatch(/^\.\/dist\/.+\.(js|d\.ts)$/);
        expect(files, name).toContain(`package/${target.slice(2)}`);
      }
      expect(
        files.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f)),
        name,
      ).toEqual([]);
      const deps = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies });
      for (const [dep, version] of deps) {
        expect(String(version), `${name} → ${dep}`).toMatch(/^\d+\.\d+\.\d+$/);
        expect(SERVER_ONLY, `${name} → ${dep}`).not.toContain(dep);
      }
    }
    // The client needs the small launcher packages packed beside it, and tRPC, nothing else.
    const client = await readTarball(tarballs["@launcher/client"]!);
    const allowed = [
      "@launcher/contract",
      "@launcher/crypto-token",
      "@trpc/client",
      "@trpc/server",
    ];
    for (const dep of Object.keys(client.manifest.dependencies ?? {})) {
      expect(allowed, dep).toContain(dep);
    }
  });

  it("installs with npm in an app outside the workspace, type-checks with tsc --strict, and launches Scratchpad", async () => {
    const app = join(dir, "examples/consumer");
    const install = await runCommand("npm", ["install"], { cwd: app, env: npmEnv() });
    expect(install.code, install.stderr).toBe(0);
    for (const name of SERVER_ONLY) {
      expect(existsSync(join(app, "node_modules", name)), `${name} was installed`).toBe(false);
    }

    const tsc = await runCommand(
      process.execPath,
      [join(app, "node_modules/typescript/bin/tsc"), "-p", app, "--strict"],
      { cwd: app },
    );
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);

    const launch = await runCommand(
      process.execPath,
      ["dist/launch.js", server.url, "scratchpad"],
      {
        cwd: app,
        env: { PATH: process.env.PATH ?? "", HOME: dir },
        timeoutMs: 60_000,
      },
    );
    expect(launch.code, launch.stderr).toBe(0);
    const result = JSON.parse(launch.stdout.trim().split("\n").at(-1)!);
    expect(result).toMatchObject({ login: 200, destroyed: "destroyed" });
    expect(result.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(launch.stderr).toMatch(/\bready\b/);
  });
});
