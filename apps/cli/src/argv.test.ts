import { describe, expect, it } from "vitest";
import { hoistCommonFlags } from "./argv.ts";

describe("hoistCommonFlags", () => {
  it("moves the common options before the subcommand to after it", () => {
    expect(hoistCommonFlags(["--server", "http://h:1", "list"])).toEqual([
      "list",
      "--server",
      "http://h:1",
    ]);
    expect(hoistCommonFlags(["--json", "--server=http://h:1", "launch", "scratchpad"])).toEqual([
      "launch",
      "--json",
      "--server=http://h:1",
      "scratchpad",
    ]);
    expect(hoistCommonFlags(["--debug", "follow", "abcd", "--json"])).toEqual([
      "follow",
      "--debug",
      "abcd",
      "--json",
    ]);
  });

  it("leaves everything else as it is, for citty to handle or refuse", () => {
    for (const argv of [
      [],
      ["list", "--json"],
      ["--version"],
      ["--help", "launch"],
      ["--driver", "docker", "launch"], // not a common option
      ["--constructor", "list"], // nor is what every object inherits
      ["--server"], // no value
      ["--json"], // no subcommand
    ]) {
      expect(hoistCommonFlags(argv)).toEqual(argv);
    }
  });
});
