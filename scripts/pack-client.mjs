#!/usr/bin/env node
// Writes installable tarballs of the typed client, what it needs at run time, and the CLI:
//
//   node scripts/pack-client.mjs [--out DIR]      (default: dist-packages/)
//
// Run after the build (`pnpm pack:client` builds first). `pnpm pack` turns `workspace:*` and
// `catalog:` into versions and swaps in each package's `publishConfig.exports` (built `dist/`
// files), so an app outside this repo installs them with npm:
//
//   npm install ./dist-packages/launcher-client-0.1.0.tgz ./dist-packages/launcher-contract-0.1.0.tgz \
//     ./dist-packages/launcher-crypto-token-0.1.0.tgz
//   npm install -g ./dist-packages/launcher-cli-0.1.0.tgz
//
// Prints the tarballs' paths, one a line.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
/** In install order: what the client needs first, the CLI (which bundles them) last. */
const PACKED = ["packages/contract", "packages/crypto-token", "packages/client", "apps/cli"];

const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = resolve(values.out ?? join(root, "dist-packages"));

/**
 * The pnpm that runs us (`pnpm pack:client`), else one on PATH, else the one the root
 * `packageManager` pins (through npx, slower).
 */
function pnpmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) {
    return execPath.endsWith(".js") || execPath.endsWith(".cjs")
      ? [process.execPath, [execPath]]
      : [execPath, []];
  }
  const onPath = (process.env.PATH ?? "").split(delimiter).find((d) => existsSync(join(d, "pnpm")));
  if (onPath) return [join(onPath, "pnpm"), []];
  const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager;
  return ["npx", ["--yes", pinned]];
}

/** Every file the packed manifest points at: its exports (as published) and its bin. */
function builtFiles(pkg) {
  const targets = [];
  const walk = (value) => {
    if (typeof value === "string") targets.push(value);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(pkg.publishConfig?.exports ?? pkg.exports);
  walk(pkg.bin);
  if (pkg.bin) targets.push("dist/main.js"); // what the CLI's committed bin runs
  return targets;
}

mkdirSync(out, { recursive: true });
const manifests = PACKED.map((dir) => ({
  dir,
  pkg: JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")),
}));
const files = [];
for (const { dir, pkg } of manifests) {
  const missing = builtFiles(pkg).filter((file) => !existsSync(join(root, dir, file)));
  if (missing.length > 0) {
    console.error(
      `${pkg.name} is not built (no ${missing.join(", ")}): run the build first (pnpm pack:client does)`,
    );
    process.exit(1);
  }
  const file = join(out, `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.version}.tgz`);
  rmSync(file, { force: true });
  files.push(file);
}
// One pnpm run packs them all (each pnpm start costs seconds on a busy machine).
const [pnpm, pnpmArgs] = pnpmCommand();
const filters = manifests.flatMap(({ pkg }) => ["--filter", pkg.name]);
execFileSync(pnpm, [...pnpmArgs, "-r", ...filters, "pack", "--pack-destination", out], {
  cwd: root,
  stdio: ["ignore", "ignore", "inherit"],
});
const absent = files.filter((file) => !existsSync(file));
if (absent.length > 0) {
  console.error(`pnpm pack wrote no ${absent.join(", ")}`);
  process.exit(1);
}
console.log(files.join("\n"));
