// What the remote drivers' contract suites (`driver-contract.ts`) need to know of a platform:
// the adapter each driver's tests give, and the helpers the suites share. (Tests only.)

import {
  type Driver,
  type InstanceSpec,
  type Observation,
  type Phase,
  phaseRank,
  type SecretEnv,
} from "./driver.ts";
import { newInstanceSpec, secretEnvFor } from "./driver-fixtures.ts";
import { until } from "./driver-test.ts";
import type { FakeRequest, Fault } from "./fake-platform-server.ts";
import { firstObservation, followToEnd } from "./follow-to-end.ts";
import type { RetryOptions } from "./retry.ts";
import type { StepKey } from "./steps.ts";
import type { Template } from "./template.ts";

/** What the suites need of a contract fake (both fakes have it). */
export interface ContractFake {
  url: string;
  requests: FakeRequest[];
  refused: readonly unknown[];
  fail(fault: Omit<Fault, "times"> & { times?: number }): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/** How the fake platform behaves, in the contract's words; each adapter maps them. */
export interface FakeKnobs {
  /** Each state change takes ~300 ms, so a follower sees every phase. */
  slow?: boolean;
  /** No health check passes, until `setHealthy`. */
  neverHealthy?: boolean;
  /** What runs takes about a second to stop. */
  slowTeardown?: boolean;
}

/** What the suites set on a driver; the rest are the fixture's quick test settings. */
export interface DriverKnobs {
  retry?: RetryOptions;
  tombstoneTtlSeconds?: number;
  /** Credentials the platform refuses: they must never show in an error. */
  credentials?: string;
}

export type RequestAt = Pick<Fault, "method" | "path">;

export interface DriverContractAdapter<F extends ContractFake> {
  /** The driver's name, also its key in `template.drivers`. */
  name: "fly" | "kubernetes";
  /** Its fixture template; each launch gets fresh values for its secrets. */
  template: Template;
  startFake(knobs?: FakeKnobs): Promise<F>;
  driverFor(fake: F, knobs?: DriverKnobs): Driver;
  /** The driver's steps, in order. */
  steps: readonly StepKey[];
  /** Phases a launch followed from its start shows between `preparing` and `ready`. */
  phases: readonly Phase[];
  /** The URL of a ready instance. */
  urlOf(id: string): string;
  /** How many runtimes (machines, pods) of the instance exist and have not stopped. */
  running(fake: F, id: string): number;
  /** Whether the instance's own platform object (its app, its Deployment) exists. */
  holds(fake: F, id: string): boolean;
  /** Requests that ask for an instance's runtime (a machine, a Deployment). */
  creates: RequestAt;
  /** The reason its tombstone on the platform gives, if the instance has one. */
  tombstoneReason(fake: F, id: string): string | undefined;
  /** What `ensure` and `recordFailure` recorded on the instance. */
  marks(fake: F, id: string): { ready?: string; failed?: string };
  /** The instance's health check passes (or fails) from now on. */
  setHealthy(fake: F, id: string, healthy: boolean): void;
  faults: {
    /** A create after the instance's first object: a launch dies half-made there. */
    midCreate: RequestAt;
    /** The teardown of what runs: a destroy dies after its tombstone there. */
    teardown: RequestAt;
    throttled: RequestAt;
    burst: RequestAt;
  };
  /** What a request hands the platform as the instance's secrets; `undefined` for others. */
  secretsIn(request: FakeRequest): unknown;
  /** The error of a launch whose health check did not pass within its timeout of 1 s. */
  timedOut: RegExp;
  /** What a fresh follower of a ready instance sees once its health check fails. */
  afterHiccup: Phase;
  /** What the driver says when the platform refuses its credentials. */
  refused: RegExp;
  availableDetail: string;
  /** Why the driver is unavailable once nothing answers at the fake's address. */
  unreachable(fake: F): string;
  /** Platform-only expectations, checked where a suite has made the state they look at. */
  check?: {
    launched?(fake: F, spec: InstanceSpec): void;
    secretsGone?(fake: F, spec: InstanceSpec, env: SecretEnv): void;
    halfMade?(fake: F, spec: InstanceSpec, error: unknown): void;
    resumed?(fake: F): void;
    destroyed?(fake: F, spec: InstanceSpec, env: SecretEnv): Promise<void>;
    /** Adds objects that look like instances but are not this launcher's. */
    plantForeign?(fake: F, like: string): void;
    listed?(fake: F, spec: InstanceSpec): Promise<void>;
  };
}

export const ensureWithin = (driver: Driver, spec: InstanceSpec, env: SecretEnv) =>
  driver.ensure(spec, env, AbortSignal.timeout(5000));

/** Takes a new launch of the adapter's template to ready on `fake`: its driver, spec and secrets. */
export async function launchOn<F extends ContractFake>(a: DriverContractAdapter<F>, fake: F) {
  const driver = a.driverFor(fake);
  const spec = newInstanceSpec(a.template);
  const env = secretEnvFor(a.template);
  await ensureWithin(driver, spec, env);
  return { driver, spec, env };
}

/** The terminal observation a fresh follower ends at. */
export const lastOf = async (driver: Driver, id: string): Promise<Observation> =>
  (await followToEnd(driver, id)).at(-1)!;

const pathOf = (url: string) => new URL(url, "http://fake").pathname;
/** The requests a fake answered at `at`. */
export const requestsAt = (fake: ContractFake, at: RequestAt) =>
  fake.requests.filter((r) => r.method === at.method && at.path.test(pathOf(r.url)));

/**
 * Starts a launch and stops it once its runtime exists, then waits until the platform says it
 * runs (with `neverHealthy` it stays in `checking`). Returns its spec.
 */
export async function startedOnly<F extends ContractFake>(
  adapter: DriverContractAdapter<F>,
  fake: F,
  driver: Driver,
  owner = "local",
): Promise<InstanceSpec> {
  const spec = newInstanceSpec(adapter.template, { owner });
  const stop = new AbortController();
  const launching = driver
    .ensure(spec, secretEnvFor(adapter.template), stop.signal)
    .catch(() => {});
  await until(() => adapter.running(fake, spec.id) === 1);
  stop.abort();
  await launching;
  const checked = phaseRank("checking");
  await until(async () => phaseRank((await firstObservation(driver, spec.id)).phase) >= checked);
  return spec;
}
