/**
 * @myna-ap/idp/bridge — the holder's card bridge (`myna bridge`): the card
 * functions a page of an allowed origin may use, on 127.0.0.1. Light: no
 * OIDC provider, no database, no Fastify.
 */
export {
  CardBridge,
  bridgeError,
  MIN_TRIES_TO_SEND,
  type CardSource,
  type CardBridgeOptions,
  type CardFaceKey,
} from './agent.ts';
export {
  startBridgeServer,
  normaliseOrigin,
  BRIDGE_PORT,
  type BridgeServerOptions,
  type RunningBridge,
} from './http.ts';
export { pcscSource } from './pcsc.ts';
