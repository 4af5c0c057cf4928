/**
 * What the loader API answers: the success body of every operation, the card
 * jobs' results per op included. The server checks its answers against these in
 * tests (http/server.ts, `checkResponses`), the typed client parses every answer
 * with them, and /openapi.json documents them.
 */
import { z } from 'zod';
import {
  areaSchema,
  cardApRequestSchema,
  cardApStatusSchema,
  cardApTypeSchema,
  cardStatusSchema,
  consentMethodSchema,
  customEfSchema,
  instanceStateSchema,
  jobOpSchema,
  providerKindSchema,
  providerStatusSchema,
  roleSchema,
  serviceHoursBody,
  statusSourceSchema,
  textSchema,
} from './schemas.ts';

const nullable = <T extends z.ZodType>(t: T) => t.nullable();
/** A failure inside a success (a card AP refused in a load, a job that failed). */
export const itemErrorSchema = z.object({
  // A code from the catalogue (docs/errors.md); read as a string so that a newer
  // server's code does not make an older client fail.
  code: z.string(),
  message: textSchema,
  detail: z.record(z.string(), z.unknown()).optional(),
});

export const okSchema = z.object({ ok: z.literal(true) });
export const healthSchema = z.object({ status: z.literal('ok'), db: z.string() });

// --- operators and sessions ---
export const operatorSchema = z.object({
  id: z.string(),
  login: z.string(),
  displayName: z.string(),
  providerId: nullable(z.string()),
  role: roleSchema,
  status: z.enum(['active', 'disabled']),
  terminals: z.array(z.string()),
  lockedUntil: nullable(z.string()),
});
export const loginResultSchema = z.object({
  token: z.string(),
  expiresAt: z.string(),
  operator: operatorSchema,
});
/** The operator behind a token (`GET /v1/me`). */
export const sessionSchema = z.object({
  operatorId: z.string(),
  login: z.string(),
  role: roleSchema,
  providerId: nullable(z.string()),
  terminals: z.array(z.string()),
  expiresAt: z.string(),
});

// --- providers ---
export const providerSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: providerKindSchema,
  municipalityCode: nullable(z.string()),
  prefectureCode: nullable(z.string()),
  legalBasis: z.object({
    kind: z.enum(['ordinance', 'notice', 'conformity']),
    reference: z.string(),
    date: z.string(),
  }),
  contact: z.object({
    name: z.string(),
    email: z.string().optional(),
    phone: z.string().optional(),
  }),
  status: providerStatusSchema,
  representativeId: nullable(z.string()),
  canLoad: z.boolean(),
  /** The provider's AID range: its prefix (hex), how many are used, of how many. */
  aidRange: z.object({ prefix: nullable(z.string()), used: z.number(), size: z.number() }),
});

// --- terminals ---
export const autoLoadItemSchema = z.object({ cardApId: z.string(), area: areaSchema.optional() });
export const terminalSchema = z.object({
  id: z.string(),
  providerId: z.string(),
  name: z.string(),
  autoLoad: z.array(autoLoadItemSchema),
  status: z.string(),
});
export const autoLoadResultSchema = z.object({
  id: z.string(),
  autoLoad: z.array(autoLoadItemSchema),
});

