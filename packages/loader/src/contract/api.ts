/**
 * The loader API, one operation per entry: method, path, who may call it, and
 * the schemas of its params, query, body and success body. The server mounts
 * each route from its entry (http/routes.ts), /openapi.json is made from this
 * table, and the typed client (`@myna-ap/loader/client`) calls operations by name.
 */
import { z } from 'zod';
import * as S from './schemas.ts';
import * as R from './results.ts';
import { CLIENT_OPERATIONS } from './clients.ts';

export interface Operation {
  readonly method: 'GET' | 'POST';
  /** Fastify style: `/v1/providers/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** Needs `Authorization: Bearer <token>`. */
  readonly auth: boolean;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** The success body. */
  readonly response: z.ZodType;
  /** The success status (default 200). */
  readonly status?: number;
  /** The body may also come form-encoded (application/x-www-form-urlencoded: OAuth's token request). */
  readonly form?: boolean;
}

/** Keeps each entry's own schema types (for the client and the handlers). */
const op = <const O extends Operation>(o: O): O => o;

export const API = {
  health: op({
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness and database check',
    tag: 'system',
    auth: false,
    response: R.healthSchema,
  }),
  login: op({
    method: 'POST',
    path: '/v1/login',
    summary: 'Log in with login name and password; returns a session token',
    tag: 'auth',
    auth: false,
    body: S.loginBody,
    response: R.loginResultSchema,
  }),
  logout: op({
    method: 'POST',
    path: '/v1/logout',
    summary: 'Revoke the current session token',
    tag: 'auth',
    auth: true,
    response: R.okSchema,
  }),
  me: op({
    method: 'GET',
    path: '/v1/me',
    summary: 'The operator behind the token',
    tag: 'auth',
    auth: true,
    response: R.sessionSchema,
  }),
  changeOwnPassword: op({
    method: 'POST',
    path: '/v1/me/password',
    summary: 'Change your own password (other sessions end)',
    tag: 'auth',
    auth: true,
    body: S.ownPasswordBody,
    response: R.okSchema,
  }),
  listProviders: op({
    method: 'GET',
    path: '/v1/providers',
    summary: 'List service providers (サービス提供者) in scope',
    tag: 'providers',
    auth: true,
    response: z.array(R.providerSchema),
  }),
  createProvider: op({
    method: 'POST',
    path: '/v1/providers',
    summary: 'Register a service provider (platform operators)',
    tag: 'providers',
    auth: true,
    body: S.newProviderBody,
    response: R.providerSchema,
    status: 201,
  }),
  getProvider: op({
    method: 'GET',
    path: '/v1/providers/:id',
    summary: 'One service provider',
    tag: 'providers',
    auth: true,
    params: S.providerParams,
    response: R.providerSchema,
  }),
  setProviderStatus: op({
    method: 'POST',
    path: '/v1/providers/:id/status',
    summary: 'Suspend, reactivate or retire a provider (platform operators)',
    tag: 'providers',
    auth: true,
    params: S.providerParams,
    body: S.providerStatusBody,
    response: R.providerSchema,
  }),
  listOperators: op({
    method: 'GET',
    path: '/v1/operators',
    summary: 'List operators (オペレーター) in scope',
    tag: 'operators',
    auth: true,
    query: S.operatorsQuery,
    response: z.array(R.operatorSchema),
  }),
  createOperator: op({
    method: 'POST',
    path: '/v1/operators',
    summary: 'Create an operator bound to a provider and terminals',
    tag: 'operators',
    auth: true,
    body: S.newOperatorBody,
    response: R.operatorSchema,
    status: 201,
  }),
  unlockOperator: op({
    method: 'POST',
    path: '/v1/operators/:id/unlock',
    summary: 'Clear a lockout (administrator of the provider, or platform)',
    tag: 'operators',
    auth: true,
    params: S.idParams,
    response: R.okSchema,
  }),
  setOperatorStatus: op({
    method: 'POST',
    path: '/v1/operators/:id/status',
    summary: 'Disable (ends its sessions) or enable an operator',
    tag: 'operators',
    auth: true,
    params: S.idParams,
    body: S.operatorStatusBody,
    response: R.okSchema,
  }),
  resetOperatorPassword: op({
    method: 'POST',
    path: '/v1/operators/:id/password',
    summary: 'Reset an operator’s password (ends its sessions)',
    tag: 'operators',
    auth: true,
    params: S.idParams,
    body: S.passwordResetBody,
    response: R.okSchema,
  }),
  listTerminals: op({
    method: 'GET',
    path: '/v1/terminals',
    summary: 'List loading terminals (搭載端末) in scope',
    tag: 'operators',
    auth: true,
    response: z.array(R.terminalSchema),
  }),
  createTerminal: op({
    method: 'POST',
    path: '/v1/terminals',
    summary: 'Register a loading terminal, with its auto-load preset (自動搭載)',
    tag: 'operators',
    auth: true,
    body: S.newTerminalBody,
    response: R.terminalSchema,
    status: 201,
  }),
  setAutoLoad: op({
    method: 'POST',
    path: '/v1/terminals/:id/auto-load',
    summary: 'Replace a terminal’s auto-load preset (自動搭載)',
    tag: 'operators',
    auth: true,
    params: S.terminalParams,
    body: S.autoLoadBody,
    response: R.autoLoadResultSchema,
  }),
  listCardAps: op({
    method: 'GET',
    path: '/v1/card-aps',
    summary: 'List card APs (カードAP) in scope',
    tag: 'card APs',
    auth: true,
    query: S.cardApsQuery,
    response: z.array(R.cardApSchema),
  }),
  requestCardAp: op({
    method: 'POST',
    path: '/v1/card-aps',
    summary: 'Request a card AP (カードAP登録依頼): type A, C, D or custom',
    tag: 'card APs',
    auth: true,
    body: S.cardApRequestBody,
    response: R.cardApSchema,
    status: 201,
  }),
  getCardAp: op({
    method: 'GET',
    path: '/v1/card-aps/:id',
    summary: 'One card AP',
    tag: 'card APs',
    auth: true,
    params: S.idParams,
    response: R.cardApSchema,
  }),
  requestNewVersion: op({
    method: 'POST',
    path: '/v1/card-aps/:id/versions',
    summary: 'Request a new version of a card AP (same AID and type)',
    tag: 'card APs',
    auth: true,
    params: S.idParams,
    body: S.cardApRequestSchema,
    response: R.cardApSchema,
  }),
  approveCardAp: op({
    method: 'POST',
    path: '/v1/card-aps/:id/approve',
    summary: 'Approve the pending request: assigns the AID, fixes size and access (platform)',
    tag: 'card APs',
    auth: true,
    params: S.idParams,
    body: S.approveBody,
    response: R.cardApSchema,
  }),
  setCardApStatus: op({
    method: 'POST',
    path: '/v1/card-aps/:id/status',
    summary: 'Reject, suspend, resume (approved) or retire a card AP',
    tag: 'card APs',
    auth: true,
    params: S.idParams,
    body: S.cardApStatusBody,
    response: R.cardApSchema,
  }),
  setCardApCarryOver: op({
    method: 'POST',
    path: '/v1/card-aps/:id/carry-over',
    summary:
      'Let municipalities’ counters carry the card AP over to a holder’s renewed or reissued card (引継ぎ), or stop it (the owner’s administrator)',
    tag: 'card APs',
    auth: true,
    params: S.idParams,
    body: S.cardApCarryOverBody,
    response: R.cardApSchema,
  }),
  addCardApUser: op({
    method: 'POST',
    path: '/v1/card-aps/:id/users',
    summary: 'Let a partner store (提携店) or a joint user (共同利用) use the card AP (platform)',
    tag: 'card APs',
    auth: true,
    params: S.idParams,
    body: S.cardApUserBody,
    response: R.cardApSchema,
  }),
  keyPackage: op({
    method: 'GET',
    path: '/v1/card-aps/:id/keys',
    summary:
      'The card AP’s key package (master keys) for the provider’s business systems; audited (administrators of the owner and of its users)',
    tag: 'card APs',
    auth: true,
    params: S.idParams,
    response: R.keyPackageSchema,
  }),
  recordConsent: op({
    method: 'POST',
    path: '/v1/consents',
    summary: 'Record the holder’s consent (本人の希望) to load or delete a card AP',
    tag: 'cards',
    auth: true,
    body: S.consentBody,
    response: R.consentRecordedSchema,
    status: 201,
  }),
  listInstances: op({
    method: 'GET',
    path: '/v1/cards/:cardId/instances',
    summary: 'Card AP instances recorded for a card (own provider’s, or all for the platform)',
    tag: 'cards',
    auth: true,
    params: S.cardParams,
    response: z.array(R.instanceSchema),
  }),
  getServiceHours: op({
    method: 'GET',
    path: '/v1/settings/service-hours',
    summary: 'The service hours in force (Japan time)',
    tag: 'cards',
    auth: true,
    response: R.serviceHoursSchema,
  }),
  setServiceHours: op({
    method: 'POST',
    path: '/v1/settings/service-hours',
    summary: 'Change the service hours (platform)',
    tag: 'cards',
    auth: true,
    body: S.serviceHoursBody,
    response: R.serviceHoursSchema,
  }),
  serviceHoursNow: op({
    method: 'GET',
    path: '/v1/service-hours',
    summary: 'Whether loading is open now (or at `at`)',
    tag: 'cards',
    auth: true,
    query: S.serviceHoursQuery,
    response: R.serviceHoursNowSchema,
  }),
  listAudit: op({
    method: 'GET',
    path: '/v1/audit',
    summary: 'Read the audit log (監査ログ): all for the platform, own provider’s otherwise',
    tag: 'audit',
    auth: true,
    query: S.auditQuery,
    response: z.array(R.auditRowSchema),
  }),
  verifyAudit: op({
    method: 'GET',
    path: '/v1/audit/verify',
    summary:
      'Sequence what is pending, then recompute every leaf and every checkpoint’s root and signature; report the first row that does not hold',
    tag: 'audit',
    auth: true,
    query: S.noQuery,
    response: R.auditVerdictSchema,
  }),
  auditCheckpoint: op({
    method: 'GET',
    path: '/v1/audit/checkpoint',
    summary:
      'The audit log’s newest signed checkpoint (tree size, root, time, Ed25519 signature) and the platform’s audit key (any authenticated caller)',
    tag: 'audit',
    auth: true,
    query: S.noQuery,
    response: R.auditCheckpointViewSchema,
  }),
  auditProof: op({
    method: 'GET',
    path: '/v1/audit/proof',
    summary:
      'An audit row and its RFC 9162 inclusion proof in a checkpoint’s tree (the platform: any row; a provider: its own)',
    tag: 'audit',
    auth: true,
    query: S.auditProofQuery,
    response: R.auditProofSchema,
  }),
  auditConsistency: op({
    method: 'GET',
    path: '/v1/audit/consistency',
    summary:
      'The RFC 9162 consistency proof between two checkpoints: the older tree is a prefix of the newer (any authenticated caller)',
    tag: 'audit',
    auth: true,
    query: S.auditConsistencyQuery,
    response: R.auditConsistencySchema,
  }),
  startJob: op({
    method: 'POST',
    path: '/v1/jobs',
    summary:
      'Start a card operation at a terminal (load, delete, diagnose, move_in, reset_pin, carry_over); answers with the first command APDU to relay',
    tag: 'card jobs',
    auth: true,
    body: S.jobBody,
    response: R.jobSchema,
    status: 201,
  }),
  exchange: op({
    method: 'POST',
    path: '/v1/jobs/:id/exchange',
    summary:
      'Relay the card’s answer to the job’s command `seq`; answers with the next command or the end',
    tag: 'card jobs',
    auth: true,
    params: S.idParams,
    body: S.exchangeBody,
    response: R.jobSchema,
  }),
  getJob: op({
    method: 'GET',
    path: '/v1/jobs/:id',
    summary: 'A card job of yours: its state, command, result or error',
    tag: 'card jobs',
    auth: true,
    params: S.idParams,
    response: R.jobSchema,
  }),
  cancelJob: op({
    method: 'POST',
    path: '/v1/jobs/:id/cancel',
    summary: 'Cancel a running card job (as if the card were pulled away); nothing is lost',
    tag: 'card jobs',
    auth: true,
    params: S.idParams,
    response: R.jobSchema,
  }),
  createBatch: op({
    method: 'POST',
    path: '/v1/batches',
    summary: 'Open a bulk loading batch at a terminal (loads then name it as batchId)',
    tag: 'card jobs',
    auth: true,
    body: S.newBatchBody,
    response: R.batchSchema,
    status: 201,
  }),
  listBatches: op({
    method: 'GET',
    path: '/v1/batches',
    summary: 'The provider’s batches with their counts, newest first, a page at a time',
    tag: 'card jobs',
    auth: true,
    query: S.batchesQuery,
    response: R.batchesPageSchema,
  }),
  getBatch: op({
    method: 'GET',
    path: '/v1/batches/:id',
    summary: 'A batch with its counts (cards, loaded, failed, unfinished)',
    tag: 'card jobs',
    auth: true,
    params: S.idParams,
    response: R.batchSchema,
  }),
  closeBatch: op({
    method: 'POST',
    path: '/v1/batches/:id/close',
    summary: 'Close a batch (done, or cancelled); its loads stay',
    tag: 'card jobs',
    auth: true,
    params: S.idParams,
    body: S.closeBatchBody,
    response: R.batchSchema,
  }),
  setCardStatus: op({
    method: 'POST',
    path: '/v1/cards/:cardId/status',
    summary:
      'Record a card’s status (lost, suspended, revoked, active again) from the call center, a JPKI revocation, the issuer or a platform operator; the providers concerned are notified (platform)',
    tag: 'status feed',
    auth: true,
    params: S.serialParams,
    body: S.cardStatusBody,
    response: R.statusChangeSchema,
  }),
  recordInfoChange: op({
    method: 'POST',
    path: '/v1/cards/:cardId/info-changes',
    summary:
      'Record a 記載事項変更 (the holder’s name or address rewritten on the card, its sign certificate replaced) and tell the providers whose card APs are on the card (card_info_change notices); a municipality’s administrators and loading operators at their terminal',
    tag: 'cards',
    auth: true,
    params: S.serialParams,
    body: S.infoChangeBody,
    response: R.infoChangeRecordSchema,
  }),
  recordPinReset: op({
    method: 'POST',
    path: '/v1/cards/:cardId/pin-resets',
    summary:
      'Record a holder’s PIN reset at the counter (暗証番号の再設定) in the audit log — the operator, the terminal, the card, which PIN, how far it got; never the PIN (administrators and loading operators of a municipality, at their terminal)',
    tag: 'cards',
    auth: true,
    params: S.serialParams,
    body: S.pinResetBody,
    response: R.pinResetRecordSchema,
  }),
  feed: op({
    method: 'GET',
    path: '/v1/feed',
    summary:
      'Card status changes since seq `since` (default 0), oldest first; ask again with `next`. Providers: cards that held their card APs, with the user IDs',
    tag: 'status feed',
    auth: true,
    query: S.feedQuery,
    response: R.feedPageSchema,
  }),
  dailyFeed: op({
    method: 'GET',
    path: '/v1/feed/daily',
    summary:
      'The daily list (1日1回連携): every card in scope whose status changed on `date` (Japan time), as JSON or, with format=csv, as RFC 4180 CSV',
    tag: 'status feed',
    auth: true,
    query: S.dailyQuery,
    response: R.dailyListSchema,
  }),
  dailyFeedSigned: op({
    method: 'GET',
    path: '/v1/feed/daily/signed',
    summary:
      'The daily list as a file with its detached signature (CMS, RFC 5652): `content` is the list (CSV exactly as `dailyFeed` gives it, or the JSON list), `signature` its .p7s; verify it with the certificate of `feedCertificate`',
    tag: 'status feed',
    auth: true,
    query: S.dailyQuery,
    response: R.signedDailyListSchema,
  }),
  feedCertificate: op({
    method: 'GET',
    path: '/v1/feed/certificate',
    summary:
      'The certificate (PEM) that signs the daily lists: published, so a business system can pin it once and check every list offline',
    tag: 'status feed',
    auth: false,
    response: R.feedCertificateSchema,
  }),
  notices: op({
    method: 'GET',
    path: '/v1/notices',
    summary:
      'Your provider’s notices after seq `after`: card APs removed on a move-in (move_in_removed), status changes of cards holding them (card_status), 記載事項変更 of such cards (card_info_change), card APs carried over to a renewed or reissued card with the old and new user IDs (card_ap_carried); ask again with `next`',
    tag: 'status feed',
    auth: true,
    query: S.noticesQuery,
    response: R.noticesPageSchema,
  }),
  ...CLIENT_OPERATIONS,
} as const;

