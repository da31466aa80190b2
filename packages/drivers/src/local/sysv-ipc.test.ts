import { describe, expect, it } from "vitest";
import { idsOfUid } from "./sysv-ipc.ts";

describe("a uid's System V IPC objects", () => {
  it("are those it owns or created (its creator may have handed one to another uid)", () => {
    const table = [
      "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid",
      "         0         11   600                  4096   100     0      0 300001 300001 300001 300001",
      "         0         12   600                  4096   101     0      0 300002 300002 300001 300001",
      "         0         13   600                  4096   102     0      0 300002 300002 300002 300002",
      "",
    ].join("\n");
    expect(idsOfUid(table, "shmid", 300_001)).toEqual([11, 12]);
    expect(idsOfUid(table, "shmid", 300_002)).toEqual([12, 13]);
    expect(idsOfUid("", "shmid", 300_001)).toEqual([]);
  });
});
