// What an isolated instance's uid leaves in the shared temp folders: real files, as root.
import { existsSync } from "node:fs";
import { chmod, chown, lchown, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as kit from "./isolation-test-kit.ts";
import { removeFilesOfUid } from "./shared-temp.ts";

const title = kit.skipIsolation
  ? `a uid's files in the shared temp folders (skipped: ${kit.SKIP_REASON})`
  : "a uid's files in the shared temp folders";

describe.skipIf(kit.skipIsolation)(title, () => {
  it("are removed at the top of each folder, whole, never through a symlink, and no one else's", async () => {
    const uid = kit.testRange().first;
    const root = await mkdtemp(join(tmpdir(), "launcher-shared-temp-"));
    try {
      const shared = join(root, "shared");
      const other = join(root, "other");
      const outside = join(root, "outside");
      for (const dir of [shared, other, outside]) await mkdir(dir);
      await writeFile(join(outside, "precious"), "root's");
      await mkdir(join(shared, "folder"));
      await writeFile(join(shared, "folder", "inner"), "x");
      await chown(join(shared, "folder"), uid, uid);
      await writeFile(join(shared, "file"), "x");
      await chown(join(shared, "file"), uid, uid);
      await symlink(outside, join(shared, "link"));
      await lchown(join(shared, "link"), uid, uid);
      await writeFile(join(shared, "roots"), "root's");
      await writeFile(join(other, "file"), "x");
      await chown(join(other, "file"), uid + 1, uid + 1);

      await removeFilesOfUid(uid, [shared, other, join(root, "missing")]);
      for (const name of ["folder", "file", "link"])
        expect(existsSync(join(shared, name))).toBe(false);
      expect(existsSync(join(shared, "roots"))).toBe(true);
      expect(existsSync(join(other, "file"))).toBe(true);
      expect(existsSync(join(outside, "precious"))).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
  it("are removed from /run/lock too, and from root's sticky folders open to all within", async () => {
    // Regression: only the top of /tmp, /var/tmp and /dev/shm was searched. /run/lock is open
    // to every uid as well, and so are folders such as /tmp/.X11-unix: what an instance left
    // there passed to the next instance given its uid.
    const uid = kit.testRange().first;
    const root = await mkdtemp(join(tmpdir(), "launcher-shared-temp-"));
    const lock = `/run/lock/launcher-test-${uid}`;
    try {
      const sticky = join(root, "sticky");
      const open = join(root, "open"); // not sticky: another uid could swap it for a symlink
      const others = join(root, "others"); // another uid's: the same
      for (const dir of [sticky, open, others]) {
        await mkdir(join(dir, "deeper"), { recursive: true });
        await chmod(join(dir, "deeper"), 0o1777);
      }
      await chmod(sticky, 0o1777);
      await chmod(open, 0o777);
      await chown(others, uid + 1, uid + 1);
      await chmod(others, 0o1777);
      const left = [join(sticky, "left"), join(sticky, "deeper", "left")];
      const kept = [join(open, "left"), join(others, "left"), join(others, "deeper", "left")];
      if (existsSync("/run/lock")) left.push(lock);
      for (const path of [...left, ...kept]) {
        await writeFile(path, "x");
        await chown(path, uid, uid);
      }

      await removeFilesOfUid(uid, [root]);
      await removeFilesOfUid(uid); // the machine's own shared folders
      for (const path of left) expect(existsSync(path), path).toBe(false);
      for (const path of kept) expect(existsSync(path), path).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(lock, { force: true });
    }
  });
});
