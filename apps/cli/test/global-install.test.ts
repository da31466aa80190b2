// The CLI as a developer installs it anywhere: `npm install -g` of the packed tarball puts
// `launcher` on PATH, with no pnpm and nothing of this workspace. Installed under a temp
// prefix, so the machine's own global packages are left alone.
import { existsSync } from "node:fs";
import { readFile, readlink } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { npmEnv, type PackedTry, REPO_ROOT, runCommand, startPackedTry } from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let packed: PackedTry;
let dir: string;
let prefix: string;
/** PATH with the install's bin first, and no pnpm, npx or workspace bin of this repo. */
let path: string;

beforeAll(async () => {
  packed = await startPackedTry("launcher-cli-install-");
  dir = packed.dir;
  prefix = join(dir, "prefix");
  const install = await runCommand(
    "npm",
    ["install", "--global", "--prefix", prefix, packed.tarballs["@launcher/cli"]!],
    { cwd: dir, env: npmEnv() },
  );
  if (install.code !== 0) throw new Error(`npm install -g failed:\n${install.stderr}`);
  path = [join(prefix, "bin"), dirname(process.execPath), "/usr/bin", "/bin"].join(delimiter);
}, 180_000);
afterAll(async () => {
  await packed?.dispose();
});

/** Runs `launcher` found on PATH, from a directory outside the repository. */
const launcher = (args: string[]) =>
  runCommand("launcher", args, {
    cwd: dir,
    env: { PATH: path, HOME: dir, XDG_STATE_HOME: join(dir, "state") },
    timeoutMs: 60_000,
  });

describe("npm install -g of the packed CLI", () => {
  it("puts launcher on PATH, linked to the installed package (not this workspace)", async () => {
    const target = await readlink(join(prefix, "bin", "launcher"));
    expect(target).toContain("node_modules/@launcher/cli/bin/launcher.mjs");
    expect(join(prefix, "bin", target)).not.toContain(REPO_ROOT);
    const installed = join(prefix, "lib/node_modules/@launcher/cli/node_modules");
    for (const serverOnly of ["@launcher", "@kubernetes/client-node", "dockerode", "pino", "zod"]) {
      expect(existsSync(join(installed, serverOnly)), serverOnly).toBe(false);
    }
    const manifest = JSON.parse(
      await readFile(join(prefix, "lib/node_modules/@launcher/cli/package.json"), "utf8"),
    ) as { dependencies: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies)) {
      expect(existsSync(join(installed, dependency)), dependency).toBe(true);
    }
    const { code, stdout } = await launcher(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/launch/);
    expect(stdout).toMatch(/templates/);
  });

  it("runs launcher templates --json against a server", async () => {
    const { code, stdout, stderr } = await launcher([
      "templates",
      "--json",
      "--server",
      packed.server.url,
    ]);
    expect(code, stderr).toBe(0);
    const list = JSON.parse(stdout.trim());
    expect(list.defaultTemplate).toBe("scratchpad");
    expect(list.templates.map((t: { id: string }) => t.id)).toContain("scratchpad");
  });
});
