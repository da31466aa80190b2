// The behaviour every remote driver (fly, kubernetes) owes, stated once: each driver's test
// file runs it against its contract fake through a small adapter (`driver-contract-adapter.ts`)
// that says how that platform is looked at and upset. (Tests only; not exported.)

import type { ContractFake, DriverContractAdapter } from "./driver-contract-adapter.ts";
import { describeLaunchContract } from "./driver-contract-launch.ts";
import { describeLifecycleContract } from "./driver-contract-lifecycle.ts";

export type { DriverContractAdapter } from "./driver-contract-adapter.ts";

/**
 * Registers the contract's tests for one driver.
 *
 * @example
 * describeDriverContract(flyContract); // in fly-driver.test.ts
 */
export function describeDriverContract<F extends ContractFake>(
  adapter: DriverContractAdapter<F>,
): void {
  describeLaunchContract(adapter);
  describeLifecycleContract(adapter);
}
