import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";

/** The repository's root. */
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never throws for a non-zero exit: the caller asserts). */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolveRun) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 240_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolveRun({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/**
 * The environment for a plain `npm` run, as a user outside this workspace has it: without
 * the `npm_*` / `pnpm_*` settings that the pnpm running the tests passes down (a registry or
 * cache the caller chose stays), and preferring the npm cache, so it works offline once the
 * cache holds the packages.
 */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    const kept = lower === "npm_config_registry" || lower === "npm_config_cache";
    if (!kept && (lower.startsWith("npm_") || lower.startsWith("pnpm_"))) continue;
    env[key] = value;
  }
  return {
    ...env,
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    ...extra,
  };
}

/**
 * Packs the client, what it needs at run time and the CLI into `outDir` with
 * `scripts/pack-client.mjs` (the packages must be built: `pnpm build`). Returns the tarballs
 * by package name.
 */
export async function packLauncher(outDir: string): Promise<Record<string, string>> {
  const run = await runCommand(process.execPath, [
    join(REPO_ROOT, "scripts/pack-client.mjs"),
    "--out",
    outDir,
  ]);
  if (run.code !== 0) throw new Error(`pack-client failed (${run.code}):\n${run.stderr}`);
  const tarballs: Record<string, string> = {};
  for (const file of await readdir(outDir)) {
    const name = /^launcher-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(file)?.[1];
    if (name) tarballs[`@launcher/${name}`] = join(outDir, file);
  }
  return tarballs;
}
