/**
 * The values the loader API speaks: ids, enums, request bodies, params and
 * queries. The server validates every input with these, the client and the
 * console build inputs with their types, and /openapi.json is made from them.
 * Imports only zod (this module is loaded by the browser console too).
 */
import { z } from 'zod';
import { LOADER_ERROR_CODES } from './errors.ts';

// --- ids ---
export const providerIdSchema = z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,15}$/);
export const terminalIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
/** Ids the server makes: two letters, `_`, 24 hex digits (`ap_…`, `op_…`, `jb_…`). */
export const opaqueIdSchema = z.string().regex(/^[a-z]{2}_[0-9a-f]{24}$/);
export const cardIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
export const municipalityCodeSchema = z.string().regex(/^[0-9]{6}$/);
export const dateSchema = z.string().regex(/^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/);

// --- enums (the domain's types are checked against these in http/contractCheck.ts) ---
/** 国 / 都道府県 / 市区町村 / 行政機関 / 民間事業者. */
export const providerKindSchema = z.enum([
  'national',
  'prefecture',
  'municipality',
  'agency',
  'private',
]);
export const providerStatusSchema = z.enum(['active', 'suspended', 'retired']);
export const roleSchema = z.enum([
  'platform',
  'administrator',
  'loading_operator',
  'auditor',
  'read_only',
]);
export const areaSchema = z.enum(['local', 'extended']);
export const cardApTypeSchema = z.enum(['A', 'C', 'D', 'custom']);
export const cardApStatusSchema = z.enum([
  'requested',
  'approved',
  'rejected',
  'suspended',
  'retired',
]);
export const cardStatusSchema = z.enum(['active', 'lost', 'suspended', 'revoked']);
export const statusSourceSchema = z.enum(['call_center', 'jpki_revocation', 'operator', 'issuer']);
export const instanceStateSchema = z.enum(['pending', 'loaded', 'deleting', 'deleted', 'failed']);
/** How the holder asked (本人の希望): on a form, by signature at the counter, online. */
export const consentMethodSchema = z.enum(['counter_form', 'counter_signature', 'online']);
export const jobOpSchema = z.enum([
  'load',
  'delete',
  'diagnose',
  'move_in',
  'reset_pin',
  'carry_over',
]);
export const jobStateSchema = z.enum(['running', 'done', 'failed']);
/** What a terminal reports instead of a response APDU when the card is gone. */
export const terminalFailureSchema = z.enum(['CARD_REMOVED', 'NO_CARD', 'PCSC_ERROR']);

export type ProviderKind = z.infer<typeof providerKindSchema>;
export type Role = z.infer<typeof roleSchema>;
export type AreaName = z.infer<typeof areaSchema>;
export type CardApType = z.infer<typeof cardApTypeSchema>;
export type CardApStatus = z.infer<typeof cardApStatusSchema>;
export type CardStatus = z.infer<typeof cardStatusSchema>;
export type StatusSource = z.infer<typeof statusSourceSchema>;
export type ConsentMethod = z.infer<typeof consentMethodSchema>;
export type InstanceState = z.infer<typeof instanceStateSchema>;
export type JobOp = z.infer<typeof jobOpSchema>;
export type JobState = z.infer<typeof jobStateSchema>;
export type TerminalFailure = z.infer<typeof terminalFailureSchema>;