// --- card APs ---
export const accessConditionsSchema = z.object({
  read: z.enum(['free', 'auth_pin', 'auth_pin_encrypted', 'per_ef']),
  write: z.literal('auth'),
  pin: nullable(z.object({ fixed: z.boolean(), tries: z.number() })),
  efs: nullable(z.array(customEfSchema)),
});
export const cardApSchema = z.object({
  id: z.string(),
  providerId: z.string(),
  name: z.string(),
  type: cardApTypeSchema,
  areas: z.array(areaSchema),
  status: cardApStatusSchema,
  aid: nullable(z.string()),
  version: z.number(),
  size: nullable(z.number()),
  access: nullable(accessConditionsSchema),
  /** A request (first, or a new version) awaits approval. */
  pendingRequest: nullable(cardApRequestSchema),
  users: z.array(z.object({ providerId: z.string(), relation: z.enum(['joint', 'partner']) })),
  requestedAt: nullable(z.string()),
  /** 引継ぎ: a municipality's counter may carry it over to a holder's renewed or reissued card. */
  carryOver: z.boolean(),
});
/** The format tag of a key package, as @myna-ap/apdu's KEY_PACKAGE_FORMAT (a test keeps them equal). */
export const KEY_PACKAGE_FORMAT_TAG = 'myna-cardap-keys';
/** A card AP's key package (master keys) for the provider's business systems. */
export const keyPackageSchema = z.object({
  format: z.literal(KEY_PACKAGE_FORMAT_TAG),
  version: z.literal(1),
  cardApId: z.string(),
  providerId: z.string(),
  name: z.string(),
  type: cardApTypeSchema,
  aid: z.string(),
  keys: z.object({ enc: z.string(), mac: z.string() }),
  pin: nullable(z.object({ fixed: z.boolean() })),
  efs: z.array(customEfSchema).optional(),
  issuedAt: z.string(),
});

// --- cards, instances, consents, service hours ---
export const instanceSchema = z.object({
  id: z.string(),
  cardId: z.string(),
  area: areaSchema,
  cardApId: z.string(),
  version: z.number(),
  aid: z.string(),
  userId: z.string(),
  providerId: z.string(),
  terminalId: nullable(z.string()),
  state: instanceStateSchema,
  step: nullable(z.string()),
  createdAt: z.string(),
  createdBy: z.string(),
  loadedAt: nullable(z.string()),
  deletedAt: nullable(z.string()),
});
export const consentRecordedSchema = z.object({ id: z.string() });
export const serviceHoursSchema = serviceHoursBody;
export const serviceHoursNowSchema = z.union([
  z.object({ at: z.string(), open: z.literal(true), overridden: z.boolean() }),
  z.object({
    at: z.string(),
    open: z.literal(false),
    reason: z.enum(['closed_day', 'outside_hours']),
  }),
]);

// --- audit ---
export const auditRowSchema = z.object({
  /** Its position in the Merkle tree (1 = the first leaf). */
  seq: z.number(),
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: nullable(z.string()),
  detail: z.record(z.string(), z.unknown()),
  /** SHA-256(0x00 ‖ canonical JSON of id, at, actor, action, target, detail), hex. */
  leafHash: z.string(),
  /** The old hash chain's links, for rows from before migration 012; null after. */
  prevHash: nullable(z.string()),
  hash: nullable(z.string()),
});
export const auditVerdictSchema = z.union([
  z.object({
    ok: z.literal(true),
    rows: z.number(),
    pending: z.number(),
    checkpoints: z.number(),
    rootHash: z.string(),
    signed: z.boolean(),
  }),
  z.object({
    ok: z.literal(false),
    rows: z.number(),
    seq: z.number(),
    reason: z.enum([
      'hash_mismatch',
      'chain_broken',
      'gap',
      'head_mismatch',
      'root_mismatch',
      'bad_signature',
      'tail_cut',
    ]),
  }),
]);
/** A signed checkpoint (docs/audit.md): what `myna audit checkpoint` shows and checks. */
export const auditCheckpointSchema = z.object({
  size: z.number(),
  rootHash: z.string(),
  at: z.string(),
  /** First 16 hex digits of SHA-256 of the signer's public key; null: unsigned. */
  keyId: nullable(z.string()),
  /** Ed25519 over the checkpoint text, base64; null: unsigned. */
  signature: nullable(z.string()),
});
export const auditCheckpointViewSchema = z.object({
  checkpoint: auditCheckpointSchema,
  /** The platform's audit key (SubjectPublicKeyInfo DER, base64); null: the server has none. */
  publicKey: nullable(z.string()),
});
export const auditProofSchema = z.object({
  row: auditRowSchema,
  checkpoint: auditCheckpointSchema,
  /** RFC 9162 inclusion proof of leaf seq − 1 in the tree of checkpoint.size, hex. */
  proof: z.array(z.string()),
});
export const auditConsistencySchema = z.object({
  from: auditCheckpointSchema,
  to: auditCheckpointSchema,
  /** RFC 9162 consistency proof from from.size to to.size, hex. */
  proof: z.array(z.string()),
});

