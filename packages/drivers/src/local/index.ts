export { createLocalDriver, type LocalDriverOptions } from "./local-driver.ts";
