/** zod schemas of the API's inputs and outputs (the OpenAPI document is made from them). */
import { z } from 'zod';
import { cardApRequestSchema } from '../domain/cardAp.ts';
import { PROVIDER_KINDS } from '../domain/provider.ts';
import { ROLES } from '../domain/roles.ts';

export const providerIdSchema = z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,15}$/);
export const terminalIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
export const opaqueIdSchema = z.string().regex(/^[a-z]{2}_[0-9a-f]{24}$/);
export const cardIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
export const municipalityCodeSchema = z.string().regex(/^[0-9]{6}$/);
const date = z.string().regex(/^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/);

export const text = z.object({ en: z.string(), ja: z.string() });
export const errorSchema = z.object({
  code: z.string(),
  message: text,
  detail: z.record(z.string(), z.unknown()).optional(),
});

export const loginBody = z
  .object({ login: z.string().min(1).max(64), password: z.string().min(1).max(1024) })
  .strict();

export const legalBasisSchema = z
  .object({
    kind: z.enum(['ordinance', 'notice', 'conformity']),
    reference: z.string().min(1).max(200),
    date,
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
    kind: z.enum(PROVIDER_KINDS as [string, ...string[]]),
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

export const providerStatusBody = z
  .object({ status: z.enum(['active', 'suspended', 'retired']) })
  .strict();

export const newOperatorBody = z
  .object({
    login: z.string().regex(/^[a-z0-9][a-z0-9._-]{2,63}$/),
    displayName: z.string().min(1).max(100),
    role: z.enum(ROLES as [string, ...string[]]),
    providerId: providerIdSchema.nullable(),
    password: z.string().min(1).max(1024),
    terminals: z.array(terminalIdSchema).max(100).default([]),
  })
  .strict();

export const areaSchema = z.enum(['local', 'extended']);

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

export const cardApRequestBody = cardApRequestSchema
  .extend({ providerId: providerIdSchema })
  .strict();
export const approveBody = z
  .object({ size: z.number().int().min(13).max(4096).optional() })
  .strict();
export const cardApStatusBody = z
  .object({ status: z.enum(['rejected', 'suspended', 'approved', 'retired']) })
  .strict();
export const cardApUserBody = z
  .object({ providerId: providerIdSchema, relation: z.enum(['joint', 'partner']) })
  .strict();

export const consentBody = z
  .object({
    terminalId: terminalIdSchema,
    cardId: cardIdSchema,
    cardApId: opaqueIdSchema,
    purpose: z.enum(['load', 'delete']),
    method: z.enum(['counter_form', 'counter_signature', 'online']),
    note: z.string().max(500).optional(),
  })
  .strict();

export const idParams = z.object({ id: opaqueIdSchema }).strict();
export const providerParams = z.object({ id: providerIdSchema }).strict();
export const terminalParams = z.object({ id: terminalIdSchema }).strict();
export const cardParams = z.object({ cardId: cardIdSchema }).strict();
export const noQuery = z.object({}).strict();
export const intString = (max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,15}$/)
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));
