/**
 * Named staff accounts with roles, a lockout, and the audit trail of what staff do,
 * for every business system, in the app's own database (`staffMigrations`).
 *
 * - An app names its roles (`defineRoles`); one of them is the administrator, who
 *   manages the accounts, reads the audit and may do everything.
 * - Staff sign in with HTTP Basic (login name, password); the password is kept as
 *   scrypt. Five wrong passwords in a row lock the account for 15 minutes.
 * - A route says who may use it (`config: { staff: ['counter'] }`); a route that
 *   says nothing is the administrator's alone (refused unless allowed).
 * - Every refused sign-in, every role refusal, and every change a staff member
 *   makes (any request but GET) is a row of `app_staff_audit`, which a trigger keeps
 *   append-only. The route's pattern is kept, never a body: no password, no PIN.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db, MigrationSet, Queryable } from '@myna-ap/db';
import type { Text } from '@myna-ap/text';
import { KitError } from './errors.ts';
import {
  DEFAULT_SCRYPT,
  hashPassword,
  MIN_PASSWORD,
  passwordMatches,
  type ScryptCost,
} from './password.ts';

export const staffMigrations: MigrationSet = {
  owner: 'app_kit',
  dir: fileURLToPath(new URL('../migrations/', import.meta.url)),
};

/** An app's roles, each with its name in both languages; `admin` may do everything. */
export interface StaffRoles<R extends string = string> {
  readonly names: Readonly<Record<R, Text>>;
  readonly admin: R;
}

export const defineRoles = <const R extends string>(
  names: Readonly<Record<R, Text>>,
  admin: NoInfer<R>,
): StaffRoles<R> => ({ names, admin });

/** Who is signed in on this request. */
export interface StaffMember {
  readonly login: string;
  readonly role: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    staff?: StaffMember;
    /** What the audit row of this request says besides the route (never a secret). */
    auditDetail?: Readonly<Record<string, unknown>>;
  }
  interface FastifyContextConfig {
    /** The roles that may use the route besides the administrator. */
    staff?: readonly string[];
  }
}

/** Wrong passwords in a row that lock an account, and for how long. */
export const LOCKOUT = { failures: 5, minutes: 15 } as const;

const LOGIN = /^[A-Za-z0-9._-]{1,32}$/;

export interface StaffAccountView {
  readonly login: string;
  readonly role: string;
  readonly failedLogins: number;
  readonly lockedUntil: string | null;
  readonly disabled: boolean;
  readonly createdAt: string;
}

