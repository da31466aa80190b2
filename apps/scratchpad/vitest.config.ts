import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "scratchpad",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
