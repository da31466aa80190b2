// The tsup settings every Node app in this repo builds with (apps/server, apps/scratchpad):
// one ESM entry, src/main.ts, for Node 20, with source maps. Each config adds its bundling.

export const nodeApp = {
  entry: ["src/main.ts"],
  format: ["esm" as const],
  platform: "node" as const,
  target: "node20",
  clean: true,
  sourcemap: true,
};
