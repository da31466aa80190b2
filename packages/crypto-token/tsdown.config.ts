import { defineConfig } from "tsdown";

// Built only for the packed client (`pnpm pack:client`); the workspace imports the source.
// Three entries, as `publishConfig.exports` lists them: WebCrypto, node:crypto, Phoenix.
export default defineConfig({
  entry: {
    index: "src/index.ts",
    "index.node": "src/index.node.ts",
    "phoenix/index": "src/phoenix/index.ts",
  },
  format: "esm",
  platform: "neutral",
  target: "es2022",
  dts: true,
  clean: true,
  // The optional peer dependency of `/phoenix` stays the installer's.
  deps: { neverBundle: [/^@noble\/ciphers/, /^node:/] },
});
