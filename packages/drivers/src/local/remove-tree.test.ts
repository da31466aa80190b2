// Removing a tree another process rewrites meanwhile: real files, a real racing process.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { removeTree } from "./remove-tree.ts";

/** Debian's Python (CI has it): its ctypes reaches renameat2, which Node does not offer. */
const PYTHON = "/usr/bin/python3";

/**
 * Swaps `<dir>/d` and `<dir>/l` atomically (renameat2 RENAME_EXCHANGE), over and over, as an
 * app that wants root to follow a symlink would; resolves once it runs.
 */
async function startSwapper(dir: string): Promise<ChildProcess> {
  const script = [
    "import ctypes, sys",
    "libc = ctypes.CDLL(None, use_errno=True)",
    "d, l = (sys.argv[1] + '/d').encode(), (sys.argv[1] + '/l').encode()",
    "print('swapping', flush=True)",
    "while True: libc.renameat2(-100, d, -100, l, 2)",
  ].join("\n");
  const child = spawn(PYTHON, ["-c", script, dir], { stdio: ["ignore", "pipe", "ignore"] });
  await new Promise((resolve) => child.stdout!.once("data", resolve));
  return child;
}

describe.skipIf(!existsSync(PYTHON))("removing a tree", () => {
  it("never removes what a folder swapped for a symlink during the removal points to", async () => {
    // Regression: the teardown removed an isolated instance's files with Node's fs.rm, which
    // goes by path: another instance's app, writing in a folder the first made 0777, could
    // swap a folder in it for a symlink to /etc between its lstat and its readdir, and have
    // root remove /etc's files.
    const root = await mkdtemp(join(tmpdir(), "launcher-remove-tree-"));
    const victim = join(root, "victim");
    const tree = join(root, "tree");
    await mkdir(victim);
    await mkdir(tree);
    const swapper = await startSwapper(tree);
    try {
      // Each round has an even chance or so to meet the swap at the wrong instant; 40 rounds.
      for (let round = 0; round < 40; round++) {
        await writeFile(join(victim, "canary"), "keep me");
        await mkdir(join(tree, "d"), { recursive: true });
        await writeFile(join(tree, "d", "inner"), "remove me");
        await symlink(victim, join(tree, "l")).catch(() => {});
        await removeTree(tree).catch(() => {}); // A removal the race cuts short may fail.
        expect(existsSync(join(victim, "canary"))).toBe(true);
        await mkdir(tree, { recursive: true });
      }
    } finally {
      swapper.kill("SIGKILL");
      await rm(root, { recursive: true, force: true });
    }
  });

  it("removes a tree whole, a missing one quietly, and a symlink itself, not its target", async () => {
    const root = await mkdtemp(join(tmpdir(), "launcher-remove-tree-"));
    try {
      await mkdir(join(root, "tree", "a", "b"), { recursive: true });
      await writeFile(join(root, "tree", "a", "b", "file"), "x");
      await mkdir(join(root, "target"));
      await writeFile(join(root, "target", "kept"), "x");
      await symlink(join(root, "target"), join(root, "tree", "link"));
      await symlink(join(root, "target"), join(root, "top-link"));

      await removeTree(join(root, "tree"));
      await removeTree(join(root, "top-link"));
      await removeTree(join(root, "missing"));
      expect(existsSync(join(root, "tree"))).toBe(false);
      expect(existsSync(join(root, "top-link"))).toBe(false);
      expect(existsSync(join(root, "target", "kept"))).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
