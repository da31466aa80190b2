import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "drivers",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
