/**
 * What the server tests stand on: the staff entry server on a fresh PGlite,
 * listening on 127.0.0.1 and reached over real HTTP, with the admin's password and
 * a clock the test sets.
 */
import type { Db } from '@myna-ap/db';
import { freshPglite } from '@myna-ap/db/testing';
import type { LoaderLink } from '../src/feed.ts';
import { buildStaffServer } from '../src/server.ts';
import { staffMigrations } from '../src/store.ts';

export const ADMIN_PASSWORD = 'admin password for tests';
export const AUTH = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

export interface StaffEntry {
  readonly db: Db;
  readonly url: string;
  setNow(d: Date): void;
  /** An admin request as JSON (HTTP Basic). */
  admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response>;
  /** An admin form post, as the page sends it: the answer is a page. */
  form(path: string, fields: Record<string, string>): Promise<Response>;
  /** A door terminal's request (Bearer token). */
  door(token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

export async function startStaffEntry(o: {
  aids: readonly string[];
  now?: Date;
  loader?: LoaderLink;
}): Promise<StaffEntry> {
  const db = await freshPglite([staffMigrations]);
  let now = o.now ?? new Date('2026-06-01T10:00:00+09:00');
  const app = buildStaffServer({
    db,
    adminPassword: ADMIN_PASSWORD,
    aids: o.aids,
    now: () => now,
    ...(o.loader ? { loader: o.loader } : {}),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const json = (auth: string, method: string, path: string, body?: unknown) =>
    fetch(url + path, {
      method,
      headers: {
        authorization: auth,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
  return {
    db,
    url,
    setNow: (d) => (now = d),
    admin: (method, path, body) => json(AUTH, method, path, body),
    form: (path, fields) =>
      fetch(url + path, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
    door: (token, method, path, body) => json(`Bearer ${token}`, method, path, body),
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}
