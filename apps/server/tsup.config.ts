import { sep } from "node:path";
import { defineConfig, type Options } from "tsup";
import { nodeApp } from "../../tsup.node-app.ts";

type Plugin = NonNullable<Options["esbuildPlugins"]>[number];

/**
 * zod's translations of its error messages (366 KB, some 40 languages): the server speaks
 * English, which zod imports on its own. Leaving them out saves parsing them at every start.
 */
const withoutZodLocales: Plugin = {
  name: "without-zod-locales",
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}zod${sep}`)
        ? { path: "zod-locales", namespace: "stub" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export {};" }));
  },
};

export default defineConfig({
  ...nodeApp,
  // One file to read and compile at start instead of hundreds: a cold start is mostly module
  // loading. What is imported only on first use stays outside (dockerode and the Kubernetes
  // client with their large trees; prom-client, CommonJS that Node's own import() opens with
  // its named exports), and so does each driver's code, in its own chunk.
  splitting: true,
  noExternal: [/^(?!dockerode$|@kubernetes\/client-node$|prom-client$).*/],
  esbuildPlugins: [withoutZodLocales],
  // Bundled CommonJS (ws, pino) calls require() for Node's own modules.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
});
