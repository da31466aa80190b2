// Imports the docker driver as the server does and reports whether dockerode was loaded:
// after the import and creating the driver, and again after its first use.
// Usage: tsx lazy-load.fixture.ts; prints one JSON line.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const dockerodeLoaded = () =>
  Object.keys(require.cache).some((path) => /[\\/]node_modules[\\/]dockerode[\\/]/.test(path));

const { createDockerDriver } = await import("@launcher/drivers/docker");
const driver = createDockerDriver({ host: "unix:///nonexistent/launcher/docker.sock" });
const atStart = dockerodeLoaded();
await driver.available();
console.log(JSON.stringify({ atStart, afterFirstUse: dockerodeLoaded() }));
