/** オペレーター: accounts, login with lockout, sessions, terminals. */
import { randomBytes } from 'node:crypto';
import { LoaderError, notFound } from '../errors.ts';
import { appendAudit, writeTransaction } from './audit.ts';
import type { Queryable } from '@myna-ap/db';
import { uniqueViolation } from '@myna-ap/db';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from '../domain/password.ts';
import {
  afterFailure,
  afterSuccess,
  isLocked,
  looksLikeToken,
  newSessionToken,
  sessionValid,
  tokenHash,
} from '../domain/login.ts';
import { newId, type OperatorId, type ProviderId, type TerminalId } from '../domain/ids.ts';
import type { Role } from '../domain/roles.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import { findProvider } from './providers.ts';
import { iso } from './rows.ts';

interface OperatorRow {
  id: string;
  login: string;
  display_name: string;
  provider_id: string | null;
  role: Role;
  password_hash: string;
  failed_logins: number;
  locked_until: Date | null;
  status: 'active' | 'disabled';
  terminals?: string[] | null;
}

export interface OperatorView {
  readonly id: OperatorId;
  readonly login: string;
  readonly displayName: string;
  readonly providerId: ProviderId | null;
  readonly role: Role;
  readonly status: 'active' | 'disabled';
  readonly terminals: readonly TerminalId[];
  readonly lockedUntil: string | null;
}

function view(r: OperatorRow): OperatorView {
  return {
    id: r.id as OperatorId,
    login: r.login,
    displayName: r.display_name,
    providerId: r.provider_id as ProviderId | null,
    role: r.role,
    status: r.status,
    terminals: (r.terminals ?? []) as TerminalId[],
    lockedUntil: iso(r.locked_until),
  };
}

const WITH_TERMINALS = `SELECT o.*, COALESCE((SELECT json_agg(terminal_id ORDER BY terminal_id)
  FROM operator_terminals t WHERE t.operator_id = o.id), '[]') AS terminals FROM operators o`;

export interface NewOperator {
  readonly login: string;
  readonly displayName: string;
  readonly role: Role;
  readonly providerId: ProviderId | null;
  readonly password: string;
  readonly terminals: readonly TerminalId[];
}

function checkPassword(p: string): void {
  if (p.length < MIN_PASSWORD_LENGTH) {
    throw new LoaderError('PASSWORD_TOO_SHORT', {
      en: `a password needs at least ${MIN_PASSWORD_LENGTH} characters`,
      ja: `パスワードは${MIN_PASSWORD_LENGTH}文字以上にしてください`,
    });
  }
}