export type Api = typeof API;
export type OperationName = keyof Api;

type Field<O, K extends string> = O extends { readonly [P in K]: infer T extends z.ZodType }
  ? T
  : undefined;
type In<O, K extends string> = z.input<Exclude<Field<O, K>, undefined>>;
type Given<O> = 'params' | 'query' | 'body' extends infer K extends string
  ? K extends unknown
    ? Field<O, K> extends undefined
      ? never
      : K
    : never
  : never;
/**
 * What a caller gives for an operation: its params, query and body, as zod reads
 * them (input). A part whose every field is optional may be left out.
 */
export type InputOf<N extends OperationName> = {
  [K in Given<Api[N]> as Record<never, never> extends In<Api[N], K> ? never : K]: In<Api[N], K>;
} & {
  [K in Given<Api[N]> as Record<never, never> extends In<Api[N], K> ? K : never]?: In<Api[N], K>;
};
/** What an operation answers, parsed. */
export type OutputOf<N extends OperationName> = z.output<Api[N]['response']>;
/** What a handler gets: the parsed params, query and body. */
export type ParsedOf<N extends OperationName> = {
  params: Field<Api[N], 'params'> extends z.ZodType
    ? z.output<Field<Api[N], 'params'>>
    : Record<string, never>;
  query: Field<Api[N], 'query'> extends z.ZodType
    ? z.output<Field<Api[N], 'query'>>
    : Record<string, never>;
  body: Field<Api[N], 'body'> extends z.ZodType ? z.output<Field<Api[N], 'body'>> : undefined;
};
