/**
 * The status feed (カード一時停止等のステータスのオンライン提供) through the HTTP API,
 * on PGlite and on PostgreSQL: a loss reported by the platform reaches the
 * providers whose card APs are on the card (owner and joint user) as feed events
 * and notices, and nobody else; loads to that card are refused; the transitions
 * that make no sense are refused with their codes; the daily list follows Japan
 * time and its CSV is RFC 4180; polling with since/after never skips or repeats a
 * row, also while writers race on PostgreSQL; bad input is a 400 in the house shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transmit } from '@myna-ap/apdu';
import type { Card } from '@myna-ap/card';
import type { FastifyInstance } from 'fastify';
import type { Db } from '@myna-ap/db';
import { openDb } from '@myna-ap/db';
import { openPostgres } from '@myna-ap/db';
import { buildServer } from '../src/http/server.ts';
import { loadOnCard } from '../src/cardops/load.ts';
import { addCardApUser, approveCardAp, requestCardAp } from '../src/store/cardAps.ts';
import { createOperator } from '../src/store/operators.ts';
import { listInstances } from '../src/store/instances.ts';
import { setCardStatus } from '../src/store/feed.ts';
import { verifyAudit } from '../src/store/audit.ts';
import { providerId, type CardApId, type CardId } from '../src/domain/ids.ts';
import { T, cardIdOf, newCard, otherMunicipality, world, type World } from './cardWorld.ts';
import { skipUnlessPostgres, startPostgres } from '@myna-ap/db/testing';
import { loaderMigrations } from '../src/migrations.ts';

const PW = 'operator password 1';
const consent = { method: 'counter_form' as const };
const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);

interface Api {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
  call(method: 'GET' | 'POST', url: string, token?: string, body?: unknown): Promise<any>;
  raw(url: string, token: string): Promise<{ status: number; type: string; body: string }>;
  login(login: string, password?: string): Promise<string>;
}

function api(app: FastifyInstance): Api {
  const a: Api = {
    async call(method, url, token, body) {
      const r = await app.inject({
        method,
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { ...(JSON.parse(r.body) as object), http: r.statusCode };
    },
    async raw(url, token) {
      const r = await app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: r.statusCode, type: String(r.headers['content-type']), body: r.body };
    },
    async login(login, password = PW) {
      const r = await a.call('POST', '/v1/login', undefined, { login, password });
      assert.equal(r.http, 200, JSON.stringify(r));
      return r.token as string;
    },
  };
  return a;
}

/** Asserts the house error shape and returns the code. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function refusal(r: any, status: number): string {
  assert.equal(r.http, status, JSON.stringify(r));
  assert.equal(typeof r.code, 'string');
  assert.equal(typeof r.message?.en, 'string');
  assert.equal(typeof r.message?.ja, 'string');
  return r.code as string;
}

interface FeedWorld {
  readonly w: World;
  readonly app: FastifyInstance;
  readonly http: Api;
  /** 前橋市: joint user of 千代田区's type C card AP, with a type C card AP of its own. */
  readonly mae: Awaited<ReturnType<typeof otherMunicipality>>;
  readonly maeAp: CardApId;
  /** Tokens: platform, 千代田区 administrator and auditor, its loading operator, 前橋市 and 高崎市 administrators. */
  readonly tok: Record<'platform' | 'chiyoda' | 'auditor' | 'op' | 'mae' | 'takasaki', string>;
  /** Moves the clock and logs everyone in again (sessions last 8 hours). */
  at(when: string): Promise<void>;
}

const LOGINS = {
  platform: ['admin', 'platform admin pw'],
  chiyoda: ['chiyoda-admin2', PW],
  auditor: ['chiyoda-audit', PW],
  op: ['chiyoda-op', PW],
  mae: ['maebashi-admin', PW],
  takasaki: ['takasaki-admin', PW],
} as const;