// --- text and failures ---
export const textSchema = z.object({ en: z.string(), ja: z.string() });
/** Every code the loader answers with (the catalogue, docs/errors.md). */
export const failureCodeSchema = z.enum(LOADER_ERROR_CODES);
/** A refusal: every 4xx (and the one 5xx, INTERNAL) has this body. */
export const errorSchema = z.object({
  code: failureCodeSchema,
  message: textSchema,
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type ApiFailure = z.infer<typeof errorSchema>;

// --- auth and operators ---
export const loginBody = z
  .object({ login: z.string().min(1).max(64), password: z.string().min(1).max(1024) })
  .strict();
const password = z.string().min(1).max(1024);
export const newOperatorBody = z
  .object({
    login: z.string().regex(/^[a-z0-9][a-z0-9._-]{2,63}$/),
    displayName: z.string().min(1).max(100),
    role: roleSchema,
    providerId: providerIdSchema.nullable(),
    password,
    terminals: z.array(terminalIdSchema).max(100).default([]),
  })
  .strict();
export const operatorStatusBody = z.object({ status: z.enum(['active', 'disabled']) }).strict();
export const passwordResetBody = z.object({ password }).strict();
export const ownPasswordBody = z.object({ current: password, password }).strict();
export const operatorsQuery = z.object({ providerId: providerIdSchema.optional() }).strict();

// --- providers ---
export const legalBasisSchema = z
  .object({
    kind: z.enum(['ordinance', 'notice', 'conformity']),
    reference: z.string().min(1).max(200),
    date: dateSchema,
  })
  .strict();
export const contactSchema = z
  .object({
    name: z.string().min(1).max(100),
    email: z.string().email().max(200).optional(),
    phone: z
      .string()
      .regex(/^[0-9+() -]{4,30}$/)
      .optional(),
  })
  .strict();
export const newProviderBody = z
  .object({
    id: providerIdSchema,
    name: z.string().min(1).max(200),
    kind: providerKindSchema,
    municipalityCode: municipalityCodeSchema.optional(),
    prefectureCode: z
      .string()
      .regex(/^[0-9]{2}$/)
      .optional(),
    legalBasis: legalBasisSchema,
    contact: contactSchema,
    representativeId: providerIdSchema.optional(),
  })
  .strict();
export const providerStatusBody = z.object({ status: providerStatusSchema }).strict();

// --- terminals ---
/** An auto-load preset (自動搭載): card AP ids, or {cardApId, area} where the area must be said. */
export const autoLoadSchema = z
  .array(
    z.union([
      opaqueIdSchema.transform((cardApId) => ({ cardApId })),
      z.object({ cardApId: opaqueIdSchema, area: areaSchema.optional() }).strict(),
    ]),
  )
  .max(20);
export const newTerminalBody = z
  .object({
    id: terminalIdSchema,
    providerId: providerIdSchema,
    name: z.string().min(1).max(100),
    autoLoad: autoLoadSchema.default([]),
  })
  .strict();
export const autoLoadBody = z.object({ autoLoad: autoLoadSchema }).strict();

// --- card APs (カードAP管理) ---
/**
 * 利用者ID (user ID) length in bytes: the card AP's first bytes. The same number
 * as @myna-ap/apdu's USER_ID_LENGTH (a loader test keeps them equal; this module
 * may not import the card layer).
 */
export const USER_ID_BYTES = 13;
const hex = z
  .string()
  .max(8192)
  .regex(/^([0-9a-fA-F]{2})*$/, 'hex bytes');
/** An EF of a custom card AP (独自カードAP), from the provider's input file. */
export const customEfSchema = z.object({
  fid: z.number().int().min(0x0001).max(0xfffe),
  size: z.number().int().min(1).max(4096),
  access: z.enum(['free', 'protected', 'encrypted']),
});
export type CustomEf = z.infer<typeof customEfSchema>;
export const cardApRequestSchema = z
  .object({
    name: z.string().min(1).max(100),
    type: cardApTypeSchema,
    areas: z
      .array(areaSchema)
      .min(1)
      .max(2)
      .refine((a) => new Set(a).size === a.length, 'areas repeat'),
    /** Bytes to reserve, user ID included. */
    size: z.number().int().min(USER_ID_BYTES).max(4096),
    /** Initial data after the user ID (type C: BER-TLV items; A: records; D: bytes), hex. */
    initialData: hex.optional(),
    /** Types A and D: the PIN is chosen by the holder or fixed by the system (システム固定). */
    pin: z.object({ fixed: z.boolean(), tries: z.number().int().min(1).max(15) }).optional(),
    /** Custom: the provider's input file, or a template's name. */
    inputFile: z.object({ efs: z.array(customEfSchema).min(1).max(16) }).optional(),
    template: z.string().max(64).optional(),
  })
  .strict();
export type CardApRequest = z.infer<typeof cardApRequestSchema>;
export const cardApRequestBody = cardApRequestSchema
  .extend({ providerId: providerIdSchema })
  .strict();
export const approveBody = z
  .object({ size: z.number().int().min(13).max(4096).optional() })
  .strict();
export const cardApStatusBody = z
  .object({ status: z.enum(['rejected', 'suspended', 'approved', 'retired']) })
  .strict();
export const cardApCarryOverBody = z.object({ allowed: z.boolean() }).strict();
export const cardApUserBody = z
  .object({ providerId: providerIdSchema, relation: z.enum(['joint', 'partner']) })
  .strict();
export const cardApsQuery = z
  .object({ providerId: providerIdSchema.optional(), status: cardApStatusSchema.optional() })
  .strict();

// --- consents and service hours ---
export const consentBody = z
  .object({
    terminalId: terminalIdSchema,
    cardId: cardIdSchema,
    cardApId: opaqueIdSchema,
    purpose: z.enum(['load', 'delete']),
    method: consentMethodSchema,
    note: z.string().max(500).optional(),
  })
  .strict();
const monthDay = z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/);
/** Service hours (サービス提供時間) as the API gives them: clock strings in Japan time. */
export const serviceHoursBody = z
  .object({
    open: z.string().max(5),
    close: z.string().max(5),
    closed: z.array(z.tuple([monthDay, monthDay])).max(24),
  })
  .strict();
export type ServiceHoursBody = z.infer<typeof serviceHoursBody>;
export const serviceHoursQuery = z
  .object({ at: z.iso.datetime({ offset: true }).optional() })
  .strict();

// --- card jobs ---
export const hexBytes = (maxBytes: number) =>
  z
    .string()
    .max(maxBytes * 2)
    .regex(/^([0-9A-Fa-f]{2})*$/, 'hex bytes');
export const consentGiven = z
  .object({ method: consentMethodSchema, note: z.string().max(500).optional() })
  .strict();
/** The holder's PIN for a card AP (types A, D, protected custom). Never stored or logged. */
const cardApPin = z.string().min(1).max(16);
export const loadJob = z
  .object({
    op: z.literal('load'),
    terminalId: terminalIdSchema,
    /** Absent or empty: the terminal's auto-load preset. */
    cardAps: z
      .array(
        z
          .object({
            cardApId: opaqueIdSchema,
            area: areaSchema.optional(),
            /** This holder's data (hex), replacing the version's initial data. */
            data: hexBytes(4096).optional(),
            pin: cardApPin.optional(),
          })
          .strict(),
      )
      .max(20)
      .optional(),
    consent: consentGiven,
    holderMunicipality: municipalityCodeSchema.optional(),
    overrideHours: z.boolean().optional(),
    batchId: opaqueIdSchema.optional(),
  })
  .strict();
export const deleteJob = z
  .object({
    op: z.literal('delete'),
    terminalId: terminalIdSchema,
    cardApIds: z.array(opaqueIdSchema).min(1).max(20),
    consent: consentGiven,
    holderMunicipality: municipalityCodeSchema.optional(),
    overrideHours: z.boolean().optional(),
  })
  .strict();
export const diagnoseJob = z
  .object({ op: z.literal('diagnose'), terminalId: terminalIdSchema })
  .strict();
export const resetPinJob = z
  .object({
    op: z.literal('reset_pin'),
    terminalId: terminalIdSchema,
    cardApId: opaqueIdSchema,
    /** The holder's new PIN; left out for a system-fixed PIN. */
    pin: cardApPin.optional(),
    consent: consentGiven,
    overrideHours: z.boolean().optional(),
  })
  .strict();
export const moveInJob = z
  .object({
    op: z.literal('move_in'),
    terminalId: terminalIdSchema,
    toMunicipality: municipalityCodeSchema,
    overrideHours: z.boolean().optional(),
  })
  .strict();
/** 再交付・更新時の引継ぎ: the card APs of the card the one in the reader replaced. */
export const carryOverJob = z
  .object({
    op: z.literal('carry_over'),
    terminalId: terminalIdSchema,
    consent: consentGiven,
    /** PINs the holder chooses now, for card APs with a holder PIN (types A and D). */
    pins: z
      .array(z.object({ cardApId: opaqueIdSchema, pin: cardApPin }).strict())
      .max(20)
      .refine((a) => new Set(a.map((p) => p.cardApId)).size === a.length, 'a card AP twice')
      .optional(),
    holderMunicipality: municipalityCodeSchema.optional(),
    overrideHours: z.boolean().optional(),
  })
  .strict();
export const jobBody = z.discriminatedUnion('op', [
  loadJob,
  deleteJob,
  diagnoseJob,
  moveInJob,
  resetPinJob,
  carryOverJob,
]);
export type JobBody = z.input<typeof jobBody>;
/** A job body as parsed (defaults applied). */
export type JobBodyIn = z.output<typeof jobBody>;
// A response APDU: data (short APDUs: ≤ 256 bytes, plus MAC and padding) + SW1 SW2.
const responseApdu = hexBytes(1024).refine((h) => h.length >= 4, 'at least SW1 SW2');
const seqField = z.number().int().min(1).max(1_000_000);
/** Most commands in a job's script (apdu's MAX_SCRIPT_COMMANDS). */
export const MAX_SCRIPT_ANSWERS = 64;
/**
 * The terminal's answer to script `seq`: the card's responses in order (all of
 * the script, up to the one that ended it, or a prefix when the terminal ran only
 * that), one `response` (the first command alone), or why the card did not answer.
 */
export const exchangeBody = z.union([
  z.object({ seq: seqField, response: responseApdu }).strict(),
  z
    .object({ seq: seqField, responses: z.array(responseApdu).min(1).max(MAX_SCRIPT_ANSWERS) })
    .strict(),
  z.object({ seq: seqField, error: terminalFailureSchema }).strict(),
]);
export type ExchangeBody = z.input<typeof exchangeBody>;

// --- batches ---
export const newBatchBody = z
  .object({
    terminalId: terminalIdSchema,
    cardApIds: z.array(opaqueIdSchema).min(1).max(20),
    note: z.string().max(500).optional(),
  })
  .strict();
/** GET /v1/batches: a page of at most 100 (BATCH_PAGE in store/batches.ts), after the id `before`. */
export const batchesQuery = z
  .object({
    limit: z
      .string()
      .regex(/^[0-9]{1,3}$/, 'a whole number 1–100')
      .transform(Number)
      .pipe(z.number().int().min(1).max(100))
      .optional(),
    before: opaqueIdSchema.optional(),
  })
  .strict();
export const closeBatchBody = z
  .object({ state: z.enum(['done', 'cancelled']).default('done') })
  .strict();

// --- status feed ---
/** The largest page of the feed and of the notices. */
export const MAX_PAGE = 10_000;
/** A seq to read after: a whole number ≥ 0 (0: from the start). */
const seqString = z
  .string()
  .regex(/^[0-9]{1,15}$/, 'a whole number ≥ 0')
  .transform(Number)
  .pipe(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER));
