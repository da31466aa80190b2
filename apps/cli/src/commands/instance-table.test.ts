import { describe, expect, it } from "vitest";
import { instanceTable } from "./instance-table.ts";

const at = Date.UTC(2026, 11, 5, 4, 40);
const row = (id: string, owner: string, phase: string) => ({
  id,
  owner,
  template: "scratchpad",
  driver: "docker",
  phase,
  createdAt: at,
  expiresAt: at + 8 * 3_600_000,
});

describe("instanceTable", () => {
  it("shows short ids, aligned columns and UTC times; owners only when asked", () => {
    const instances = [
      row("0123456789abcdef0123456789abcdef", "ann@example.com", "ready"),
      row("fedcba9876543210fedcba9876543210", "bo", "failed"),
    ];
    expect(instanceTable(instances, { owners: false })).toEqual([
      "ID            TEMPLATE    DRIVER  PHASE   CREATED (UTC)     EXPIRES (UTC)",
      "0123456789ab  scratchpad  docker  ready   2026-12-05 04:40  2026-12-05 12:40",
      "fedcba987654  scratchpad  docker  failed  2026-12-05 04:40  2026-12-05 12:40",
    ]);
    const [header, first] = instanceTable(instances, { owners: true });
    expect(header).toMatch(/^ID\s+OWNER\s+TEMPLATE/);
    expect(first).toMatch(/^0123456789ab {2}ann@example\.com {2}scratchpad/);
  });
});
