import { describe, expect, it } from "vitest";
import { makeSnapshot } from "../testing/fake-client.ts";
import { formatDuration, makeFailedStep, makeSafeHref } from "./format.ts";

describe("formatDuration", () => {
  it("is short for a launch and readable for a long one", () => {
    expect(formatDuration(840)).toBe("0.8 s");
    expect(formatDuration(42_300)).toBe("42 s");
    expect(formatDuration(125_000)).toBe("2 min 05 s");
    expect(formatDuration(-5)).toBe("0.0 s");
  });
});

describe("makeFailedStep", () => {
  it("names the failing step", () => {
    expect(makeFailedStep(makeSnapshot("d".repeat(32), "failed"))?.label).toBe("Starting");
  });
});

describe("makeSafeHref", () => {
  it("lets only http: and https: addresses become links", () => {
    expect(makeSafeHref("http://127.0.0.1:4100/")).toBe("http://127.0.0.1:4100/");
    expect(makeSafeHref("https://nb.example.org/x/")).toBe("https://nb.example.org/x/");
    for (const url of [
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      "data:text/html,<b>",
      "file:///etc/passwd",
      "not a url",
      "//evil.example/",
    ]) {
      expect(makeSafeHref(url), url).toBeUndefined();
    }
  });
});