// --- card jobs and their results ---
/** An instance the job settled first, left unfinished by an earlier interruption. */
export const recoveredSchema = z.object({
  instanceId: z.string(),
  cardApId: z.string(),
  aid: z.string(),
  area: areaSchema,
  from: instanceStateSchema,
  to: instanceStateSchema,
  action: z.enum(['none', 'resend_delete', 'report_missing', 'report_conflict']),
});
export const loadResultSchema = z.object({
  cardId: z.string(),
  recovered: z.array(recoveredSchema),
  results: z.array(
    z.object({
      cardApId: z.string(),
      name: z.string(),
      area: areaSchema,
      aid: nullable(z.string()),
      status: z.enum(['loaded', 'refused']),
      instanceId: z.string().optional(),
      /** 利用者ID written, upper-case hex. */
      userId: z.string().optional(),
      error: itemErrorSchema.optional(),
    }),
  ),
});
export const carryOverResultSchema = z.object({
  cardId: z.string(),
  /** The card it replaced (新旧紐付け). */
  fromCardId: z.string(),
  recovered: z.array(recoveredSchema),
  results: z.array(
    loadResultSchema.shape.results.element.extend({
      providerId: z.string(),
      /** The old card's instance and user ID this one carries on. */
      fromInstanceId: z.string(),
      fromUserId: z.string(),
    }),
  ),
});
export const deleteResultSchema = z.object({
  cardId: z.string(),
  recovered: z.array(recoveredSchema),
  results: z.array(
    z.object({
      cardApId: z.string(),
      area: nullable(areaSchema),
      aid: nullable(z.string()),
      status: z.enum(['deleted', 'refused']),
      instanceId: z.string().optional(),
      /** True when the card no longer had it (the DB followed the card). */
      alreadyGone: z.boolean().optional(),
      error: itemErrorSchema.optional(),
    }),
  ),
});
export const diagnoseResultSchema = z.object({
  readable: z.boolean(),
  cardId: nullable(z.string()),
  municipalityCode: nullable(z.string()),
  expiry: nullable(z.string()),
  status: nullable(z.string()),
  apps: z.array(z.object({ name: z.string(), label: textSchema, present: nullable(z.boolean()) })),
  pins: z.array(z.object({ name: z.string(), label: textSchema, triesLeft: nullable(z.number()) })),
  areas: z.array(
    z.object({
      area: areaSchema,
      total: nullable(z.number()),
      used: nullable(z.number()),
      free: nullable(z.number()),
      yours: z.array(
        z.object({ aid: z.string(), type: z.string(), size: z.number(), recorded: z.boolean() }),
      ),
      others: z.number(),
      error: textSchema.optional(),
    }),
  ),
  missing: z.array(
    z.object({ instanceId: z.string(), cardApId: z.string(), aid: z.string(), area: areaSchema }),
  ),
  recovered: z.array(recoveredSchema),
  certificate: z.object({
    status: z.string(),
    notAfter: z.string().optional(),
    detail: z.string().optional(),
  }),
  findings: z.array(
    z.object({ level: z.enum(['ok', 'warning', 'error']), code: z.string(), text: textSchema }),
  ),
  /** What to do next, most important first. */
  advice: z.array(textSchema),
});
const movedInstance = z.object({
  instanceId: z.string(),
  cardApId: z.string(),
  providerId: z.string(),
  aid: z.string(),
});
export const moveInResultSchema = z.object({
  moveInId: z.string(),
  cardId: z.string(),
  from: nullable(z.string()),
  to: z.string(),
  recovered: z.array(recoveredSchema),
  /** Local-area card APs deleted from the card. */
  removed: z.array(movedInstance),
  /** Extended-area card APs that stay. */
  kept: z.array(movedInstance),
});
export const resetPinResultSchema = z.object({
  cardId: z.string(),
  cardApId: z.string(),
  aid: z.string(),
  tries: z.number(),
  fixed: z.boolean(),
  recovered: z.array(recoveredSchema),
});
/** The result of a finished job, by its op. */
export const JOB_RESULTS = {
  load: loadResultSchema,
  delete: deleteResultSchema,
  diagnose: diagnoseResultSchema,
  move_in: moveInResultSchema,
  reset_pin: resetPinResultSchema,
  carry_over: carryOverResultSchema,
} as const;
export type JobResults = { [K in keyof typeof JOB_RESULTS]: z.infer<(typeof JOB_RESULTS)[K]> };

