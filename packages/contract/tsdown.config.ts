import { defineConfig } from "tsdown";

// Built only for the packed client (`pnpm pack:client`); the workspace imports the source.
export default defineConfig({
  entry: ["src/index.ts"],
  format: "esm",
  platform: "neutral",
  target: "es2022",
  dts: true,
  clean: true,
});
