import { createScratchpad } from "./server.ts";

const password = process.env.SCRATCHPAD_PASSWORD;
const port = Number(process.env.SCRATCHPAD_PORT ?? "8080");
const host = process.env.SCRATCHPAD_HOST ?? "127.0.0.1";

if (!password || password.length < 8) {
  console.error("scratchpad: SCRATCHPAD_PASSWORD must be set (8 characters or more)");
  process.exit(1);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("scratchpad: SCRATCHPAD_PORT must be a port number");
  process.exit(1);
}

const server = createScratchpad(password);
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  console.log(`scratchpad listening on http://${host}:${actual}/`);
});
const stop = () => {
  console.log("scratchpad stopping");
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
