/**
 * The console's login beyond the password (store side, SQL only): WebAuthn
 * authenticators (生体認証機器) an administrator enrols and revokes, the recovery
 * an administrator approves after a loss, a provider's rule that its operators use
 * one, and the one-use steps of a login (a WebAuthn challenge, a one-time link).
 * Every change is in the audit log. The ceremony itself is http/consoleAuthMount.ts.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { LoaderError, notFound } from '../errors.ts';
import { appendAudit, writeTransaction } from './audit.ts';
import { newId } from '../domain/ids.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import { iso } from './rows.ts';

/** An enrolment code lasts a working day's morning; a login step a few minutes. */
export const ENROLMENT_TTL_MS = 4 * 60 * 60_000;
export const TICKET_TTL_MS = 5 * 60_000;
/** A one-time login link (`npm start`): long enough to open it, short enough to be safe. */
export const ONE_TIME_TTL_MS = 30 * 60_000;

export type EnrolmentPurpose = 'enrol' | 'recovery';
export type TicketPurpose = 'webauthn' | 'enrol' | 'one_time';

const sha256 = (s: string) => Uint8Array.from(createHash('sha256').update(s, 'utf8').digest());

/** No 0/O or 1/I: the operator types it from a note. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export function newEnrolmentCode(): string {
  const c = () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return Array.from({ length: 8 }, c)
    .join('')
    .replace(/^(.{4})/, '$1-');
}

interface TargetRow {
  id: string;
  login: string;
  provider_id: string | null;
  role: Session['role'];
}

/** The operator an administrator acts on, checked against the administrator's scope. */
async function target(ctx: Ctx, s: Session, operatorId: string): Promise<TargetRow> {
  const row = (
    await ctx.db.query<TargetRow>(
      'SELECT id, login, provider_id, role FROM operators WHERE id = $1',
      [operatorId],
    )
  ).rows[0];
  // Outside the caller's provider it does not exist, as elsewhere.
  if (!row || (s.role !== 'platform' && row.provider_id !== s.providerId)) {
    throw notFound('operator', operatorId);
  }
  authorize(s, 'operator.create', { providerId: row.provider_id as never, role: row.role });
  return row;
}

/** An operator who may still log in, as the console's login answers name them. */
export interface ActiveOperator {
  id: string;
  login: string;
  display_name: string;
  provider_id: string | null;
}

export async function activeOperator(ctx: Ctx, id: string): Promise<ActiveOperator | undefined> {
  const r = await ctx.db.query<ActiveOperator>(
    'SELECT id, login, display_name, provider_id FROM operators WHERE id = $1 AND status = $2',
    [id, 'active'],
  );
  return r.rows[0];
}

