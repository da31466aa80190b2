import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// In development the launcher server runs on its own port; the built app is served by it.
const server = process.env.LAUNCHER_DEV_SERVER ?? "http://127.0.0.1:3000";

export default defineConfig({
  // Event delegation (one document listener that walks up to each `$$click`) pays off for long
  // lists with a handler per row; this page has about twenty handlers, and the delegation code
  // costs more bytes than native listeners do.
  plugins: [solid({ solid: { delegateEvents: false } })],
  build: { target: "es2022", modulePreload: { polyfill: false } },
  server: {
    proxy: {
      "/trpc": {
        target: server,
        ws: true,
        // The server takes WebSocket upgrades only from its own origins; the dev page's is Vite's.
        configure: (proxy) =>
          proxy.on("proxyReqWs", (request) => request.setHeader("origin", server)),
      },
    },
  },
});
