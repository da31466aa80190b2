import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packLauncher } from "./packed.ts";
import { startServer, type TestServer } from "./start-server.ts";

/** The packed launcher packages in a temp dir outside the repo, and a server to try them on. */
export interface PackedTry extends AsyncDisposable {
  /** The temp dir: the tarballs are in `<dir>/dist-packages`, as `pnpm pack:client` lays them. */
  readonly dir: string;
  /** The tarballs by package name. */
  readonly tarballs: Record<string, string>;
  readonly server: TestServer;
  dispose(): Promise<void>;
}

/**
 * Packs the client, what it needs and the CLI into a new temp dir (named `prefix…`), then
 * starts a server: what a test of an install outside this workspace (npm, `tsc --strict`,
 * `npm install -g`) starts from. `dispose()` stops the server and removes the dir.
 */
export async function startPackedTry(prefix: string): Promise<PackedTry> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  let server: TestServer | undefined;
  const dispose = async () => {
    await server?.dispose();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const tarballs = await packLauncher(join(dir, "dist-packages"));
    server = await startServer();
    return { dir, tarballs, server, dispose, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
