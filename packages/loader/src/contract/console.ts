/**
 * What the operator console speaks beside the loader API (docs/console.md): its
 * cookie session, WebAuthn (生体認証機器) login and enrolment, and handing a card
 * job to the terminal's relay. These routes are mounted through the server's seam
 * (http/consoleAuthMount.ts, http/handoffMount.ts), not in the loader's route
 * groups, so they have a table of their own; the console imports only this.
 */
import { z } from 'zod';
import { opaqueIdSchema, terminalIdSchema } from './schemas.ts';
import { sessionSchema } from './results.ts';

/** The session cookie (HttpOnly, SameSite=Strict, Secure under TLS). */
export const SESSION_COOKIE = 'myna_console';
/** State changes with the cookie carry this header with the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';

// --- login ---
export const consoleLoginBody = z
  .object({
    login: z.string().min(1).max(64),
    password: z.string().min(1).max(1024),
    /** From an administrator: enrol (or, after a loss, re-enrol) an authenticator now. */
    enrolmentCode: z
      .string()
      .regex(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
      .optional(),
  })
  .strict();
/** A one-time login link (`npm start` prints one for the demo operator). */
export const oneTimeLoginBody = z
  .object({ ticket: z.string().regex(/^ot_[0-9a-f]{48}$/) })
  .strict();

/** A WebAuthn answer as the browser serialises it; @simplewebauthn/server checks the rest. */
const credentialJson = z
  .object({
    id: z.string().min(1).max(1366),
    rawId: z.string().min(1).max(1366),
    type: z.literal('public-key'),
    response: z.record(z.string(), z.unknown()),
    clientExtensionResults: z.record(z.string(), z.unknown()),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  })
  .loose();
export const webauthnFinishBody = z
  .object({
    ticket: opaqueIdSchema,
    credential: credentialJson,
    nickname: z.string().max(64).optional(),
  })
  .strict();

/** Logged in: who, and the token to send in `x-csrf-token` on every state change. */
export const consoleSessionSchema = z.object({
  session: sessionSchema,
  csrfToken: z.string(),
  /** Ends this long after the last request unless used (ms). */
  idleTimeoutMs: z.number(),
});
/**
 * The password was right; now the authenticator (`webauthn`: log in with it,
 * `enrol`: register one with the code an administrator gave).
 */
export const consoleLoginStepSchema = z.object({
  step: z.enum(['webauthn', 'enrol']),
  ticket: opaqueIdSchema,
  /** PublicKeyCredentialRequestOptionsJSON or …CreationOptionsJSON, for the browser. */
  options: z.record(z.string(), z.unknown()),
});
export const consoleLoginResultSchema = z.union([
  consoleSessionSchema.extend({ step: z.literal('done') }),
  consoleLoginStepSchema,
]);

// --- authenticators (administrators) ---
export const authenticatorSchema = z.object({
  id: z.string(),
  nickname: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export const enrolmentBody = z
  .object({ purpose: z.enum(['enrol', 'recovery']), note: z.string().max(200).optional() })
  .strict();
export const enrolmentSchema = z.object({
  code: z.string(),
  purpose: z.enum(['enrol', 'recovery']),
  expiresAt: z.string(),
});
export const requireWebauthnBody = z.object({ required: z.boolean() }).strict();
export const webauthnPolicySchema = z.object({ providerId: z.string(), required: z.boolean() });
export const credentialParams = z
  .object({ id: opaqueIdSchema, credentialId: z.string().regex(/^[A-Za-z0-9_-]{1,1366}$/) })
  .strict();

// --- terminal agents (administrators; approve and revoke are the terminal channel's) ---
/**
 * `GET /v1/console/terminal-agents`: the provider's agents, newest first; never the
 * approval code (the administrator types the one the counter PC shows).
 */
export const terminalAgentSchema = z.object({
  id: z.string(),
  terminalId: z.string(),
  providerId: z.string(),
  state: z.enum(['pending', 'approved', 'revoked']),
  createdAt: z.string(),
  approvedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

// --- loads and refusals per day (administrators, auditors, the platform) ---
/** The most days `GET /v1/console/stats/daily` counts at once (about a quarter). */
export const MAX_STATS_DAYS = 92;
export const dailyStatsQuery = z
  .object({
    days: z
      .string()
      .regex(/^[0-9]{1,3}$/, `a whole number 1–${MAX_STATS_DAYS}`)
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_STATS_DAYS))
      .optional(),
  })
  .strict();
/** One Japan-time day: the card's confirmed loads and the refused loads. */
export const dayCountSchema = z.object({
  day: z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/),
  loads: z.number().int(),
  refusals: z.number().int(),
});
/** The days oldest first, today (Japan time) last, days without any kept as zeros. */
export const dailyStatsSchema = z.object({ days: z.array(dayCountSchema) });

// --- hand-off of a card job to the terminal's relay ---
export const handoffBody = z.object({ jobId: opaqueIdSchema }).strict();
export const handoffParams = z.object({ id: terminalIdSchema }).strict();
/** `via`: sent over the terminal agent's socket at once, or queued for an HTTP relay to take. */
export const handoffQueuedSchema = z.object({
  jobId: z.string(),
  waiting: z.number(),
  via: z.enum(['channel', 'relay']),
});
export const handoffTakenSchema = z.object({ jobIds: z.array(z.string()) });

export type ConsoleSession = z.infer<typeof consoleSessionSchema>;
export type ConsoleLoginResult = z.infer<typeof consoleLoginResultSchema>;
export type AuthenticatorView = z.infer<typeof authenticatorSchema>;
export type EnrolmentView = z.infer<typeof enrolmentSchema>;
export type TerminalAgentView = z.infer<typeof terminalAgentSchema>;
export type WebauthnPolicyView = z.infer<typeof webauthnPolicySchema>;
export type DayCountView = z.infer<typeof dayCountSchema>;
