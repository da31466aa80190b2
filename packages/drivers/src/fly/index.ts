export { createFlyDriver, FLY_FAILED_SECRET, type FlyDriverOptions } from "./fly-driver.ts";
export { tombstoneSecretName } from "./fly-tombstones.ts";
