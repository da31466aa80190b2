import { bundledTemplates } from "@launcher/drivers/templates";
import { describe, expect, it } from "vitest";
import { generateInstanceId, generateSecret, generateSecrets } from "./secrets.ts";

describe("generated secrets", () => {
  it("are URL-safe, as long as each template asks, and differ every time", () => {
    for (const template of bundledTemplates({ fixtures: true })) {
      const a = generateSecrets(template.secrets);
      const b = generateSecrets(template.secrets);
      for (const def of template.secrets) {
        expect(a[def.name]).toMatch(new RegExp(`^[A-Za-z0-9_-]{${def.length}}$`));
        expect(a[def.name]!.length).toBeGreaterThanOrEqual(16);
        expect(a[def.name]).not.toBe(b[def.name]);
      }
    }
  });

  it("use the whole alphabet evenly", () => {
    const counts = new Map<string, number>();
    for (const char of generateSecret(64_000)) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(64);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(200);
  });

  it("draw instance ids of 128 random bits", () => {
    const ids = new Set(Array.from({ length: 1000 }, generateInstanceId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});
