// The setup every contract-fake driver test file shares (fly, kubernetes): fakes started
// through it are closed after each test, which fails if a fake refused what the driver sent.

import { waitFor } from "@launcher/testing";
import { afterEach } from "vitest";
import { closeFake } from "./driver-fixtures.ts";

type ContractFake = Parameters<typeof closeFake>[0] & object;

/**
 * Registers the after-each close for this file and returns `startFake`, which starts a fake
 * with `start` and hands it back, and `stopFake`, which closes it within the test (to see the
 * driver with no API answering). (Not exported from the package.)
 */
export function newDriverTest<O, F extends ContractFake>(
  start: (options?: O) => Promise<F>,
): { startFake: (options?: O) => Promise<F>; stopFake: () => Promise<void> } {
  let current: F | undefined;
  afterEach(async () => {
    const closing = current;
    current = undefined;
    await closeFake(closing); // and fails the test if the driver sent what the real API refuses
  });
  return {
    startFake: async (options) => {
      current = await start(options);
      return current;
    },
    stopFake: async () => {
      const closing = current;
      current = undefined;
      await closing?.close();
    },
  };
}

/** Waits for a condition on the fake, never for a fixed time. */
export const until = (condition: () => boolean) =>
  waitFor(condition, "a condition on the fake", { timeoutMs: 5000, everyMs: 5 });