const limitString = z
  .string()
  .regex(/^[0-9]{1,6}$/, `a whole number 1–${MAX_PAGE}`)
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_PAGE));
export const cardStatusBody = z
  .object({
    status: cardStatusSchema,
    source: statusSourceSchema,
    note: z.string().min(1).max(500).optional(),
  })
  .strict();
/**
 * A holder's PIN reset at the counter (myna card pin-reset), for the audit log:
 * which PIN and how far it got — never the PIN or the security code (strict: no
 * other field is taken).
 */
export const pinResetBody = z
  .object({
    terminalId: terminalIdSchema,
    which: z.enum(['auth', 'sign', 'text', 'juki']),
    /** confirmed: the holder's card authenticated, before the write; then reset or failed. */
    outcome: z.enum(['confirmed', 'reset', 'failed']),
    /** The card-authentication key's id the card proved (32 hex digits). */
    cardKeyId: z
      .string()
      .regex(/^[0-9A-Fa-f]{32}$/)
      .optional(),
    /** Why it failed: the error's code (e.g. ISSUER_AUTH_FAILED). */
    error: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{0,63}$/)
      .optional(),
  })
  .strict();
/** A 記載事項変更 done at the counter: what changed (never the new values) and the sign certificates. */
export const infoChangeBody = z
  .object({
    terminalId: terminalIdSchema,
    changed: z
      .array(z.enum(['name', 'address']))
      .min(1)
      .max(2)
      .refine((a) => new Set(a).size === a.length, 'each at most once'),
    /** Serials (hex) of the revoked and the new 署名用 certificate. */
    oldSignSerial: z.string().regex(/^[0-9A-Fa-f]{2,40}$/),
    newSignSerial: z.string().regex(/^[0-9A-Fa-f]{2,40}$/),
  })
  .strict();
