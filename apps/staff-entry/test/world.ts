/**
 * What the server tests stand on: the staff entry server on a fresh PGlite,
 * listening on 127.0.0.1 and reached over real HTTP, with the admin's password and
 * a clock the test sets.
 */
import { staffMigrations as kitMigrations, TEST_SCRYPT } from '@myna-ap/app-kit';
import {
  addTestAccounts,
  basic,
  httpAs,
  TEST_STAFF_PASSWORD,
  type HttpAs,
} from '@myna-ap/app-kit/testing';
import type { Db } from '@myna-ap/db';
import { freshPglite } from '@myna-ap/db/testing';
import type { LoaderLink } from '../src/feed.ts';
import { buildStaffServer } from '../src/server.ts';
import { STAFF_ROLES } from '../src/staffRoles.ts';
import { staffMigrations } from '../src/store.ts';

export const ADMIN_PASSWORD = TEST_STAFF_PASSWORD;
/** The test's staff accounts: `admin` is the personnel administrator, `guard1` a guard. */
export const ACCOUNTS = { admin: 'personnel', guard1: 'guard' } as const;
export const AUTH = basic('admin', ADMIN_PASSWORD);

export interface StaffEntry {
  readonly db: Db;
  readonly url: string;
  setNow(d: Date): void;
  /** An admin request as JSON (HTTP Basic). */
  admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response>;
  /** An admin form post, as the page sends it: the answer is a page. */
  form(path: string, fields: Record<string, string>): Promise<Response>;
  /** Requests as another of ACCOUNTS. */
  as(login: keyof typeof ACCOUNTS): HttpAs;
  /** A door terminal's request (Bearer token). */
  door(token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

export async function startStaffEntry(o: {
  aids: readonly string[];
  now?: Date;
  loader?: LoaderLink;
}): Promise<StaffEntry> {
  const db = await freshPglite([staffMigrations, kitMigrations]);
  let now = o.now ?? new Date('2026-06-01T10:00:00+09:00');
  const app = buildStaffServer({
    db,
    passwordCost: TEST_SCRYPT,
    aids: o.aids,
    now: () => now,
    ...(o.loader ? { loader: o.loader } : {}),
  });
  await addTestAccounts(db, 'staff-entry', STAFF_ROLES, ACCOUNTS);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const admin = httpAs(url, AUTH);
  return {
    db,
    url,
    setNow: (d) => (now = d),
    admin: admin.json,
    form: admin.form,
    door: (token, method, path, body) => httpAs(url, `Bearer ${token}`).json(method, path, body),
    as: (login) => httpAs(url, basic(login, ADMIN_PASSWORD)),
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}
