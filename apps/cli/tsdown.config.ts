import { defineConfig } from "tsdown";

// The `launcher` command as `npm install -g` installs it (`pnpm pack:client`): one ESM file.
// The workspace packages it uses (`@launcher/client` and what that needs) are bundled in, so
// the tarball names only packages from the npm registry (its `dependencies`).
export default defineConfig({
  entry: ["src/main.ts"],
  format: "esm",
  platform: "node",
  target: "node20",
  fixedExtension: false,
  clean: true,
  sourcemap: true,
  dts: false,
  // Nothing from node_modules is bundled: those are `dependencies`, installed by npm.
  deps: { alwaysBundle: [/^@launcher\//], onlyBundle: [] },
});