async function insertOperator(
  tx: Queryable,
  input: NewOperator,
  hash: string,
): Promise<OperatorView> {
  if ((input.role === 'platform') !== (input.providerId === null)) {
    throw new LoaderError('OPERATOR_PROVIDER_MISMATCH', {
      en: 'platform operators have no provider; every other role belongs to exactly one',
      ja: '機構オペレーターはサービス提供者に属さず、それ以外は必ず1つのサービス提供者に属します',
    });
  }
  if (input.providerId !== null) {
    const p = await findProvider(tx, input.providerId);
    if (!p) throw notFound('provider', input.providerId);
  }
  const id = newId<OperatorId>('op');
  try {
    await tx.query(
      `INSERT INTO operators (id, login, display_name, provider_id, role, password_hash)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, input.login, input.displayName, input.providerId, input.role, hash],
    );
  } catch (e) {
    if (uniqueViolation(e) !== undefined) {
      throw new LoaderError(
        'OPERATOR_EXISTS',
        { en: `login ${input.login} is taken`, ja: `ログイン名 ${input.login} は使用済みです` },
        409,
      );
    }
    throw e;
  }
  for (const t of input.terminals) {
    const r = await tx.query<{ provider_id: string }>(
      'SELECT provider_id FROM terminals WHERE id = $1',
      [t],
    );
    if (r.rows[0]?.provider_id !== input.providerId) throw notFound('terminal', t);
    await tx.query('INSERT INTO operator_terminals (operator_id, terminal_id) VALUES ($1, $2)', [
      id,
      t,
    ]);
  }
  const row = (await tx.query<OperatorRow>(`${WITH_TERMINALS} WHERE o.id = $1`, [id])).rows[0];
  if (!row) throw new Error('operator vanished inside its own transaction');
  return view(row);
}

export async function createOperator(
  ctx: Ctx,
  s: Session,
  input: NewOperator,
): Promise<OperatorView> {
  authorize(s, 'operator.create', { providerId: input.providerId, role: input.role });
  checkPassword(input.password);
  const hash = await hashPassword(input.password, ctx.config.scrypt);
  return writeTransaction(ctx.db, async (tx) => {
    const op = await insertOperator(tx, input, hash);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'operator.create',
        target: op.id,
        detail: {
          providerId: op.providerId,
          login: op.login,
          role: op.role,
          terminals: op.terminals,
        },
      },
      ctx.now(),
    );
    return op;
  });
}

export async function listOperators(
  ctx: Ctx,
  s: Session,
  providerId?: string,
): Promise<OperatorView[]> {
  const scope = s.role === 'platform' ? providerId : (s.providerId ?? undefined);
  authorize(s, 'operator.read', scope === undefined ? {} : { providerId: scope as ProviderId });
  const r =
    scope === undefined
      ? await ctx.db.query<OperatorRow>(`${WITH_TERMINALS} ORDER BY o.login`)
      : await ctx.db.query<OperatorRow>(
          `${WITH_TERMINALS} WHERE o.provider_id = $1 ORDER BY o.login`,
          [scope],
        );
  return r.rows.map(view);
}

/** The platform operator `admin` made at first start, if it exists. */
export async function platformAdminId(ctx: Ctx): Promise<OperatorId | undefined> {
  const r = await ctx.db.query<{ id: OperatorId }>(
    "SELECT id FROM operators WHERE role = 'platform' AND login = 'admin'",
  );
  return r.rows[0]?.id;
}

/**
 * First start: when no platform operator exists, make `admin` with the given (or a
 * random) password and return it once, to be printed. Idempotent.
 */
export async function bootstrapPlatformAdmin(
  ctx: Ctx,
  password?: string,
): Promise<{ login: string; password: string } | undefined> {
  const exists = await ctx.db.query("SELECT 1 FROM operators WHERE role = 'platform' LIMIT 1");
  if (exists.rows.length > 0) return undefined;
  const pw = password ?? randomBytes(12).toString('base64url');
  checkPassword(pw);
  const hash = await hashPassword(pw, ctx.config.scrypt);
  return writeTransaction(ctx.db, async (tx) => {
    const again = await tx.query("SELECT 1 FROM operators WHERE role = 'platform' LIMIT 1");
    if (again.rows.length > 0) return undefined;
    const op = await insertOperator(
      tx,
      {
        login: 'admin',
        displayName: '機構管理者',
        role: 'platform',
        providerId: null,
        password: pw,
        terminals: [],
      },
      hash,
    );
    await appendAudit(
      tx,
      { actor: 'system', action: 'operator.bootstrap', target: op.id, detail: { login: op.login } },
      ctx.now(),
    );
    return { login: op.login, password: pw };
  });
}

// A hash to burn the same time on unknown logins as on known ones.
let dummyHash: Promise<string> | undefined;

const BAD_LOGIN = () =>
  new LoaderError(
    'LOGIN_FAILED',
    { en: 'wrong login or password', ja: 'ログイン名またはパスワードが違います' },
    401,
  );

export interface LoginResult {
  readonly token: string;
  readonly expiresAt: string;
  readonly operator: OperatorView;
}

export async function login(ctx: Ctx, loginName: string, password: string): Promise<LoginResult> {
  const operator = await verifyLogin(ctx, loginName, password);
  return { ...(await openSession(ctx, operator)), operator };
}

/**
 * The operator whose login name and password these are, with the lockout and the
 * audit of every refusal; a success clears the failure count. Opens no session:
 * the console may ask for the authenticator (WebAuthn) first.
 */
export async function verifyLogin(
  ctx: Ctx,
  loginName: string,
  password: string,
): Promise<OperatorView> {
  const now = ctx.now();
  const row = (await ctx.db.query<OperatorRow>(`${WITH_TERMINALS} WHERE o.login = $1`, [loginName]))
    .rows[0];
  if (!row) {
    dummyHash ??= hashPassword('not a password', ctx.config.scrypt);
    await verifyPassword(password, await dummyHash);
    await writeTransaction(ctx.db, (tx) =>
      appendAudit(
        tx,
        { actor: 'system', action: 'login.unknown', detail: { login: loginName.slice(0, 64) } },
        now,
      ),
    );
    throw BAD_LOGIN();
  }
  const state = {
    failedLogins: row.failed_logins,
    lockedUntil: row.locked_until ? new Date(row.locked_until) : null,
  };
  if (row.status !== 'active' || isLocked(state, now)) {
    await writeTransaction(ctx.db, (tx) =>
      appendAudit(
        tx,
        {
          actor: row.id,
          action: 'login.refused',
          detail: { providerId: row.provider_id, locked: row.status === 'active' },
        },
        now,
      ),
    );
    throw new LoaderError(
      'ACCOUNT_LOCKED',
      {
        en: 'this account is locked or disabled; try later or ask an administrator',
        ja: 'このアカウントはロックまたは無効化されています。時間をおくか管理者に連絡してください',
      },
      423,
      { lockedUntil: iso(state.lockedUntil) },
    );
  }
  const ok = await verifyPassword(password, row.password_hash);
  if (!ok) {
    await writeTransaction(ctx.db, async (tx) => {
      // Count on the locked row, so parallel guesses cannot slip past the limit.
      const fresh = (
        await tx.query<{ failed_logins: number; locked_until: Date | null }>(
          'SELECT failed_logins, locked_until FROM operators WHERE id = $1 FOR UPDATE',
          [row.id],
        )
      ).rows[0];
      const next = afterFailure(
        {
          failedLogins: fresh?.failed_logins ?? 0,
          lockedUntil: fresh?.locked_until ? new Date(fresh.locked_until) : null,
        },
        now,
        ctx.config.lockout,
      );
      await tx.query('UPDATE operators SET failed_logins = $2, locked_until = $3 WHERE id = $1', [
        row.id,
        next.failedLogins,
        next.lockedUntil,
      ]);
      await appendAudit(
        tx,
        {
          actor: row.id,
          action: 'login.failure',
          detail: {
            providerId: row.provider_id,
            failures: next.failedLogins,
            locked: next.lockedUntil !== null,
          },
        },
        now,
      );
    });
    throw BAD_LOGIN();
  }
  if (row.failed_logins !== 0 || row.locked_until !== null) {
    const cleared = afterSuccess();
    await ctx.db.query('UPDATE operators SET failed_logins = $2, locked_until = $3 WHERE id = $1', [
      row.id,
      cleared.failedLogins,
      cleared.lockedUntil,
    ]);
  }
  return view(row);
}

/**
 * A new session of `operator` (its token is returned once and stored hashed).
 * `idleMs`: the session also ends after this long without a request (the console's).
 * `how` goes to the audit row (`password`, `webauthn`, `one_time`).
 */
export async function openSession(
  ctx: Ctx,
  operator: Pick<OperatorView, 'id' | 'providerId'>,
  o: { readonly idleMs?: number; readonly how?: string } = {},
): Promise<{ token: string; expiresAt: string }> {
  const now = ctx.now();
  const token = newSessionToken();
  const expiresAt = new Date(now.getTime() + ctx.config.sessionTtlMs);
  await writeTransaction(ctx.db, async (tx) => {
    await tx.query(
      `INSERT INTO sessions (token_hash, operator_id, created_at, expires_at, last_seen_at, idle_ms)
       VALUES ($1, $2, $3, $4, $3, $5)`,
      [tokenHash(token), operator.id, now, expiresAt, o.idleMs ?? null],
    );
    await appendAudit(
      tx,
      {
        actor: operator.id,
        action: 'login.success',
        detail: { providerId: operator.providerId, ...(o.how ? { how: o.how } : {}) },
      },
      now,
    );
  });
  return { token, expiresAt: expiresAt.toISOString() };
}

const BAD_TOKEN = () =>
  new LoaderError(
    'UNAUTHENTICATED',
    {
      en: 'log in first (missing, expired or revoked token)',
      ja: 'ログインしてください（トークンがないか期限切れです）',
    },
    401,
  );

/** The session behind a bearer token, or UNAUTHENTICATED. */
export async function authenticate(ctx: Ctx, token: string | undefined): Promise<Session> {
  if (!token || !looksLikeToken(token)) throw BAD_TOKEN();
  const r = await ctx.db.query<
    OperatorRow & {
      expires_at: Date;
      revoked_at: Date | null;
      last_seen_at: Date | null;
      idle_ms: number | null;
    }
  >(
    `SELECT o.*, s.expires_at, s.revoked_at, s.last_seen_at, s.idle_ms, COALESCE((SELECT json_agg(terminal_id ORDER BY terminal_id)
       FROM operator_terminals t WHERE t.operator_id = o.id), '[]') AS terminals
     FROM sessions s JOIN operators o ON o.id = s.operator_id WHERE s.token_hash = $1`,
    [tokenHash(token)],
  );
  const row = r.rows[0];
  const now = ctx.now();
  if (
    !row ||
    row.status !== 'active' ||
    !sessionValid(
      {
        expiresAt: new Date(row.expires_at),
        revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
      },
      now,
    )
  ) {
    throw BAD_TOKEN();
  }
  // A console session also ends when left idle (an unattended counter PC).
  if (row.idle_ms !== null && row.last_seen_at !== null) {
    const idle = now.getTime() - new Date(row.last_seen_at).getTime();
    if (idle > row.idle_ms) throw BAD_TOKEN();
    // Written at most once a minute per session, not on every request.
    if (idle > 60_000) {
      await ctx.db.query('UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1', [
        tokenHash(token),
        now,
      ]);
    }
  }
  const v = view(row);
  return {
    operatorId: v.id,
    login: v.login,
    role: v.role,
    providerId: v.providerId,
    terminals: v.terminals,
    expiresAt: new Date(row.expires_at),
  };
}

export async function logout(ctx: Ctx, s: Session, token: string): Promise<void> {
  await writeTransaction(ctx.db, async (tx) => {
    await tx.query(
      'UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL',
      [tokenHash(token), ctx.now()],
    );
    await appendAudit(
      tx,
      { actor: s.operatorId, action: 'logout', detail: { providerId: s.providerId } },
      ctx.now(),
    );
  });
}
