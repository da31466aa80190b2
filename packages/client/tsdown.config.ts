import { defineConfig } from "tsdown";

// Built for apps outside this repo (`pnpm pack:client`); the workspace imports the source.
export default defineConfig({
  entry: ["src/index.ts", "src/node.ts"],
  format: "esm",
  platform: "neutral",
  target: "es2022",
  clean: true,
  // `@launcher/api` is a type-only import: its declarations (the `AppRouter` type and what it
  // names) are bundled into ours, so installing the client installs no server code.
  dts: { eager: true, tsconfig: "tsconfig.build.json" },
  // Only zod's declarations may be inlined (the router's context names zod-inferred types);
  // anything else from node_modules must be a dependency, so a stray server import fails here.
  deps: { neverBundle: [/^node:/], onlyBundle: ["zod"] },
  // Declarations take most of the time, as expected: not worth a warning on every build.
  checks: { pluginTimings: false },
});
