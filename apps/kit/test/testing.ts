/**
 * @myna-ap/app-kit/testing — what the business systems' tests stand on:
 *
 * - `withLoader`: the loading system of this repository, listening on 127.0.0.1,
 *   with the provider's administrator, the app's API client (its secret and a
 *   token), loading card APs on a new emulated card (カードAP搭載 at the counter),
 *   and the call centre reporting a card lost;
 * - `e2eTests`: one scenario run twice, with the card in process and with the card
 *   in vpcd's virtual reader through pcscd (skipped with the reason where pcscd or
 *   vpcd is missing; under CI=1 that fails instead);
 * - `storeTests`: a store exercise on PGlite and on PostgreSQL;
 * - `json`: a response's body, its status checked;
 * - `errorsDocTest`: docs/errors.md's section of an app's catalogue is current;
 * - `httpAs`, `basic`, `addTestAccounts`: requests as a staff account the test made.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCardReader } from '@myna-ap/access';
import type { Card } from '@myna-ap/card';
import { openDb, type Db, type MigrationSet } from '@myna-ap/db';
import { freshPglite, skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';
import { buildServer, loadOnCard, type LoadItem, type LoadOutcome } from '@myna-ap/loader';
import { T, cardIdOf, newCard, setCardStatus, world, type World } from '@myna-ap/loader/testing';
import { ApiClient } from '@myna-ap/loader/client';
import {
  InProcessChannel,
  pcscSkipReason,
  startPcscStack,
  type CardChannel,
  type VpcdBridge,
} from '@myna-ap/transport';
import { catalogueSection, sectionIn, type ListedCatalogue } from '../src/errorsDoc.ts';
import type { LoaderLink } from '../src/feed.ts';
import { TEST_SCRYPT } from '../src/password.ts';
import { addStaffAccount, type StaffRoles } from '../src/staff.ts';

/** A response's JSON body, after checking its status (the body is in the message). */
export async function json(r: Response, status: number): Promise<Record<string, unknown>> {
  const body = (await r.json()) as Record<string, unknown>;
  assert.equal(r.status, status, JSON.stringify(body));
  return body;
}

export interface LoaderWorld {
  readonly w: World;
  readonly url: string;
  /** The provider's administrator (CHIYODA) and the platform's, over the HTTP API. */
  readonly admin: ApiClient;
  readonly platform: ApiClient;
  /** Makes the app's API client: the link an app is started with, and the API with its token. */
  apiClient(name: string): Promise<{ link: LoaderLink; api: ApiClient }>;
  /** Loads `items` on a new card at the counter; every item must be loaded. */
  load(items: readonly LoadItem[]): Promise<{ card: Card; results: LoadOutcome['results'] }>;
  /** The call centre reports the card lost. */
  reportLost(card: Card): Promise<void>;
}

/** Runs `scenario` against a fresh loading system, closed after it whatever happens. */
export async function withLoader(
  now: Date,
  scenario: (l: LoaderWorld) => Promise<void>,
): Promise<void> {
  const w = await world({ now });
  const loader = buildServer(w.ctx, { logger: false });
  const url = await loader.listen({ host: '127.0.0.1', port: 0 });
  try {
    await scenario({
      w,
      url,
      admin: new ApiClient(url, w.tokens.admin),
      platform: new ApiClient(url, w.tokens.platform),
      apiClient: async (name) => {
        const { client, secret } = await new ApiClient(url, w.tokens.admin).call(
          'createApiClient',
          { body: { providerId: 'CHIYODA', name } },
        );
        assert.ok(secret, 'a client_secret client is answered with its secret');
        const token = await new ApiClient(url).call('clientToken', {
          body: { grant_type: 'client_credentials', client_id: client.id, client_secret: secret },
        });
        return {
          link: { server: url, clientId: client.id, clientSecret: secret },
          api: new ApiClient(url, token.access_token),
        };
      },
      load: async (items) => {
        const card = await newCard();
        const loaded = await loadOnCard(w.ctx, w.op, (b) => card.transmit(b), {
          terminalId: T,
          items: [...items],
          consent: { method: 'counter_form' },
        });
        assert.ok(
          loaded.results.length === items.length &&
            loaded.results.every((r) => r.status === 'loaded'),
          JSON.stringify(loaded),
        );
        return { card, results: loaded.results };
      },
      reportLost: async (card) => {
        await setCardStatus(w.ctx, w.platform, cardIdOf(card) as never, {
          status: 'lost',
          source: 'call_center',
        });
      },
    });
  } finally {
    await loader.close();
    await w.db.close();
  }
}

