import { randomBytes } from "node:crypto";
import type { InstanceSpec } from "./driver.ts";
import type { Template } from "./template.ts";

/**
 * A spec for a new launch in tests of drivers: a fresh 128-bit id, created now, expiring in
 * an hour. (Not exported from the package.)
 */
export const newInstanceSpec = (
  template: Template,
  more: Partial<Omit<InstanceSpec, "template">> = {},
): InstanceSpec => ({
  id: randomBytes(16).toString("hex"),
  template,
  createdAt: Date.now(),
  owner: "local",
  expiresAt: Date.now() + 3_600_000,
  ...more,
});

/**
 * Closes a contract fake after a test, and fails the test if the fake refused a request the
 * driver sent: the real API would have refused it too.
 */
export async function closeFake(
  fake: { refused: readonly unknown[]; close(): Promise<void> } | undefined,
): Promise<void> {
  if (!fake) return;
  await fake.close();
  if (fake.refused.length > 0) {
    throw new Error(`the fake refused what the driver sent: ${JSON.stringify(fake.refused)}`);
  }
}