async function feedWorld(db?: Db): Promise<FeedWorld> {
  const w = await world(db ? { db } : {});
  const mae = await otherMunicipality(w, 'MAEBASHI', '102016');
  await otherMunicipality(w, 'TAKASAKI', '102024');
  await addCardApUser(w.ctx, w.platform, w.aps.C, providerId('MAEBASHI'), 'joint');
  const ap = await requestCardAp(w.ctx, mae.admin, providerId('MAEBASHI'), {
    name: '前橋図書館',
    type: 'C',
    areas: ['extended'],
    size: 33,
  });
  await approveCardAp(w.ctx, w.platform, ap.id);
  await createOperator(w.ctx, w.admin, {
    login: 'chiyoda-audit',
    displayName: '監査',
    role: 'auditor',
    providerId: providerId('CHIYODA'),
    password: PW,
    terminals: [],
  });
  const app = buildServer(w.ctx);
  const http = api(app);
  const tok = {} as FeedWorld['tok'];
  const loginAll = async () => {
    for (const [k, [login, pw]] of Object.entries(LOGINS))
      tok[k as keyof typeof tok] = await http.login(login, pw);
  };
  await loginAll();
  return {
    w,
    app,
    http,
    mae,
    maeAp: ap.id,
    tok,
    async at(when) {
      w.setNow(new Date(when));
      await loginAll();
    },
  };
}

