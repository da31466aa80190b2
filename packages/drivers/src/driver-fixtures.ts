import { randomBytes } from "node:crypto";
import type { InstanceSpec, SecretEnv } from "./driver.ts";
import { type Template, TemplateSchema } from "./template.ts";
import { bundledTemplates } from "./templates/index.ts";

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

/** A bundled template by id, as the server loads it. (Not exported from the package.) */
export function bundledTemplate(id: string): Template {
  const template = bundledTemplates().find((t) => t.id === id);
  if (!template) throw new Error(`no bundled template "${id}"`);
  return template;
}

/**
 * `template` with its `driver` spec changed by `spec` (a key set to `undefined` is removed)
 * and its other fields by `more`, validated again.
 */
export function withSpec(
  template: Template,
  driver: "docker" | "fly" | "kubernetes",
  spec: Record<string, unknown>,
  more: Record<string, unknown> = {},
): Template {
  return TemplateSchema.parse({
    ...template,
    ...more,
    drivers: { ...template.drivers, [driver]: { ...template.drivers[driver], ...spec } },
  });
}

/** Fresh values for every secret of `template`, as its instance's environment receives them. */
export const secretEnvFor = (template: Template): SecretEnv =>
  Object.fromEntries(
    template.secrets.map((secret) => [
      secret.env,
      `${secret.name}-${randomBytes(12).toString("hex")}`,
    ]),
  );
