// The setup every contract-fake driver test file shares (fly, kubernetes): fakes started
// through it are closed after each test, which fails if a fake refused what the driver sent.

import { waitFor } from "@launcher/testing";
import { afterEach } from "vitest";
import { closeFake } from "./driver-fixtures.ts";

type ContractFake = Parameters<typeof closeFake>[0] & object;

/**
 * Registers the after-each close for this file and returns `startFake`, which starts a fake
 * with `start` and hands it back; `stopFake`, which closes it within the test (to see the
 * driver with no API answering); and `closeJudged`, which closes it within the test as the
 * after-each does. With `judge: false` (tests of the fakes themselves, which send what the API
 * refuses on purpose) the after-each only closes. (Not exported from the package.)
 */
export function newDriverTest<O, F extends ContractFake>(
  start: (options?: O) => Promise<F>,
  { judge = true }: { judge?: boolean } = {},
): {
  startFake: (options?: O) => Promise<F>;
  stopFake: () => Promise<void>;
  closeJudged: () => Promise<void>;
} {
  let current: F | undefined;
  const close = async (judged: boolean) => {
    const closing = current;
    current = undefined;
    if (judged)
      await closeFake(closing); // fails if the driver sent what the real API refuses
    else await closing?.close();
  };
  afterEach(() => close(judge));
  return {
    startFake: async (options) => {
      current = await start(options);
      return current;
    },
    stopFake: () => close(false),
    closeJudged: () => close(true),
  };
}

/** Waits for a condition on the fake, never for a fixed time. */
export const until = (condition: () => boolean | Promise<boolean>) =>
  waitFor(condition, "a condition on the fake", { timeoutMs: 5000, everyMs: 5 });
