export { createFlyDriver, FLY_TOMBSTONE_SECRET, type FlyDriverOptions } from "./fly-driver.ts";
