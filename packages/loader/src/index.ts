/**
 * @myna-ap/loader — the card AP loading system (カードAP搭載システム). What other
 * packages may use, by name. The API's schemas and types are in
 * `@myna-ap/loader/contract`; a client without the server in `@myna-ap/loader/client`.
 */

// Failures (codes: contract/errors.ts, docs/errors.md).
export { LoaderError, LOADER_ERRORS, type LoaderErrorCode, type Text } from './errors.ts';

// Running a server, and mounting on it (docs/server.md).
export { startServer, defaultKeysFile, type ServeOptions, type RunningServer } from './serve.ts';
export { buildServer, API_VERSION, type ServerOptions } from './http/server.ts';
export { routes, ROUTE_GROUPS } from './http/routes.ts';
export type { Route, ApiCtx } from './http/route.ts';
export { openApiDocument } from './http/openapi.ts';
export { operatorOf } from './http/auth.ts';
export type { Mount, MountContext } from './http/mount.ts';
export {
  consoleMounts,
  oneTimeLogin,
  CONSOLE_CSP,
  type TerminalRelay,
} from './http/consoleMounts.ts';
export {
  TerminalChannels,
  terminalChannelMount,
  type TerminalPresence,
} from './http/terminalChannel.ts';
export type { CardLink } from './cardops/link.ts';
export { seedDemo, DEMO, type DemoInfo } from './demo.ts';

// The store context a server runs on.
export type {
  Ctx,
  Session,
  LoaderConfig,
  CertificateCheck,
  CertificateStatus,
} from './store/context.ts';
export { DEFAULT_CONFIG, TEST_CONFIG } from './store/config.ts';
export {
  applyJpkiRevocations,
  type JpkiRevocationRecord,
  type JpkiRevocationOutcome,
  type JpkiRevocationWatch,
} from './store/jpkiRevocations.ts';
export {
  openSoftwareKeyStore,
  MemoryKeyStore,
  deriveCardApMaster,
  type LoaderKeyStore,
} from './keys/keyStore.ts';

// The loader's tables (applied with @myna-ap/db's migrate, beside other packages').
export { loaderMigrations } from './migrations.ts';
export {
  planLoad,
  type LoadPlan,
  type PlannedCardAp,
  type ReservableCardAp,
} from './store/loadPlan.ts';

// Card operations in process (the API runs them as card jobs).
export { CardJobs, type JobsOptions } from './cardops/jobs.ts';
export { loadOnCard, type LoadItem, type LoadRequest, type LoadOutcome } from './cardops/load.ts';
export { deleteOnCard, type DeleteOutcome } from './cardops/delete.ts';
export { moveIn, type MoveInOutcome } from './cardops/moveIn.ts';
export { carryOver, type CarryOverOutcome } from './cardops/carryOver.ts';
export { diagnose, type DiagnoseReport } from './cardops/diagnose.ts';
export { resetPin, type ResetPinOutcome } from './cardops/resetPin.ts';
export { recoverCard } from './cardops/recover.ts';

// Store functions that tools and benches drive directly (the API calls them too).
export { authenticate, createOperator, login } from './store/operators.ts';
export { createTerminal } from './store/terminals.ts';

// The audit log (監査ログ).
export {
  appendAudit,
  listAudit,
  verifyAudit,
  sequenceAudit,
  SEQUENCE_BATCH,
  rowHash,
  GENESIS_HASH,
  sequenceAllAudit,
  auditCheckpoint,
  auditInclusionProof,
  auditConsistencyProof,
  type AuditRow,
  type AuditVerdict,
} from './store/audit.ts';
export { memoryAuditSigner, openFileAuditSigner } from './keys/auditSigner.ts';
export type { AuditSigner } from './store/context.ts';

// Ids and domain types a caller names.
export type {
  ProviderId,
  OperatorId,
  TerminalId,
  CardApId,
  InstanceId,
  ConsentId,
  CardId,
  UserId,
} from './domain/ids.ts';
export type { Role } from './domain/roles.ts';
export type { ProviderKind } from './domain/provider.ts';

// The client side, also here for callers that have the server anyway.
export { ApiClient, ApiError } from './client.ts';
export { relayJob, jobResult, type JobReply, type CardTransmit } from './relay.ts';
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
