import { defineConfig } from "tsup";
import { nodeApp } from "../../tsup.node-app.ts";

export default defineConfig({
  ...nodeApp,
  // Workspace packages ship TypeScript source, so they are bundled in.
  noExternal: [/^@launcher\//],
});
