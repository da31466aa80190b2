export { assertInstanceId, INSTANCE_ID_PATTERN, isInstanceId } from "./instance-id.ts";
export {
  isTerminal,
  PHASES,
  type Phase,
  phaseRank,
  STEP_STATES,
  type Step,
  type StepState,
  TERMINAL_PHASES,
} from "./phases.ts";
export type { Access, Snapshot } from "./snapshot.ts";
