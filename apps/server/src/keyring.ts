import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateKey, type Keyring, parseKeyring } from "@launcher/crypto-token";

/**
 * The keyring from `LAUNCHER_KEYS`, or, for development, one generated once into the
 * state dir (mode 0600) and reused, so a restart keeps every ticket valid.
 */
export async function loadKeyring(
  keys: string | undefined,
  stateDir: string,
): Promise<{ keyring: Keyring; source: "env" | "dev-file" }> {
  if (keys) return { keyring: await parseKeyring(keys), source: "env" };
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, "dev-keys");
  const existing = await readFile(path, "utf8").catch(() => "");
  if (existing.trim()) return { keyring: await parseKeyring(existing.trim()), source: "dev-file" };
  // Written whole to a temp file, then linked into place: of two replicas starting at once
  // exactly one key wins, and no reader (or a crash) ever sees a half-written file.
  const tmp = `${path}.${process.pid}.${randomUUID()}`;
  await writeFile(tmp, `dev1:${generateKey()}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(tmp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await rm(tmp, { force: true });
  }
  return { keyring: await parseKeyring((await readFile(path, "utf8")).trim()), source: "dev-file" };
}
