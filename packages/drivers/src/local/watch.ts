import { type FSWatcher, watch } from "node:fs";
import { join } from "node:path";

/**
 * Calls `wake` whenever a file in the instance's folder changes (a marker added, the log
 * written), through inotify. Before the folder exists it watches the instances folder for it.
 * Returns how to stop. Without a folder to watch it does nothing: polling still converges.
 */
export function watchInstance(instancesDir: string, id: string, wake: () => void): () => void {
  let own: FSWatcher | undefined;
  let parent: FSWatcher | undefined;
  const watchOwn = () => {
    if (own) return true;
    try {
      own = watch(join(instancesDir, id), () => wake());
      own.on("error", () => {});
      parent?.close();
      parent = undefined;
      return true;
    } catch {
      return false;
    }
  };
  if (!watchOwn()) {
    try {
      parent = watch(instancesDir, (_event, name) => {
        if (name === id && watchOwn()) wake();
      });
      parent.on("error", () => {});
      // The folder may have appeared between the two attempts.
      if (watchOwn()) wake();
    } catch {
      // No instances folder yet.
    }
  }
  return () => {
    own?.close();
    parent?.close();
  };
}
