import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "client",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Integration tests start real servers and processes on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