const jobCommon = {
  id: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  /** Number of the command now waiting for the card's answer (running jobs). */
  seq: z.number(),
  /**
   * The first command of `script`, upper-case hex (running jobs): a relay that
   * sends one APDU per exchange answers just this one and gets the rest next.
   */
  command: z.string().optional(),
  /**
   * The commands to send to the card in order (running jobs), each with the status
   * words after which the next one is sent (`9000`, `63CX`: X any nibble); the first
   * other status ends the script. Answer them all in one exchange.
   */
  script: z.array(z.object({ apdu: z.string(), goOn: z.array(z.string()) })).optional(),
  /** Scripts sent to the terminal so far: the job's round trips. */
  rounds: z.number(),
  error: itemErrorSchema.optional(),
  /** Command APDUs sent so far. */
  apdus: z.number(),
};
const jobOf = <K extends keyof typeof JOB_RESULTS>(op: K) =>
  z.object({ op: z.literal(op), ...jobCommon, result: JOB_RESULTS[op].optional() });
/** A card job as the API shows it: its state, the next command, or its end. */
export const jobSchema = z.discriminatedUnion('op', [
  jobOf('load'),
  jobOf('delete'),
  jobOf('diagnose'),
  jobOf('move_in'),
  jobOf('reset_pin'),
  jobOf('carry_over'),
]);
export type Job = z.infer<typeof jobSchema>;
// jobOpSchema and jobSchema's ops are the same list.
export const JOB_OPS = jobOpSchema.options;

// --- batches ---
export const batchSchema = z.object({
  id: z.string(),
  providerId: z.string(),
  terminalId: z.string(),
  cardApIds: z.array(z.string()),
  state: z.enum(['open', 'done', 'cancelled']),
  createdAt: z.string(),
  /** Cards met in the batch, and the loads by state. */
  cards: z.number(),
  loaded: z.number(),
  failed: z.number(),
  unfinished: z.number(),
});
export const batchesPageSchema = z.object({
  batches: z.array(batchSchema),
  /** The `before` of the next page; null on the last. */
  next: z.string().nullable(),
});

