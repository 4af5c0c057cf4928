/**
 * What the terminal and city tests stand on: the city's server on a fresh PGlite
 * (listening on 127.0.0.1, reached over real HTTP), a card with the taxi card AP
 * (type D, system-fixed PIN; the access module's test card), and terminals in
 * temporary directories.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCardAp } from '@myna-ap/access';
import { cardWithCardAps, TEST_USER_ID } from '@myna-ap/access/testing';
import { staffMigrations, TEST_SCRYPT } from '@myna-ap/app-kit';
import {
  addTestAccounts,
  basic,
  httpAs,
  TEST_STAFF_PASSWORD,
  type HttpAs,
} from '@myna-ap/app-kit/testing';
import type { Db } from '@myna-ap/db';
import { freshPglite } from '@myna-ap/db/testing';
import { InProcessChannel, TransportError, type CardChannel } from '@myna-ap/transport';
import type { Card } from '@myna-ap/card';
import type { CardApKeyPackage } from '@myna-ap/apdu';
import { buildTaxiServer } from '../src/server.ts';
import { TAXI_ROLES } from '../src/staffRoles.ts';
import { taxiMigrations } from '../src/store.ts';
import { DEFAULT_RULES, type TaxiRules } from '../src/rules.ts';
import { TaxiTerminal } from '../src/terminal.ts';
import type { LoaderLink } from '../src/feed.ts';

export const STAFF_PASSWORD = TEST_STAFF_PASSWORD;
/** The test's staff accounts: `staff` is the administrator, then a clerk and a settlement officer. */
export const ACCOUNTS = { staff: 'admin', clerk1: 'clerk', settle1: 'settlement' } as const;
export const USER_ID = TEST_USER_ID;

export interface City {
  readonly db: Db;
  readonly url: string;
  /** Sets the city's clock. */
  setNow(d: Date): void;
  /** A request of the administrator (`staff`). */
  staff(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response>;
  /** Requests as another of ACCOUNTS. */
  as(login: keyof typeof ACCOUNTS): HttpAs;
  close(): Promise<void>;
}

export async function startCity(
  o: { rules?: TaxiRules; now?: Date; loader?: LoaderLink } = {},
): Promise<City> {
  const db = await freshPglite([taxiMigrations, staffMigrations]);
  let now = o.now ?? new Date('2026-06-01T20:00:00+09:00');
  const app = buildTaxiServer({
    db,
    rules: o.rules ?? DEFAULT_RULES,
    passwordCost: TEST_SCRYPT,
    now: () => now,
    ...(o.loader ? { loader: o.loader } : {}),
  });
  await addTestAccounts(db, 'taxi', TAXI_ROLES, ACCOUNTS);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    db,
    url,
    setNow: (d) => (now = d),
    staff: httpAs(url, basic('staff', STAFF_PASSWORD)).json,
    as: (login) => httpAs(url, basic(login, STAFF_PASSWORD)),
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

/** A card holding the taxi card AP with its counter at zero, as the loading system leaves it. */
export async function taxiCard(): Promise<{
  card: Card;
  channel: InProcessChannel;
  keyPackage: CardApKeyPackage;
}> {
  const { card, channel, keyPackages } = await cardWithCardAps();
  const ap = await connectCardAp(channel, { aid: keyPackages.D.aid, keyPackage: keyPackages.D });
  await ap.writeBinary(13, new Uint8Array(8));
  return { card, channel, keyPackage: keyPackages.D };
}

export const tempDir = () => mkdtempSync(join(tmpdir(), 'taxi-'));

/** A terminal whose clock the test moves. */
export function terminal(
  dir: string,
  keyPackage: CardApKeyPackage,
  o: { id?: string; company?: string; clock?: { now: Date }; rules?: TaxiRules } = {},
): TaxiTerminal {
  const clock = o.clock ?? { now: new Date('2026-06-01T10:00:00+09:00') };
  return TaxiTerminal.open({
    dir,
    terminalId: o.id ?? 'car-1',
    company: o.company ?? 'maebashi-kotsu',
    keyPackage,
    now: () => clock.now,
    ...(o.rules ? { rules: o.rules } : {}),
  });
}

/** Registers a terminal's key with the city (the staff do it when the car gets its terminal). */
export async function registerAt(city: City, t: TaxiTerminal): Promise<void> {
  const r = await city.staff('POST', '/terminals', {
    terminalId: t.terminalId,
    company: t.company,
    publicKey: t.publicKeyPem,
  });
  if (r.status !== 201) throw new Error(`register terminal: ${r.status} ${await r.text()}`);
}

/** A channel that loses the card at the first UPDATE BINARY (INS D6): the card leaves mid-touch. */
export function pulledAtWrite(inner: CardChannel, o: { afterWrite: boolean }): CardChannel {
  return {
    get atr() {
      return inner.atr;
    },
    get maxResponseLength() {
      return inner.maxResponseLength;
    },
    transmit: async (apdu) => {
      if (apdu[1] === 0xd6) {
        if (o.afterWrite) await inner.transmit(apdu); // the card committed; the answer is lost
        throw new TransportError('CARD_REMOVED', {
          en: 'card removed',
          ja: 'カードが取り外されました',
        });
      }
      return inner.transmit(apdu);
    },
    reset: () => inner.reset(),
    close: () => inner.close(),
    on: (e, l) => inner.on(e, l),
  };
}