export interface AuthenticatorRow {
  readonly id: string;
  readonly nickname: string | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export async function listAuthenticators(
  ctx: Ctx,
  s: Session,
  operatorId: string,
): Promise<AuthenticatorRow[]> {
  await target(ctx, s, operatorId);
  return (await credentialsOf(ctx, operatorId, true)).map((c) => ({
    id: c.id,
    nickname: c.nickname,
    createdAt: iso(c.created_at)!,
    lastUsedAt: iso(c.last_used_at),
    revokedAt: iso(c.revoked_at),
  }));
}

export interface CredentialRow {
  readonly id: string;
  readonly public_key: Uint8Array;
  readonly sign_count: string | number;
  readonly transports: string[];
  readonly nickname: string | null;
  readonly created_at: Date;
  readonly last_used_at: Date | null;
  readonly revoked_at: Date | null;
}

/** An operator's authenticators (active only unless `all`); ids base64url as WebAuthn has them. */
export async function credentialsOf(
  ctx: Ctx,
  operatorId: string,
  all = false,
): Promise<CredentialRow[]> {
  const r = await ctx.db.query<Omit<CredentialRow, 'id'> & { credential_id: Uint8Array }>(
    `SELECT credential_id, public_key, sign_count, transports, nickname, created_at, last_used_at, revoked_at
     FROM webauthn_credentials WHERE operator_id = $1 ${all ? '' : 'AND revoked_at IS NULL'}
     ORDER BY created_at`,
    [operatorId],
  );
  return r.rows.map((c) => ({ ...c, id: Buffer.from(c.credential_id).toString('base64url') }));
}

/** An administrator's enrolment (or recovery after a loss): a code the operator uses once. */
export async function issueEnrolment(
  ctx: Ctx,
  s: Session,
  operatorId: string,
  purpose: EnrolmentPurpose,
  note?: string,
): Promise<{ code: string; purpose: EnrolmentPurpose; expiresAt: string }> {
  const op = await target(ctx, s, operatorId);
  const now = ctx.now();
  const code = newEnrolmentCode();
  const expiresAt = new Date(now.getTime() + ENROLMENT_TTL_MS);
  await writeTransaction(ctx.db, async (tx) => {
    await tx.query(
      `INSERT INTO webauthn_enrolments (code_hash, operator_id, purpose, issued_by, issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [sha256(code), op.id, purpose, s.operatorId, now, expiresAt],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: purpose === 'recovery' ? 'webauthn.recovery_approved' : 'webauthn.enrolment_issued',
        target: op.id,
        detail: { providerId: op.provider_id, ...(note ? { note } : {}) },
      },
      now,
    );
  });
  return { code, purpose, expiresAt: expiresAt.toISOString() };
}

/** The unused, unexpired enrolment of `operatorId` with this code (its hash), or a refusal. */
export async function openEnrolment(
  ctx: Ctx,
  operatorId: string,
  code: string,
): Promise<{ hash: Uint8Array; purpose: EnrolmentPurpose }> {
  const hash = sha256(code);
  const r = await ctx.db.query<{ purpose: EnrolmentPurpose }>(
    `SELECT purpose FROM webauthn_enrolments
     WHERE code_hash = $1 AND operator_id = $2 AND used_at IS NULL AND expires_at > $3`,
    [hash, operatorId, ctx.now()],
  );
  const row = r.rows[0];
  if (!row) {
    throw new LoaderError('ENROLMENT_CODE_INVALID', {
      en: 'the enrolment code is wrong, used or expired: ask your administrator for a new one',
      ja: '登録コードが正しくないか、使用済みか、期限切れです。管理者に再発行を依頼してください',
    });
  }
  return { hash, purpose: row.purpose };
}

export async function revokeAuthenticator(
  ctx: Ctx,
  s: Session,
  operatorId: string,
  credentialId: string,
): Promise<void> {
  const op = await target(ctx, s, operatorId);
  const now = ctx.now();
  await writeTransaction(ctx.db, async (tx) => {
    const r = await tx.query(
      `UPDATE webauthn_credentials SET revoked_at = $3, revoked_by = $4
       WHERE credential_id = $1 AND operator_id = $2 AND revoked_at IS NULL`,
      [Buffer.from(credentialId, 'base64url'), op.id, now, s.operatorId],
    );
    if (r.rowCount === 0) throw notFound('authenticator', credentialId);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'webauthn.revoked',
        target: op.id,
        detail: { providerId: op.provider_id, credentialId },
      },
      now,
    );
  });
}

/** Whether the provider's operators must log in with an authenticator. */
export async function requiresWebauthn(ctx: Ctx, providerId: string | null): Promise<boolean> {
  if (providerId === null) return false;
  const r = await ctx.db.query<{ require_webauthn: boolean }>(
    'SELECT require_webauthn FROM providers WHERE id = $1',
    [providerId],
  );
  return r.rows[0]?.require_webauthn === true;
}

export async function setRequireWebauthn(
  ctx: Ctx,
  s: Session,
  providerId: string,
  required: boolean,
): Promise<{ providerId: string; required: boolean }> {
  if (s.role !== 'platform' && s.providerId !== providerId) throw notFound('provider', providerId);
  authorize(s, 'provider.update', { providerId: providerId as never });
  const now = ctx.now();
  await writeTransaction(ctx.db, async (tx) => {
    const r = await tx.query('UPDATE providers SET require_webauthn = $2 WHERE id = $1', [
      providerId,
      required,
    ]);
    if (r.rowCount === 0) throw notFound('provider', providerId);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'provider.require_webauthn',
        target: providerId,
        detail: { providerId, required },
      },
      now,
    );
  });
  return { providerId, required };
}

/** A new step of a login; its id is the secret of a one-time link, so only its hash is kept. */
export async function newTicket(
  ctx: Ctx,
  operatorId: string,
  purpose: TicketPurpose,
  o: { challenge?: string; enrolment?: Uint8Array; ttlMs?: number } = {},
): Promise<string> {
  const id = purpose === 'one_time' ? `ot_${randomBytes(24).toString('hex')}` : newId<string>('wt');
  await ctx.db.query(
    `INSERT INTO login_tickets (id, operator_id, purpose, challenge, enrolment, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      Buffer.from(sha256(id)).toString('hex'),
      operatorId,
      purpose,
      o.challenge ?? null,
      o.enrolment ?? null,
      new Date(ctx.now().getTime() + (o.ttlMs ?? TICKET_TTL_MS)),
    ],
  );
  return id;
}

export interface Ticket {
  readonly operatorId: string;
  readonly purpose: TicketPurpose;
  readonly challenge: string | null;
  readonly enrolment: Uint8Array | null;
}

/** Uses a ticket up (once, unexpired, of one of `purposes`), or LOGIN_TICKET_INVALID. */
export async function takeTicket(
  ctx: Ctx,
  id: string,
  purposes: readonly TicketPurpose[],
): Promise<Ticket> {
  const r = await ctx.db.query<{
    operator_id: string;
    purpose: TicketPurpose;
    challenge: string | null;
    enrolment: Uint8Array | null;
  }>(
    `UPDATE login_tickets SET used_at = $2
     WHERE id = $1 AND used_at IS NULL AND expires_at > $2 AND purpose = ANY($3)
     RETURNING operator_id, purpose, challenge, enrolment`,
    [Buffer.from(sha256(id)).toString('hex'), ctx.now(), purposes],
  );
  const row = r.rows[0];
  if (!row) {
    throw new LoaderError('LOGIN_TICKET_INVALID', {
      en: 'this login step has expired or was used: log in again',
      ja: 'ログインの手続きが期限切れか使用済みです。もう一度ログインしてください',
    });
  }
  return {
    operatorId: row.operator_id,
    purpose: row.purpose,
    challenge: row.challenge,
    enrolment: row.enrolment,
  };
}

/** Stores a verified new authenticator and uses its enrolment up. */
export async function saveCredential(
  ctx: Ctx,
  operator: { id: string; providerId: string | null },
  c: {
    id: string;
    publicKey: Uint8Array;
    counter: number;
    transports: readonly string[];
    aaguid: string;
    nickname?: string;
  },
  enrolment: Uint8Array,
): Promise<void> {
  const now = ctx.now();
  await writeTransaction(ctx.db, async (tx) => {
    const used = await tx.query<{ purpose: string; issued_by: string }>(
      `UPDATE webauthn_enrolments SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL
       RETURNING purpose, issued_by`,
      [enrolment, now],
    );
    const e = used.rows[0];
    if (!e) {
      throw new LoaderError('ENROLMENT_CODE_INVALID', {
        en: 'the enrolment code was used meanwhile',
        ja: '登録コードは既に使用されています',
      });
    }
    await tx.query(
      `INSERT INTO webauthn_credentials
         (credential_id, operator_id, public_key, sign_count, transports, aaguid, nickname, created_at, enrolled_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        Buffer.from(c.id, 'base64url'),
        operator.id,
        c.publicKey,
        c.counter,
        JSON.stringify(c.transports),
        Buffer.from(c.aaguid.replace(/-/g, ''), 'hex'),
        c.nickname ?? null,
        now,
        e.issued_by,
      ],
    );
    await appendAudit(
      tx,
      {
        actor: operator.id,
        action: 'webauthn.enrolled',
        target: operator.id,
        detail: { providerId: operator.providerId, credentialId: c.id, purpose: e.purpose },
      },
      now,
    );
  });
}

/** After a verified assertion: the new signature counter and when. */
export async function credentialUsed(
  ctx: Ctx,
  credentialId: string,
  counter: number,
): Promise<void> {
  await ctx.db.query(
    'UPDATE webauthn_credentials SET sign_count = $2, last_used_at = $3 WHERE credential_id = $1',
    [Buffer.from(credentialId, 'base64url'), counter, ctx.now()],
  );
}

/** A refused authenticator answer, audited (who tried, why). */
export async function webauthnRefused(
  ctx: Ctx,
  operator: { id: string; providerId: string | null },
  why: string,
): Promise<void> {
  await writeTransaction(ctx.db, (tx) =>
    appendAudit(
      tx,
      {
        actor: operator.id,
        action: 'webauthn.refused',
        detail: { providerId: operator.providerId, why: why.slice(0, 200) },
      },
      ctx.now(),
    ),
  );
}
