/**
 * What the server tests stand on: the library's server on a fresh PGlite, listening
 * on 127.0.0.1 and reached over real HTTP, with a counter reader the test puts a
 * card on (an emulated card, through the in-process channel) or leaves empty.
 */
import { AccessError } from '@myna-ap/access';
import { staffMigrations, TEST_SCRYPT } from '@myna-ap/app-kit';
import {
  addTestAccounts,
  basic,
  httpAs,
  TEST_STAFF_PASSWORD,
  type HttpAs,
} from '@myna-ap/app-kit/testing';
import type { Card } from '@myna-ap/card';
import type { Db } from '@myna-ap/db';
import { freshPglite } from '@myna-ap/db/testing';
import { InProcessChannel, type CardChannel } from '@myna-ap/transport';
import type { LoaderLink } from '../src/feed.ts';
import { DEFAULT_RULES, type LibraryRules } from '../src/rules.ts';
import { buildLibraryServer } from '../src/server.ts';
import { LIBRARY_ROLES } from '../src/staffRoles.ts';
import { libraryMigrations } from '../src/store.ts';

export const STAFF_PASSWORD = TEST_STAFF_PASSWORD;
/** The test's staff accounts: `staff` is the administrator, `counter1` counter staff. */
export const ACCOUNTS = { staff: 'admin', counter1: 'counter' } as const;

/** The counter's reader: what is on it now. */
export class CounterSlot {
  private open: (() => Promise<CardChannel>) | undefined;
  /** How many times the server read a card. */
  reads = 0;
  put(card: Card): void {
    this.open = async () => new InProcessChannel(card);
  }
  /** A channel the test opens (e.g. vpcd's reader through pcscd). */
  putChannel(open: () => Promise<CardChannel>): void {
    this.open = open;
  }
  empty(): void {
    this.open = undefined;
  }
  readonly reader = async (): Promise<CardChannel> => {
    this.reads++;
    if (!this.open) throw new AccessError('NO_CARD');
    return this.open();
  };
}

export interface Library {
  readonly db: Db;
  readonly url: string;
  readonly slot: CounterSlot;
  setNow(d: Date): void;
  /** A request of the administrator (`staff`) as JSON. */
  staff(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response>;
  /** A staff form post, as the page sends it: the answer is a page. */
  form(path: string, fields: Record<string, string>): Promise<Response>;
  /** Requests as another of ACCOUNTS. */
  as(login: keyof typeof ACCOUNTS): HttpAs;
  close(): Promise<void>;
}

export const AUTH = basic('staff', STAFF_PASSWORD);

export async function startLibrary(o: {
  aid: string;
  rules?: LibraryRules;
  now?: Date;
  loader?: LoaderLink;
}): Promise<Library> {
  const db = await freshPglite([libraryMigrations, staffMigrations]);
  const slot = new CounterSlot();
  let now = o.now ?? new Date('2026-06-01T10:00:00+09:00');
  const app = buildLibraryServer({
    db,
    rules: o.rules ?? DEFAULT_RULES,
    passwordCost: TEST_SCRYPT,
    aid: o.aid,
    counter: slot.reader,
    now: () => now,
    ...(o.loader ? { loader: o.loader } : {}),
  });
  await addTestAccounts(db, 'library', LIBRARY_ROLES, ACCOUNTS);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const admin = httpAs(url, AUTH);
  return {
    db,
    url,
    slot,
    setNow: (d) => (now = d),
    staff: admin.json,
    form: admin.form,
    as: (login) => httpAs(url, basic(login, STAFF_PASSWORD)),
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}
