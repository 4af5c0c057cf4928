/**
 * @myna-ap/terminal — the terminal agent at a loading counter (`myna terminal run`).
 */
export {
  AGENT_NAME,
  TerminalAgent,
  channelUrl,
  type AgentEvent,
  type AgentOptions,
} from './agent.ts';
export { DEFAULT_BACKOFF, backoffDelay, type Backoff } from './backoff.ts';
export { StepMemory, type StepAnswer } from './steps.ts';
export { enrol, identityDir, loadIdentity, proveChannel, type AgentIdentity } from './identity.ts';
export { TERMINAL_ERRORS, TerminalError, type TerminalErrorCode } from './errors.ts';
