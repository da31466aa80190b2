import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  sourcemap: true,
  // Workspace packages ship TypeScript source, so they are bundled in.
  noExternal: [/^@launcher\//],
});
