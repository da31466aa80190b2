// The real Docker engine that scripts/engine.sh starts (CI runs it), for the tests that launch
// on it: they are skipped only when no engine answers, and CI without one is a failure.

import Docker from "dockerode";

export const docker = new Docker();

export const engineUp = await docker.ping().then(
  () => true,
  () => false,
);
if (!engineUp && process.env.CI)
  throw new Error("CI must start a Docker engine (scripts/engine.sh)");
