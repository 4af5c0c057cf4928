/**
 * `@myna-ap/loader/client`: what a client of the API needs, without the server
 * (no database, no Fastify), so the CLI starts fast: the typed client, the
 * relay of card jobs, the saved credentials. The schemas and types are in
 * `@myna-ap/loader/contract`.
 */
export { ApiClient, ApiError, pathOf } from './client.ts';
export { systemClient, readFeedSince, FEED_PAGE, type SystemCredentials } from './systemClient.ts';
export {
  DEFAULT_SERVER,
  mynaHome,
  credentialsPath,
  loadCredentials,
  saveCredentials,
  clearCredentials,
  resolveTarget,
  type Credentials,
} from './credentials.ts';
export type { Text } from '@myna-ap/text';
export {
  relayJob,
  scriptOf,
  jobResult,
  type JobReply,
  type CardTransmit,
  type RelayOptions,
} from './relay.ts';
// Checking the audit log's proofs and checkpoints outside the server (docs/audit.md).
export { verifyInclusion, verifyConsistency, leafHash, type Hash } from './domain/merkle.ts';
export { canonicalJson, contentLeaf, chainLeaf, type AuditContent } from './domain/auditLeaf.ts';
export {
  checkpointText,
  checkpointKeyId,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from './domain/auditCheckpoint.ts';