async function lossReachesItsProvidersOnly(f: FeedWorld): Promise<void> {
  const { w, http, tok } = f;
  // 千代田区 loads its type C card AP (前橋市 is a joint user of it) onto card 1;
  // 前橋市 loads its own onto card 2.
  const card1 = await newCard();
  const l1 = await loadOnCard(w.ctx, w.op, tx(card1), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  assert.equal(l1.results[0]?.status, 'loaded');
  const card2 = await newCard();
  const l2 = await loadOnCard(w.ctx, f.mae.op, tx(card2), {
    terminalId: f.mae.terminal,
    items: [{ cardApId: f.maeAp }],
    consent,
  });
  assert.equal(l2.results[0]?.status, 'loaded');
  const id1 = cardIdOf(card1);
  const id2 = cardIdOf(card2);

  // The call center reports card 1 lost (typed in lower case: still the card's row).
  await f.at('2026-06-01T23:30:00+09:00');
  const lost = await http.call('POST', `/v1/cards/${id1.toLowerCase()}/status`, tok.platform, {
    status: 'lost',
    source: 'call_center',
    note: '受付番号 12345',
  });
  assert.equal(lost.http, 200, JSON.stringify(lost));
  assert.equal(lost.cardId, id1);
  assert.equal(lost.previous, 'active');
  assert.deepEqual(lost.notified, ['CHIYODA', 'MAEBASHI']);
  // Half an hour later, Japan time already the next day: card 2 suspended.
  await f.at('2026-06-02T00:30:00+09:00');
  const susp = await http.call('POST', `/v1/cards/${id2}/status`, tok.platform, {
    status: 'suspended',
    source: 'call_center',
  });
  assert.deepEqual(susp.notified, ['MAEBASHI']);
  // A card never met, reported lost: its row is made, so a later load is refused too.
  const unseen = await newCard();
  const r3 = await http.call('POST', `/v1/cards/${cardIdOf(unseen)}/status`, tok.platform, {
    status: 'lost',
    source: 'call_center',
  });
  assert.deepEqual(r3.notified, []);

  // The provider's feed: its card only, with the user ID its business system holds.
  const userId1 = l1.results[0]!.userId!;
  const chiyoda = await http.call('GET', '/v1/feed', tok.chiyoda);
  assert.equal(chiyoda.http, 200);
  assert.deepEqual(
    chiyoda.events.map((e: { cardId: string; status: string }) => [e.cardId, e.status]),
    [[id1, 'lost']],
  );
  assert.deepEqual(
    chiyoda.events[0].cardAps.map((a: { cardApId: string; userId: string }) => [
      a.cardApId,
      a.userId,
    ]),
    [[w.aps.C, userId1]],
  );
  assert.equal(chiyoda.events[0].source, 'call_center');
  assert.equal(chiyoda.next, chiyoda.events[0].seq);
  const auditor = await http.call('GET', '/v1/feed', tok.auditor);
  assert.deepEqual(auditor.events, chiyoda.events);
  // The joint user sees card 1 (through 千代田区's card AP) and its own card 2.
  const mae = await http.call('GET', '/v1/feed', tok.mae);
  assert.deepEqual(
    mae.events.map((e: { cardId: string }) => e.cardId),
    [id1, id2],
  );
  // Another provider sees nothing, and the platform everything.
  assert.deepEqual((await http.call('GET', '/v1/feed', tok.takasaki)).events, []);
  assert.deepEqual((await http.call('GET', '/v1/notices', tok.takasaki)).notices, []);
  const all = await http.call('GET', '/v1/feed', tok.platform);
  assert.deepEqual(
    all.events.map((e: { cardId: string }) => e.cardId),
    [id1, id2, cardIdOf(unseen)],
  );
  assert.equal(all.events[0].cardAps, undefined, 'the platform’s feed is per card');
  // A loading operator reads no feed; only the platform records a status.
  assert.equal(refusal(await http.call('GET', '/v1/feed', tok.op), 403), 'FORBIDDEN');
  assert.equal(refusal(await http.call('GET', '/v1/notices', tok.op), 403), 'FORBIDDEN');
  assert.equal(
    refusal(
      await http.call('POST', `/v1/cards/${id1}/status`, tok.chiyoda, {
        status: 'active',
        source: 'issuer',
      }),
      403,
    ),
    'FORBIDDEN',
  );

  // Notices: 千代田区 gets one card_status notice with the user ID.
  const notices = await http.call('GET', '/v1/notices', tok.chiyoda);
  assert.deepEqual(
    notices.notices.map((n: { kind: string; cardId: string; detail: { userId: string } }) => [
      n.kind,
      n.cardId,
      n.detail.userId,
    ]),
    [['card_status', id1, userId1]],
  );
  assert.equal(notices.next, notices.notices[0].seq);
  assert.deepEqual(
    (await http.call('GET', `/v1/notices?after=${notices.next}`, tok.chiyoda)).notices,
    [],
  );

  // Loads to the lost card, and to the never-met one, are refused.
  await f.at('2026-06-02T10:00:00+09:00');
  for (const c of [card1, unseen]) {
    const r = await loadOnCard(w.ctx, w.op, tx(c), {
      terminalId: T,
      items: [{ cardApId: w.aps.A, pin: new TextEncoder().encode('4321') }],
      consent,
    });
    assert.equal(r.results[0]?.error?.code, 'CARD_NOT_ACTIVE');
  }

  // Transitions that make no sense.
  const post = (id: string, status: string, source: string) =>
    http.call('POST', `/v1/cards/${id}/status`, tok.platform, { status, source });
  assert.equal(refusal(await post(id1, 'lost', 'call_center'), 409), 'CARD_STATUS_UNCHANGED');
  assert.equal(refusal(await post(id1, 'active', 'call_center'), 409), 'CARD_STATUS_SOURCE');
  assert.equal(refusal(await post(id1, 'active', 'jpki_revocation'), 409), 'CARD_STATUS_SOURCE');
  assert.equal(
    refusal(await post(id1, 'suspended', 'operator'), 409),
    'CARD_STATUS_BAD_TRANSITION',
  );
  // Found: the issuer makes it usable again, and loads work again.
  const found = await post(id1, 'active', 'issuer');
  assert.equal(found.http, 200);
  assert.equal(found.previous, 'lost');
  const again = await loadOnCard(w.ctx, w.op, tx(card1), {
    terminalId: T,
    items: [{ cardApId: w.aps.A, pin: new TextEncoder().encode('4321') }],
    consent,
  });
  assert.equal(again.results[0]?.status, 'loaded');
  // Revoked is final.
  assert.equal((await post(id2, 'revoked', 'jpki_revocation')).http, 200);
  for (const s of ['active', 'lost', 'suspended'])
    assert.equal(refusal(await post(id2, s, 'issuer'), 409), 'CARD_REVOKED');

  // The daily list, Japan time: 06-01 has card 1 lost; 06-02 has card 2 and the unseen card
  // (00:30 JST is still 06-01 in UTC), then card 1 found and card 2 revoked.
  const d1 = await http.call('GET', '/v1/feed/daily?date=2026-06-01', tok.chiyoda);
  assert.equal(d1.http, 200);
  assert.equal(d1.complete, true);
  assert.equal(d1.from, '2026-05-31T15:00:00.000Z');
  assert.deepEqual(
    d1.cards.map((c: { cardId: string; status: string }) => [c.cardId, c.status]),
    [[id1, 'lost']],
  );
  const d2mae = await http.call('GET', '/v1/feed/daily?date=2026-06-02', tok.mae);
  assert.equal(d2mae.complete, false, 'the day is still running');
  assert.deepEqual(
    d2mae.cards.map((c: { cardId: string; status: string; changes: number }) => [
      c.cardId,
      c.status,
      c.changes,
    ]),
    [
      [id1, 'active', 1],
      [id2, 'revoked', 2],
    ],
  );
  const d2all = await http.call('GET', '/v1/feed/daily?date=2026-06-02', tok.platform);
  assert.deepEqual(
    d2all.cards.map((c: { cardId: string }) => c.cardId),
    [cardIdOf(unseen), id1, id2],
  );
  // CSV for the batch jobs: header, CRLF, one line per card AP with the user ID.
  const csv = await http.raw('/v1/feed/daily?date=2026-06-02&format=csv', tok.mae);
  assert.equal(csv.status, 200);
  assert.match(csv.type, /^text\/csv; charset=utf-8/);
  const lines = csv.body.split('\r\n');
  assert.equal(lines.at(-1), '', 'the last record ends with CRLF');
  assert.equal(lines[0], 'card_id,status,source,changed_at,seq,changes,card_ap_id,aid,user_id');
  const rows = lines.slice(1, -1).map((l) => l.split(','));
  const inst2 = (await listInstances(w.ctx, f.mae.admin, id2))[0]!;
  assert.deepEqual(
    rows.map((r) => [r[0], r[1], r[2], r[6], r[8]]),
    [
      [id1, 'active', 'issuer', w.aps.C, userId1],
      [id2, 'revoked', 'jpki_revocation', f.maeAp, inst2.userId],
    ],
  );
  const none = await http.raw('/v1/feed/daily?date=2026-05-31&format=csv', tok.takasaki);
  assert.equal(
    none.body,
    'card_id,status,source,changed_at,seq,changes,card_ap_id,aid,user_id\r\n',
  );

  // Every change is in the audit chain (the note with it, for the platform only).
  const audit = await w.db.query<{ detail: { note?: string; providerId?: string } }>(
    "SELECT detail FROM audit_log WHERE action = 'card.status' ORDER BY seq",
  );
  assert.equal(audit.rows.length, 5);
  assert.equal(audit.rows[0]?.detail.note, '受付番号 12345');
  assert.equal(audit.rows[0]?.detail.providerId, undefined);
  assert.equal((await verifyAudit(w.db)).ok, true);
}

async function badInput(f: FeedWorld): Promise<void> {
  const { http, tok } = f;
  const card = 'AB'.repeat(16);
  const cases: [string, string, unknown?][] = [
    ['GET', '/v1/feed?since=-1'],
    ['GET', '/v1/feed?since=abc'],
    ['GET', '/v1/feed?since=1.5'],
    ['GET', '/v1/feed?since=1&since=2'],
    ['GET', '/v1/feed?limit=0'],
    ['GET', '/v1/feed?limit=10001'],
    ['GET', '/v1/feed?x=1'],
    ['GET', '/v1/notices?after=-1'],
    ['GET', '/v1/notices?limit=0'],
    ['GET', '/v1/notices?limit=10001'],
    ['GET', '/v1/feed/daily'],
    ['GET', '/v1/feed/daily?date=2026-02-30'],
    ['GET', '/v1/feed/daily?date=2026-13-01'],
    ['GET', '/v1/feed/daily?date=yesterday'],
    ['GET', '/v1/feed/daily?date=2026-6-1'],
    ['GET', '/v1/feed/daily?date=2026-06-01&format=xml'],
    ['POST', `/v1/cards/${card}/status`, { status: 'stolen', source: 'call_center' }],
    ['POST', `/v1/cards/${card}/status`, { status: 'lost', source: 'police' }],
    ['POST', `/v1/cards/${card}/status`, { status: 'lost' }],
    ['POST', `/v1/cards/${card}/status`, { status: 'lost', source: 'issuer', extra: 1 }],
    ['POST', `/v1/cards/${card}/status`, { status: 'lost', source: 'issuer', note: '' }],
    [
      'POST',
      `/v1/cards/${card}/status`,
      { status: 'lost', source: 'issuer', note: 'x'.repeat(501) },
    ],
    ['POST', '/v1/cards/C1/status', { status: 'lost', source: 'issuer' }],
    ['POST', `/v1/cards/${card}0/status`, { status: 'lost', source: 'issuer' }],
  ];
  for (const [method, url, body] of cases) {
    const r = await http.call(method as 'GET', url, tok.platform, body);
    assert.equal(refusal(r, 400), 'VALIDATION', `${method} ${url}`);
  }
  // Nothing of it was written.
  assert.deepEqual((await http.call('GET', '/v1/feed', tok.platform)).events, []);
  assert.equal(
    (await f.w.db.query('SELECT 1 FROM cards WHERE card_id = $1', [card])).rows.length,
    0,
  );
}

/**
 * Pollers read the feed (platform and provider) and the notices with small pages
 * while writers change statuses concurrently; each collects what it saw. Nothing
 * may be missing, nothing twice, and seqs strictly increase.
 */
async function pollingNeverSkips(
  f: FeedWorld,
  writers: number,
  changesEach: number,
): Promise<void> {
  const { w, http, tok } = f;
  const cards: CardId[] = [];
  for (let i = 0; i < writers; i++) {
    const card = await newCard();
    if (i % 2 === 0) {
      const r = await loadOnCard(w.ctx, w.op, tx(card), {
        terminalId: T,
        items: [{ cardApId: w.aps.C }],
        consent,
      });
      assert.equal(r.results[0]?.status, 'loaded');
    }
    cards.push(cardIdOf(card) as CardId);
  }
  let writing = true;
  const poll = async (
    url: (n: number) => string,
    token: string,
    key: 'events' | 'notices',
  ): Promise<number[]> => {
    const seen: number[] = [];
    let next = 0;
    for (;;) {
      const done = !writing; // read once more after the writers finished
      for (;;) {
        const r = await http.call('GET', url(next), token);
        assert.equal(r.http, 200, JSON.stringify(r));
        const page = r[key] as { seq: number }[];
        for (const e of page) seen.push(e.seq);
        assert.ok(r.next >= next);
        if (page.length > 0) assert.equal(r.next, page[page.length - 1]!.seq);
        next = r.next;
        if (page.length < 3) break;
      }
      if (done) return seen;
      await new Promise((res) => setImmediate(res));
    }
  };
  const pollers = [
    poll((n) => `/v1/feed?since=${n}&limit=3`, tok.platform, 'events'),
    poll((n) => `/v1/feed?since=${n}&limit=3`, tok.chiyoda, 'events'),
    poll((n) => `/v1/notices?after=${n}&limit=3`, tok.mae, 'notices'),
  ];
  // Each writer flips its card lost ⇄ active; all writers at once.
  await Promise.all(
    cards.map(async (cardId) => {
      for (let k = 0; k < changesEach; k++) {
        await setCardStatus(w.ctx, w.platform, cardId, {
          status: k % 2 === 0 ? 'lost' : 'active',
          source: k % 2 === 0 ? 'call_center' : 'issuer',
        });
      }
    }),
  );
  writing = false;
  const [platformSeen = [], chiyodaSeen = [], maeSeen = []] = await Promise.all(pollers);
  const expect = async (sql: string, params: unknown[] = []) =>
    (await w.db.query<{ seq: number }>(sql, params)).rows.map((r) => Number(r.seq));
  const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
  const allEvents = await expect('SELECT seq FROM card_status_events ORDER BY seq');
  assert.equal(allEvents.length, writers * changesEach);
  assert.ok(increasing(platformSeen));
  assert.deepEqual(platformSeen, allEvents);
  const chiyodaEvents = await expect(
    "SELECT DISTINCT (detail->>'eventSeq')::bigint AS seq FROM provider_notices WHERE provider_id = 'CHIYODA' ORDER BY 1",
  );
  assert.equal(chiyodaEvents.length, Math.ceil(writers / 2) * changesEach);
  assert.ok(increasing(chiyodaSeen));
  assert.deepEqual(chiyodaSeen, chiyodaEvents);
  const maeNotices = await expect(
    "SELECT seq FROM provider_notices WHERE provider_id = 'MAEBASHI' ORDER BY seq",
  );
  assert.equal(maeNotices.length, Math.ceil(writers / 2) * changesEach);
  assert.deepEqual(maeSeen, maeNotices);
  assert.equal((await verifyAudit(w.db)).ok, true);
}

test('PGlite: a loss reaches the feed and notices of its providers only; loads refused; transitions; daily list and CSV', async (t) => {
  const f = await feedWorld();
  t.after(async () => {
    await f.app.close();
    await f.w.db.close();
  });
  await lossReachesItsProvidersOnly(f);
});

test('PGlite: bad input to the feed routes is a 400 in the house shape and writes nothing', async (t) => {
  const f = await feedWorld();
  t.after(async () => {
    await f.app.close();
    await f.w.db.close();
  });
  await badInput(f);
});

test('PGlite: polling with since/after never skips or repeats while statuses change', async (t) => {
  const f = await feedWorld();
  t.after(async () => {
    await f.app.close();
    await f.w.db.close();
  });
  await pollingNeverSkips(f, 4, 6);
});

test('PostgreSQL: the same, with writers racing', { skip: skipUnlessPostgres() }, async () => {
  const pg = await startPostgres();
  try {
    // A database of its own per scenario on the one cluster.
    const admin = openPostgres(pg.url);
    const opened: FeedWorld[] = [];
    const fresh = async (name: string) => {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
      const db = await openDb({
        databaseUrl: pg.url.replace(/\/[^/]*$/, `/${name}`),
        migrations: [loaderMigrations],
      });
      const f = await feedWorld(db);
      opened.push(f);
      return f;
    };
    try {
      await lossReachesItsProvidersOnly(await fresh('feed_loss'));
      await badInput(await fresh('feed_bad'));
      const soak = process.env.MYNA_SOAK === '1';
      await pollingNeverSkips(await fresh('feed_poll'), soak ? 24 : 8, soak ? 40 : 8);
    } finally {
      for (const f of opened) {
        await f.app.close();
        await f.w.db.close();
      }
      await admin.close();
    }
  } finally {
    await pg.stop();
  }
});
