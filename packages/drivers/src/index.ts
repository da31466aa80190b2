export { cacheByKey, cacheFor } from "./availability-cache.ts";
export {
  type Availability,
  assertInstanceId,
  type DestroyReason,
  type Driver,
  DriverError,
  type InstanceInfo,
  type InstanceSpec,
  isInstanceId,
  isTerminal,
  type Observation,
  PHASES,
  type Phase,
  phaseRank,
  type SecretEnv,
  type Step,
  type StepState,
  TERMINAL_PHASES,
} from "./driver.ts";
export { probeHealth } from "./health.ts";
export { type ObserveLoopOptions, observeLoop } from "./observe-loop.ts";
export { DEFAULT_RETRY, type RetryOptions, retryDelay, sleep } from "./retry.ts";
export { makeSteps, STEP_OF_PHASE, type StepKey, type StepMarks } from "./steps.ts";
export {
  type ContainerSpec,
  ContainerSpecSchema,
  fillPlaceholders,
  type LocalSpec,
  LocalSpecSchema,
  type Resources,
  ResourcesSchema,
  type SecretDef,
  SecretDefSchema,
  type Template,
  type TemplateInput,
  TemplateSchema,
} from "./template.ts";
