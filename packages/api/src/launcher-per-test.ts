// The test-context builder the api's router tests share: a test launcher that is closed after
// the test that made it.

import { afterEach } from "vitest";
import { createTestLauncher, type TestLauncherOptions } from "./test-launcher.ts";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A test launcher (see createTestLauncher) closed after the current test. */
export async function launcher(options: TestLauncherOptions = {}) {
  const made = await createTestLauncher(options);
  closers.push(made.close);
  return made;
}
