/**
 * @myna-ap/transport — how a host reaches a card: in process (the emulator), a
 * PC/SC reader, the vpcd bridge that makes an emulated card a PC/SC reader, and
 * the pcscd + vpcd stack `myna card insert` starts.
 */
export { type CardChannel, type CardEventName } from './channel.ts';
export {
  TRANSPORT_ERRORS,
  TransportError,
  cardRemoved,
  type TransportErrorCode,
} from './errors.ts';
export {
  InProcessChannel,
  powerDown,
  type EmulatedCard,
  type InProcessOptions,
} from './inProcess.ts';
export {
  FrameReader,
  VPCD_PORT,
  VpcdControl,
  classifyVpcdPayload,
  frame,
  type VpcdMessage,
} from './vpcdProtocol.ts';
export { VpcdBridge, type VpcdBridgeOptions, type VpcdBridgeState } from './vpcdBridge.ts';
export {
  PcscChannel,
  chooseReader,
  listReaders,
  mapPcscError,
  type PcscOpenOptions,
  type ReaderInfo,
} from './pcsc.ts';
export {
  LOOPBACK_ROUTE,
  QUICKACK_COMMAND,
  clearLoopbackQuickack,
  ensureLoopbackQuickack,
  loopbackQuickackState,
  routeHasQuickack,
  type QuickackResult,
} from './loopback.ts';
export {
  findVpcdDriver,
  missingPcscPrerequisites,
  pcscSkipReason,
  pollUntil,
  startPcscStack,
  type PcscStack,
} from './pcscStack.ts';
