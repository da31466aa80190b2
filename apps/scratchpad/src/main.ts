import { readEnv } from "./env.ts";
import { createScratchpad } from "./server.ts";

const config = readEnv();
if ("problems" in config) {
  for (const problem of config.problems) console.error(`scratchpad: ${problem}`);
  process.exit(1);
}
const { password, port, host, instance } = config.env;

const server = createScratchpad(password, { instance });
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
