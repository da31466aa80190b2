export { createLocalDriver, type LocalDriverOptions, sweepTombstones } from "./local-driver.ts";
