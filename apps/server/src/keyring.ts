import { mkdir, open, readFile } from "node:fs/promises";
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
  try {
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(`dev1:${generateKey()}\n`);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return { keyring: await parseKeyring((await readFile(path, "utf8")).trim()), source: "dev-file" };
}