export const feedQuery = z
  .object({ since: seqString.optional(), limit: limitString.optional() })
  .strict();
export const noticesQuery = z
  .object({ after: seqString.optional(), limit: limitString.optional() })
  .strict();
/** Whether `date` (YYYY-MM-DD) names a real day of the calendar. */
export function isCalendarDate(date: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(date);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === date;
}
export const dailyQuery = z
  .object({
    date: z.string().refine(isCalendarDate, 'a calendar date YYYY-MM-DD'),
    format: z.enum(['json', 'csv']).optional(),
  })
  .strict();
/**
 * The card serial (カード識別番号) as the card gives it: 8 to 32 bytes in hex. Stored
 * upper-case, as the loader names cards it reads, so a serial typed in lower case
 * still reaches the card's row.
 */
export const serialParams = z
  .object({
    cardId: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}){8,32}$/, 'the card serial in hex (16–64 digits)')
      .transform((s) => s.toUpperCase()),
  })
  .strict();

// --- audit ---
export const intString = (max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,15}$/)
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));
export const auditQuery = z
  .object({
    after: intString(Number.MAX_SAFE_INTEGER).optional(),
    limit: intString(1000).optional(),
  })
  .strict();

/** GET /v1/audit/proof: the row's seq; the tree's size (default: the newest checkpoint). */
export const auditProofQuery = z
  .object({
    seq: intString(Number.MAX_SAFE_INTEGER),
    size: intString(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();
/** GET /v1/audit/consistency: two checkpoint sizes (`to` default: the newest). */
export const auditConsistencyQuery = z
  .object({
    from: intString(Number.MAX_SAFE_INTEGER),
    to: intString(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

// --- params ---
export const idParams = z.object({ id: opaqueIdSchema }).strict();
export const providerParams = z.object({ id: providerIdSchema }).strict();
export const terminalParams = z.object({ id: terminalIdSchema }).strict();
export const cardParams = z.object({ cardId: cardIdSchema }).strict();
export const noQuery = z.object({}).strict();
