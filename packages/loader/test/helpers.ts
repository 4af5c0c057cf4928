/** Shared set-up of the API tests: an in-memory loader with a platform admin, a provider and operators. */
import type { FastifyInstance } from 'fastify';
import { freshPglite } from '@myna-ap/db/testing';
import type { Db } from '@myna-ap/db';
import { buildServer } from '../src/http/server.ts';
import { TEST_CONFIG } from '../src/store/config.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';

const TEST_KEYS = new MemoryKeyStore('test');
import type { Ctx, FeedSigner } from '../src/store/context.ts';
import { bootstrapPlatformAdmin } from '../src/store/operators.ts';
import { SoftwareKeyStore, openFileSigner, signDetached } from '@myna-ap/pki';
import { loaderMigrations } from '../src/migrations.ts';

/** One signer of the daily lists for every fixture of this process, its key made on first use. */
let signer: Promise<FeedSigner> | undefined;
export const testFeedSigner = (): Promise<FeedSigner> =>
  (signer ??= openFileSigner({
    store: new SoftwareKeyStore(),
    id: 'feed-signer',
    subject: 'CN=myna-ap test feed signer',
    certificateFile: undefined,
  }).then((s) => ({ certificate: s.certificate, sign: (c, at) => signDetached(c, s, at) })));

export const ADMIN_PW = 'platform admin password';
export const PW = 'operator password 1';

export interface Fixture {
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly ctx: Ctx;
  call(
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    token?: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
  ): Promise<{ status: number; json: any }>;
  loginAs(login: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export async function fixture(
  now: () => Date = () => new Date('2026-06-01T10:00:00+09:00'),
  open: () => Promise<Db> = () => freshPglite([loaderMigrations]),
): Promise<Fixture> {
  const db = await open();
  const ctx: Ctx = { db, config: TEST_CONFIG, keys: TEST_KEYS, now, feedSigner: testFeedSigner };
  await bootstrapPlatformAdmin(ctx, ADMIN_PW);
  const app = buildServer(ctx);
  const call: Fixture['call'] = async (method, url, body, token) => {
    const r = await app.inject({
      method,
      url,
      ...(body === undefined ? {} : { payload: body as object }),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    let json: unknown;
    try {
      json = r.body ? JSON.parse(r.body) : undefined;
    } catch {
      json = r.body;
    }
    return { status: r.statusCode, json };
  };
  return {
    app,
    db,
    ctx,
    call,
    async loginAs(login, password) {
      const r = await call('POST', '/v1/login', { login, password });
      if (r.status !== 200) throw new Error(`login ${login}: ${JSON.stringify(r.json)}`);
      return r.json.token as string;
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}

export const MAEBASHI_BODY = {
  id: 'MAEBASHI',
  name: '前橋市',
  kind: 'municipality' as const,
  municipalityCode: '102016',
  legalBasis: { kind: 'ordinance' as const, reference: '前橋市条例第1号', date: '2018-04-01' },
  contact: { name: '情報政策課', email: 'it@example.jp', phone: '027-000-0000' },
};
