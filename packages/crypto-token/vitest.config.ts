import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "crypto-token",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