/** Where the test puts a card: `put` answers how the app opens a channel to it. */
export interface CardReach {
  put(card: Card): Promise<() => Promise<CardChannel>>;
  stop(): Promise<void>;
}

const inProcess = (): CardReach => ({
  put: async (card) => async () => new InProcessChannel(card),
  stop: async () => {},
});

/** vpcd's reader 0 through pcscd: started at the first card; the next card replaces it. */
function throughVpcd(): CardReach {
  let stack: Awaited<ReturnType<typeof startPcscStack>> | undefined;
  let bridge: VpcdBridge | undefined;
  return {
    put: async (card) => {
      stack ??= await startPcscStack();
      if (bridge) await stack.eject(bridge);
      bridge = await stack.insert(card, 0);
      return () => openCardReader({ reader: 0 });
    },
    stop: async () => {
      await stack?.stop();
    },
  };
}

/** `scenario` as two tests: `title — in process` and `title — through pcscd + vpcd`. */
export async function e2eTests(
  title: string,
  scenario: (reach: CardReach) => Promise<void>,
): Promise<void> {
  const run = (reach: CardReach) => async () => {
    try {
      await scenario(reach);
    } finally {
      await reach.stop();
    }
  };
  test(`${title} — in process`, run(inProcess()));
  const skip = await pcscSkipReason();
  test(`${title} — through pcscd + vpcd`, { skip }, () => run(throughVpcd())());
}

/** `exercise` as tests on a fresh PGlite and on a throwaway PostgreSQL (where there is one). */
export function storeTests(
  name: string,
  migrations: readonly MigrationSet[],
  exercise: (db: Db) => Promise<void>,
): void {
  test(`${name} on PGlite`, async () => {
    const db = await freshPglite([...migrations]);
    try {
      await exercise(db);
    } finally {
      await db.close();
    }
  });
  test(`${name} on PostgreSQL`, { skip: skipUnlessPostgres() }, async () => {
    const pg = await startPostgres();
    try {
      const db = await openDb({ databaseUrl: pg.url, migrations: [...migrations] });
      try {
        await exercise(db);
      } finally {
        await db.close();
      }
    } finally {
      await pg.stop();
    }
  });
}

/** docs/errors.md, where `npm run errors-doc` writes every catalogue's codes. */
export const ERRORS_DOC = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

/** A test that fails when docs/errors.md's section of `listed` is not what its catalogue says. */
export function errorsDocTest(listed: ListedCatalogue): void {
  test(`docs/errors.md lists ${listed.pkg}'s codes as its catalogue says`, () => {
    assert.equal(
      sectionIn(readFileSync(ERRORS_DOC, 'utf8'), listed),
      catalogueSection(listed),
      'docs/errors.md is stale: run npm run errors-doc',
    );
  });
}

/** Requests as one caller (an `authorization` header): JSON, or a form post as a page sends it. */
export interface HttpAs {
  json(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response>;
  form(path: string, fields: Record<string, string>): Promise<Response>;
}

export const basic = (login: string, password: string): string =>
  `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

export function httpAs(url: string, authorization: string): HttpAs {
  return {
    json: (method, path, body) =>
      fetch(url + path, {
        method,
        headers: {
          authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
      }),
    form: (path, fields) =>
      fetch(url + path, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
  };
}

/** The password of every staff account the tests make (12 characters or more). */
export const TEST_STAFF_PASSWORD = 'staff password for tests';

/** Staff accounts for a test, one a role: `{ login: role }`, each with TEST_STAFF_PASSWORD. */
export async function addTestAccounts(
  db: Db,
  app: string,
  roles: StaffRoles,
  accounts: Readonly<Record<string, string>>,
): Promise<void> {
  for (const [login, role] of Object.entries(accounts))
    await addStaffAccount(
      db,
      app,
      roles,
      { login, role, password: TEST_STAFF_PASSWORD },
      TEST_SCRYPT,
    );
}
