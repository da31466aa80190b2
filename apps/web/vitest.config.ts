import solid from "vite-plugin-solid";
import { defineProject } from "vitest/config";

// Component tests run in jsdom; the end-to-end suite (test/*.e2e.test.ts) declares the node
// environment itself, drives a real Chromium and starts the real built server.
export default defineProject({
  plugins: [solid()],
  test: {
    name: "web",
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}", "test/**/*.test.{ts,tsx}"],
  },
});