interface AccountRow {
  login: string;
  role: string;
  password_hash: string;
  failed_logins: number;
  locked_until: Date | string | null;
  disabled_at: Date | string | null;
  created_at: Date | string;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const view = (r: AccountRow): StaffAccountView => ({
  login: r.login,
  role: r.role,
  failedLogins: r.failed_logins,
  lockedUntil: iso(r.locked_until),
  disabled: r.disabled_at !== null,
  createdAt: iso(r.created_at)!,
});

/** A new account, checked: a login name, one of the app's roles, a password of 12 or more. */
export async function addStaffAccount(
  db: Db,
  app: string,
  roles: StaffRoles,
  input: { login?: unknown; role?: unknown; password?: unknown },
  cost: ScryptCost = DEFAULT_SCRYPT,
): Promise<StaffAccountView> {
  const { login, role, password } = input;
  if (
    typeof login !== 'string' ||
    !LOGIN.test(login) ||
    typeof role !== 'string' ||
    !Object.hasOwn(roles.names, role) ||
    typeof password !== 'string' ||
    [...password].length < MIN_PASSWORD ||
    password.length > 1024
  )
    throw new KitError('STAFF_ACCOUNT_INVALID', {
      en: `a staff account needs a login name (1–32 letters, digits, . _ -), a role (${Object.keys(roles.names).join(', ')}) and a password of ${MIN_PASSWORD} characters or more`,
      ja: `職員アカウントには、ログイン名（英数字と . _ - の1〜32文字）、役割（${Object.keys(roles.names).join('、')}）、${MIN_PASSWORD}文字以上のパスワードが必要です`,
    });
  const hash = await hashPassword(password, cost);
  const r = await db.query<AccountRow>(
    `INSERT INTO app_staff_accounts (app, login, role, password_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING RETURNING *`,
    [app, login, role, hash],
  );
  if (!r.rows[0]) throw new KitError('STAFF_ACCOUNT_EXISTS');
  return view(r.rows[0]);
}

export async function staffAccounts(db: Queryable, app: string): Promise<StaffAccountView[]> {
  const r = await db.query<AccountRow>(
    'SELECT * FROM app_staff_accounts WHERE app = $1 ORDER BY login',
    [app],
  );
  return r.rows.map(view);
}

/** Lifts a lockout (the failures start again from zero). */
export async function unlockStaffAccount(db: Db, app: string, login: string): Promise<void> {
  const r = await db.query(
    'UPDATE app_staff_accounts SET failed_logins = 0, locked_until = NULL WHERE app = $1 AND login = $2',
    [app, login],
  );
  if (r.rowCount === 0) throw new KitError('STAFF_ACCOUNT_UNKNOWN');
}

/** Ends an account for good; the last active administrator cannot be ended. */
export async function disableStaffAccount(
  db: Db,
  app: string,
  roles: StaffRoles,
  login: string,
  at: Date,
): Promise<void> {
  await db.transaction(async (tx) => {
    const r = await tx.query<AccountRow>(
      'SELECT * FROM app_staff_accounts WHERE app = $1 AND disabled_at IS NULL FOR UPDATE',
      [app],
    );
    const it = r.rows.find((a) => a.login === login);
    if (!it) throw new KitError('STAFF_ACCOUNT_UNKNOWN');
    if (it.role === roles.admin && r.rows.filter((a) => a.role === roles.admin).length === 1)
      throw new KitError('STAFF_LAST_ADMIN');
    await tx.query('UPDATE app_staff_accounts SET disabled_at = $3 WHERE app = $1 AND login = $2', [
      app,
      login,
      at,
    ]);
  });
}

export interface StaffAuditRow {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly outcome: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export async function appendStaffAudit(
  db: Queryable,
  app: string,
  row: Omit<StaffAuditRow, 'seq' | 'at'>,
  at: Date,
): Promise<void> {
  await db.query(
    'INSERT INTO app_staff_audit (app, at, actor, action, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6)',
    [app, at, row.actor.slice(0, 64), row.action, row.outcome, JSON.stringify(row.detail)],
  );
}

/** The newest `limit` rows, newest first. */
export async function staffAudit(
  db: Queryable,
  app: string,
  limit = 200,
): Promise<StaffAuditRow[]> {
  const r = await db.query<{
    seq: string;
    at: Date | string;
    actor: string;
    action: string;
    outcome: string;
    detail: Record<string, unknown> | string;
  }>('SELECT * FROM app_staff_audit WHERE app = $1 ORDER BY seq DESC LIMIT $2', [app, limit]);
  return r.rows.map((x) => ({
    seq: Number(x.seq),
    at: iso(x.at)!,
    actor: x.actor,
    action: x.action,
    outcome: x.outcome,
    detail: typeof x.detail === 'string' ? JSON.parse(x.detail) : x.detail,
  }));
}

export interface StaffAuthOptions<R extends string> {
  readonly db: Db;
  /** The app's name in the accounts and audit tables (`library`). */
  readonly app: string;
  readonly roles: StaffRoles<R>;
  /** The HTTP Basic realm the browser shows. */
  readonly realm: string;
  readonly now?: () => Date;
  /** The cost of the passwords the administrator sets over HTTP (default: DEFAULT_SCRYPT). */
  readonly cost?: ScryptCost;
}

/**
 * A verified password is remembered for a few minutes (as an HMAC under a key of
 * this process, never the password), so a page of a staff session costs no scrypt
 * each time; a changed hash, a lockout or a restart forgets it.
 */
const REMEMBER_MS = 5 * 60_000;

/** The sign-in of the staff pages: `signIn` is the onRequest hook of a staff scope. */
export function staffAuth<R extends string>(app: FastifyInstance, o: StaffAuthOptions<R>) {
  const now = o.now ?? (() => new Date());
  const key = randomBytes(32);
  const remembered = new Map<string, { mac: Buffer; hash: string; until: number }>();
  const mac = (login: string, pw: string) =>
    createHmac('sha256', key).update(login).update('\0').update(pw).digest();
  let dummy: Promise<string> | undefined;
  const audit = (actor: string, action: string, outcome: string, detail = {}) =>
    appendStaffAudit(o.db, o.app, { actor, action, outcome, detail }, now());
  const roleName = (r: string) => (o.roles.names as Record<string, Text>)[r] ?? { en: r, ja: r };

  const refuse = (reply: FastifyReply, e: KitError) => {
    if (e.status === 401)
      reply.header('www-authenticate', `Basic realm="${o.realm}", charset="UTF-8"`);
    return e;
  };

  async function verify(login: string, pw: string): Promise<StaffMember> {
    const row = (
      await o.db.query<AccountRow>(
        'SELECT * FROM app_staff_accounts WHERE app = $1 AND login = $2',
        [o.app, login],
      )
    ).rows[0];
    const at = now();
    if (!row || row.disabled_at !== null) {
      // A scrypt of the accounts' cost: the time does not tell which logins exist.
      dummy ??= hashPassword('not a password', o.cost ?? DEFAULT_SCRYPT);
      await passwordMatches(pw, await dummy);
      await audit(login, 'signin', row ? 'refused:disabled' : 'refused:unknown');
      throw new KitError('STAFF_AUTH');
    }
    if (row.locked_until !== null && new Date(row.locked_until) > at) {
      await audit(login, 'signin', 'refused:locked', { lockedUntil: iso(row.locked_until) });
      throw new KitError('STAFF_LOCKED');
    }
    const seen = remembered.get(login);
    if (
      seen &&
      seen.hash === row.password_hash &&
      seen.until > at.getTime() &&
      timingSafeEqual(seen.mac, mac(login, pw))
    )
      return { login, role: row.role };
    if (!(await passwordMatches(pw, row.password_hash))) {
      remembered.delete(login);
      // Counted on the locked row, so parallel guesses cannot slip past the limit.
      const locked = await o.db.transaction(async (tx) => {
        const f = await tx.query<{ failed_logins: number }>(
          `UPDATE app_staff_accounts SET failed_logins = failed_logins + 1,
             locked_until = CASE WHEN failed_logins + 1 >= $3 THEN $4::timestamptz ELSE locked_until END
           WHERE app = $1 AND login = $2 RETURNING failed_logins`,
          [o.app, login, LOCKOUT.failures, new Date(at.getTime() + LOCKOUT.minutes * 60_000)],
        );
        return (f.rows[0]?.failed_logins ?? 0) >= LOCKOUT.failures;
      });
      await audit(
        login,
        'signin',
        locked ? 'refused:wrong-password:locked' : 'refused:wrong-password',
      );
      throw new KitError(locked ? 'STAFF_LOCKED' : 'STAFF_AUTH');
    }
    if (row.failed_logins > 0 || row.locked_until !== null)
      await o.db.query(
        'UPDATE app_staff_accounts SET failed_logins = 0, locked_until = NULL WHERE app = $1 AND login = $2',
        [o.app, login],
      );
    remembered.set(login, {
      mac: mac(login, pw),
      hash: row.password_hash,
      until: at.getTime() + REMEMBER_MS,
    });
    return { login, role: row.role };
  }

  /** onRequest of a staff scope: who it is, and whether the route lets their role in. */
  async function signIn(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [login, pw] = m ? Buffer.from(m[1]!, 'base64').toString().split(/:(.*)/s) : [];
    if (login === undefined || pw === undefined || login === '')
      throw refuse(reply, new KitError('STAFF_AUTH'));
    let who: StaffMember;
    try {
      who = await verify(login, pw);
    } catch (e) {
      throw e instanceof KitError ? refuse(reply, e) : e;
    }
    const allowed = req.routeOptions.config.staff ?? [];
    if (who.role !== o.roles.admin && !allowed.includes(who.role)) {
      const action = `${req.method} ${req.routeOptions.url ?? '?'}`;
      await audit(who.login, action, 'refused:role', { role: who.role });
      const may = [o.roles.admin, ...allowed].map(roleName);
      throw new KitError('STAFF_ROLE', {
        en: `your role (${roleName(who.role).en}) may not do this: ${may.map((r) => r.en).join(' or ')} may`,
        ja: `この操作は${may.map((r) => r.ja).join('・')}が行います（あなたの役割: ${roleName(who.role).ja}）`,
      });
    }
    req.staff = who;
  }

  // Every change a signed-in staff member makes, done or refused.
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.staff && req.method !== 'GET' && req.method !== 'HEAD')
      await audit(
        req.staff.login,
        `${req.method} ${req.routeOptions.url ?? '?'}`,
        reply.statusCode < 400 ? 'done' : `refused:${reply.statusCode}`,
        req.auditDetail ?? {},
      );
    return payload;
  });

  /** The administrator's routes: the accounts and the audit (JSON). */
  function accountRoutes(s: FastifyInstance): void {
    s.get('/accounts', async () => ({ accounts: await staffAccounts(o.db, o.app) }));
    s.post<{ Body: { login?: unknown; role?: unknown; password?: unknown } }>(
      '/accounts',
      async (req, reply) => {
        const b = req.body ?? {};
        req.auditDetail = { login: String(b.login ?? '').slice(0, 32), role: String(b.role ?? '') };
        const a = await addStaffAccount(o.db, o.app, o.roles, b, o.cost);
        return reply.code(201).send(a);
      },
    );
    s.post<{ Params: { login: string } }>('/accounts/:login/unlock', async (req) => {
      req.auditDetail = { login: req.params.login };
      await unlockStaffAccount(o.db, o.app, req.params.login);
      return { unlocked: true };
    });
    s.post<{ Params: { login: string } }>('/accounts/:login/disable', async (req) => {
      req.auditDetail = { login: req.params.login };
      await disableStaffAccount(o.db, o.app, o.roles, req.params.login, now());
      return { disabled: true };
    });
    s.get<{ Querystring: { limit?: string } }>('/audit', async (req) => {
      const limit = Number(req.query.limit ?? 200);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000)
        throw new KitError('BAD_REQUEST');
      return { audit: await staffAudit(o.db, o.app, limit) };
    });
  }

  return { signIn, accountRoutes };
}