// --- status feed ---
export const feedCardApSchema = z.object({
  instanceId: z.string(),
  cardApId: z.string(),
  aid: z.string(),
  /** 利用者ID (upper-case hex): the key the business system holds. */
  userId: z.string(),
});
export const statusChangeSchema = z.object({
  cardId: z.string(),
  status: cardStatusSchema,
  previous: cardStatusSchema,
  source: statusSourceSchema,
  seq: z.number(),
  at: z.string(),
  /** Providers told (a `card_status` notice each per card AP instance), sorted. */
  notified: z.array(z.string()),
});
export const pinResetRecordSchema = z.object({
  cardId: z.string(),
  which: z.string(),
  outcome: z.string(),
  /** The audit row's id (its seq is given later by the sequencer). */
  auditId: z.string(),
  at: z.string(),
});
export const infoChangeRecordSchema = z.object({
  cardId: z.string(),
  changed: z.array(z.string()),
  /** Providers told (a `card_info_change` notice each per card AP instance), sorted. */
  notified: z.array(z.string()),
  /** The audit row's id (its seq is given later by the sequencer). */
  auditId: z.string(),
  at: z.string(),
});
export const statusEventSchema = z.object({
  seq: z.number(),
  cardId: z.string(),
  status: cardStatusSchema,
  previous: cardStatusSchema,
  source: statusSourceSchema,
  at: z.string(),
  cardAps: z.array(feedCardApSchema).optional(),
});
export const feedPageSchema = z.object({ events: z.array(statusEventSchema), next: z.number() });
export const dailyListSchema = z.object({
  /** The day, Japan time. */
  date: z.string(),
  from: z.string(),
  to: z.string(),
  /** False while the day is still running: the list may still grow. */
  complete: z.boolean(),
  cards: z.array(
    z.object({
      cardId: z.string(),
      status: cardStatusSchema,
      source: statusSourceSchema,
      changedAt: z.string(),
      seq: z.number(),
      changes: z.number(),
      cardAps: z.array(feedCardApSchema).optional(),
    }),
  ),
});
export const noticeSchema = z.object({
  seq: z.number(),
  providerId: z.string(),
  kind: z.enum(['move_in_removed', 'card_status', 'card_info_change', 'card_ap_carried']),
  cardId: z.string(),
  instanceId: nullable(z.string()),
  detail: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export const noticesPageSchema = z.object({ notices: z.array(noticeSchema), next: z.number() });

export type Operator = z.infer<typeof operatorSchema>;
export type LoginResult = z.infer<typeof loginResultSchema>;
export type SessionView = z.infer<typeof sessionSchema>;
export type ProviderView = z.infer<typeof providerSchema>;
export type TerminalView = z.infer<typeof terminalSchema>;
export type CardApView = z.infer<typeof cardApSchema>;
export type KeyPackage = z.infer<typeof keyPackageSchema>;
export type InstanceView = z.infer<typeof instanceSchema>;
export type AuditRowView = z.infer<typeof auditRowSchema>;
export type AuditVerdict = z.infer<typeof auditVerdictSchema>;
export type AuditCheckpointView = z.infer<typeof auditCheckpointViewSchema>;
export type AuditProofView = z.infer<typeof auditProofSchema>;
export type AuditConsistencyView = z.infer<typeof auditConsistencySchema>;
export type LoadResult = z.infer<typeof loadResultSchema>;
export type DeleteResult = z.infer<typeof deleteResultSchema>;
export type DiagnoseResult = z.infer<typeof diagnoseResultSchema>;
export type MoveInResult = z.infer<typeof moveInResultSchema>;
export type ResetPinResult = z.infer<typeof resetPinResultSchema>;
export type BatchView = z.infer<typeof batchSchema>;
export type StatusChangeView = z.infer<typeof statusChangeSchema>;
export type StatusEventView = z.infer<typeof statusEventSchema>;
export type FeedPage = z.infer<typeof feedPageSchema>;
/** A daily list as a file and its detached CMS signature (both base64). */
export const signedDailyListSchema = z.object({
  date: z.string(),
  format: z.enum(['json', 'csv']),
  /** The file name to keep it under; the signature goes beside it as `<fileName>.p7s`. */
  fileName: z.string(),
  /** The list's bytes, base64: exactly what `dailyFeed` answers in that format. */
  content: z.string(),
  /** The detached CMS SignedData (DER), base64. */
  signature: z.string(),
  signedAt: z.string(),
  /** False while the day is still running: a later list of the day may hold more. */
  complete: z.boolean(),
});
/** The feed signer's certificate. */
export const feedCertificateSchema = z.object({
  /** PEM, one certificate. */
  certificate: z.string(),
  /** SHA-256 of the DER, hex: compare it with the one your platform operator gave you. */
  sha256: z.string(),
  subject: z.string(),
  notAfter: z.string(),
});
export type SignedDailyListView = z.infer<typeof signedDailyListSchema>;
export type DailyListView = z.infer<typeof dailyListSchema>;
export type NoticeView = z.infer<typeof noticeSchema>;
export type NoticesPage = z.infer<typeof noticesPageSchema>;
export type ServiceHoursNowView = z.infer<typeof serviceHoursNowSchema>;
export { consentMethodSchema };
