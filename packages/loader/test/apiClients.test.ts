/**
 * API clients of business systems through the HTTP API: an administrator creates
 * one (the secret shown once), the client exchanges its secret at
 * POST /v1/oauth/token (HTTP Basic, form body, JSON body) for a 15-minute token
 * that reads its provider's feed, notices and key packages — and nothing else: not
 * another provider's, not a load, not operators, not the console's routes. A
 * revoked client and an expired token are refused at once; a wrong secret is
 * refused and audited; no secret is ever in the audit log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Card } from '@myna-ap/card';
import type { Transmit } from '@myna-ap/apdu';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { loadOnCard } from '../src/cardops/load.ts';
import { approveCardAp, requestCardAp } from '../src/store/cardAps.ts';
import { setCardStatus } from '../src/store/feed.ts';
import { listAudit, verifyAudit, sequenceAllAudit } from '../src/store/audit.ts';
import { consoleMounts } from '../src/http/consoleMounts.ts';
import { providerId, type CardId } from '../src/domain/ids.ts';
import { clientCredentials, CLIENT_TOKEN_TTL_MS } from '../src/domain/apiClient.ts';
import { T, cardIdOf, newCard, otherMunicipality, world } from './cardWorld.ts';

const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
  json: any;
  headers: Record<string, unknown>;
}

async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST',
  url: string,
  o: { token?: string; body?: unknown; form?: string; basic?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.basic) headers.authorization = `Basic ${o.basic}`;
  if (o.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const r = await app.inject({
    method,
    url,
    headers,
    ...(o.form !== undefined ? { payload: o.form } : {}),
    ...(o.body !== undefined ? { payload: o.body as object } : {}),
  });
  return {
    status: r.statusCode,
    json: r.body ? JSON.parse(r.body) : undefined,
    headers: r.headers,
  };
}

function refused(r: Answer, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json.code, code);
  assert.ok(r.json.message.en.length > 0 && r.json.message.ja.length > 0);
}

const basic = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString('base64');

async function setting() {
  const w = await world();
  const mae = await otherMunicipality(w, 'MAEBASHI', '102016');
  const maeAp = await requestCardAp(w.ctx, mae.admin, providerId('MAEBASHI'), {
    name: '前橋図書館',
    type: 'C',
    areas: ['extended'],
    size: 33,
  });
  await approveCardAp(w.ctx, w.platform, maeAp.id);
  // 千代田区's card AP on card 1, 前橋市's on card 2; both reported lost.
  const consent = { method: 'counter_form' as const };
  const card1 = await newCard();
  const l1 = await loadOnCard(w.ctx, w.op, tx(card1), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  assert.equal(l1.results[0]?.status, 'loaded');
  const card2 = await newCard();
  const l2 = await loadOnCard(w.ctx, mae.op, tx(card2), {
    terminalId: mae.terminal,
    items: [{ cardApId: maeAp.id }],
    consent,
  });
  assert.equal(l2.results[0]?.status, 'loaded');
  for (const c of [card1, card2])
    await setCardStatus(w.ctx, w.platform, cardIdOf(c) as CardId, {
      status: 'lost',
      source: 'call_center',
    });
  // The console's mounts too: a client token must not reach them either.
  const app = buildServer(w.ctx, { mounts: consoleMounts('/nonexistent-console-dist') });
  return { w, mae, maeAp: maeAp.id, app, id1: cardIdOf(card1), id2: cardIdOf(card2) };
}

test('a client reaches its own provider’s feed, notices and key packages, and nothing else', async (t) => {
  const { w, app, maeAp, id1 } = await setting();
  t.after(() => app.close());
  t.after(() => w.db.close());

  // The provider's administrator creates it; the secret comes once.
  const made = await call(app, 'POST', '/v1/clients', {
    token: w.tokens.admin,
    body: { providerId: 'CHIYODA', name: '図書館システム' },
  });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const { client, secret } = made.json;
  assert.equal(client.providerId, 'CHIYODA');
  assert.equal(client.revokedAt, null);
  assert.match(secret, /^mynacs_[A-Za-z0-9_-]{43}$/);
  const listed = await call(app, 'GET', '/v1/clients', { token: w.tokens.admin });
  assert.deepEqual(listed.json, [client]);
  assert.ok(!JSON.stringify(listed.json).includes(secret));

  // client_secret_basic, form-encoded as RFC 6749 says.
  const tok = await call(app, 'POST', '/v1/oauth/token', {
    basic: basic(client.id, secret),
    form: 'grant_type=client_credentials',
  });
  assert.equal(tok.status, 200, JSON.stringify(tok.json));
  assert.equal(tok.json.token_type, 'Bearer');
  assert.equal(tok.json.expires_in, 900);
  assert.equal(tok.headers['cache-control'], 'no-store');
  const token = tok.json.access_token as string;
  // client_secret_post, form and JSON.
  for (const body of [
    { form: `grant_type=client_credentials&client_id=${client.id}&client_secret=${secret}` },
    { body: { grant_type: 'client_credentials', client_id: client.id, client_secret: secret } },
  ]) {
    const r = await call(app, 'POST', '/v1/oauth/token', body);
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }

  // Its provider's feed: card 1 only (card 2 is 前橋市's).
  const feed = await call(app, 'GET', '/v1/feed', { token });
  assert.equal(feed.status, 200, JSON.stringify(feed.json));
  assert.deepEqual(
    feed.json.events.map((e: { cardId: string }) => e.cardId),
    [id1],
  );
  const daily = await call(app, 'GET', '/v1/feed/daily?date=2026-06-01', { token });
  assert.equal(daily.status, 200, JSON.stringify(daily.json));
  const notices = await call(app, 'GET', '/v1/notices', { token });
  assert.equal(notices.status, 200);
  assert.deepEqual(
    notices.json.notices.map((n: { cardId: string }) => n.cardId),
    [id1],
  );
  // Its provider's key package (type A has keys); not 前橋市's card AP.
  const pkg = await call(app, 'GET', `/v1/card-aps/${w.aps.A}/keys`, { token });
  assert.equal(pkg.status, 200, JSON.stringify(pkg.json));
  assert.equal(pkg.json.providerId, 'CHIYODA');
  refused(await call(app, 'GET', `/v1/card-aps/${maeAp}/keys`, { token }), 404, 'NOT_FOUND');

  // Everything else: 403 with the client's own code.
  for (const [method, url, body] of [
    ['GET', '/v1/me'],
    ['GET', '/v1/operators'],
    [
      'POST',
      '/v1/operators',
      {
        login: 'x-op',
        displayName: 'x',
        role: 'loading_operator',
        providerId: 'CHIYODA',
        password: 'operator password 1',
      },
    ],
    [
      'POST',
      '/v1/jobs',
      {
        op: 'load',
        terminalId: T,
        cardAps: [{ cardApId: w.aps.C }],
        consent: { method: 'counter_form' },
      },
    ],
    ['GET', '/v1/clients'],
    ['POST', '/v1/clients', { providerId: 'CHIYODA', name: 'another' }],
    ['GET', '/v1/audit'],
    ['POST', `/v1/cards/${id1}/status`, { status: 'active', source: 'call_center' }],
    ['GET', '/v1/console/session'],
  ] as const) {
    const r = await call(app, method, url, { token, ...(body ? { body } : {}) });
    refused(r, 403, 'CLIENT_ROUTE_FORBIDDEN');
  }

  // The audit log has the creation and the tokens, never the secret or a token.
  await sequenceAllAudit(w.db);
  const audit = await listAudit(w.db, { afterSeq: 0, limit: 1000 });
  const actions = audit.map((a) => a.action);
  assert.ok(actions.includes('client.create'));
  assert.equal(actions.filter((a) => a === 'client.token').length, 3);
  assert.ok(actions.includes('cardap.keys_export'));
  const text = JSON.stringify(audit);
  assert.ok(!text.includes(secret) && !text.includes(token));
  assert.equal((await verifyAudit(w.db)).ok, true);
});

test('another provider’s administrator cannot see or revoke a client; a loading operator cannot make one', async (t) => {
  const { w, app } = await setting();
  t.after(() => app.close());
  t.after(() => w.db.close());
  const made = await call(app, 'POST', '/v1/clients', {
    token: w.tokens.platform,
    body: { providerId: 'CHIYODA', name: '機構が作成' },
  });
  assert.equal(made.status, 201);
  const maeToken = (
    await call(app, 'POST', '/v1/login', {
      body: { login: 'maebashi-admin', password: 'operator password 1' },
    })
  ).json.token as string;
  assert.deepEqual((await call(app, 'GET', '/v1/clients', { token: maeToken })).json, []);
  refused(
    await call(app, 'POST', `/v1/clients/${made.json.client.id}/revoke`, { token: maeToken }),
    404,
    'NOT_FOUND',
  );
  refused(
    await call(app, 'POST', '/v1/clients', {
      token: maeToken,
      body: { providerId: 'CHIYODA', name: 'よその' },
    }),
    403,
    'FORBIDDEN',
  );
  refused(
    await call(app, 'POST', '/v1/clients', {
      token: w.tokens.op,
      body: { providerId: 'CHIYODA', name: '搭載担当が' },
    }),
    403,
    'FORBIDDEN',
  );
  // The platform sees all, filtered by provider if it asks.
  const all = await call(app, 'GET', '/v1/clients?providerId=CHIYODA', {
    token: w.tokens.platform,
  });
  assert.equal(all.json.length, 1);
});

test('a wrong secret is refused and audited; revocation and expiry stop a token at once', async (t) => {
  const { w, app } = await setting();
  t.after(() => app.close());
  t.after(() => w.db.close());
  const made = await call(app, 'POST', '/v1/clients', {
    token: w.tokens.admin,
    body: { providerId: 'CHIYODA', name: '入退室システム' },
  });
  const { client, secret } = made.json;
  const wrong = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
  refused(
    await call(app, 'POST', '/v1/oauth/token', {
      basic: basic(client.id, wrong),
      form: 'grant_type=client_credentials',
    }),
    401,
    'CLIENT_AUTH_FAILED',
  );
  refused(
    await call(app, 'POST', '/v1/oauth/token', {
      basic: basic('cl_000000000000000000000000', secret),
      form: 'grant_type=client_credentials',
    }),
    401,
    'CLIENT_AUTH_FAILED',
  );
  refused(
    await call(app, 'POST', '/v1/oauth/token', {
      basic: basic(client.id, secret),
      form: 'grant_type=password',
    }),
    400,
    'UNSUPPORTED_GRANT_TYPE',
  );
  // Both Basic and the body: one method per request (RFC 6749 §2.3).
  refused(
    await call(app, 'POST', '/v1/oauth/token', {
      basic: basic(client.id, secret),
      form: `grant_type=client_credentials&client_id=${client.id}&client_secret=${secret}`,
    }),
    401,
    'CLIENT_AUTH_FAILED',
  );
  refused(
    await call(app, 'POST', '/v1/oauth/token', { form: 'grant_type=client_credentials' }),
    401,
    'CLIENT_AUTH_FAILED',
  );
  await sequenceAllAudit(w.db);
  const refusedRows = (await listAudit(w.db, { afterSeq: 0, limit: 1000 })).filter(
    (a) => a.action === 'client.token_refused',
  );
  assert.deepEqual(
    refusedRows.map((a) => (a.detail as { reason: string }).reason),
    ['secret', 'unknown'],
  );
  assert.ok(!JSON.stringify(refusedRows).includes(wrong));

  // Expiry: 15 minutes.
  const issue = async () =>
    (
      await call(app, 'POST', '/v1/oauth/token', {
        basic: basic(client.id, secret),
        form: 'grant_type=client_credentials',
      })
    ).json.access_token as string;
  const start = w.ctx.now();
  const t1 = await issue();
  assert.equal((await call(app, 'GET', '/v1/feed', { token: t1 })).status, 200);
  w.setNow(new Date(start.getTime() + CLIENT_TOKEN_TTL_MS - 1000));
  assert.equal((await call(app, 'GET', '/v1/feed', { token: t1 })).status, 200);
  w.setNow(new Date(start.getTime() + CLIENT_TOKEN_TTL_MS));
  refused(await call(app, 'GET', '/v1/feed', { token: t1 }), 401, 'UNAUTHENTICATED');
  w.setNow(start);

  // Revocation: the live token stops, no new one is issued, the client is listed as revoked.
  const t2 = await issue();
  assert.equal((await call(app, 'GET', '/v1/feed', { token: t2 })).status, 200);
  const adminToken = (
    await call(app, 'POST', '/v1/login', {
      body: { login: 'chiyoda-admin2', password: 'operator password 1' },
    })
  ).json.token as string;
  const rev = await call(app, 'POST', `/v1/clients/${client.id}/revoke`, { token: adminToken });
  assert.equal(rev.status, 200, JSON.stringify(rev.json));
  assert.notEqual(rev.json.revokedAt, null);
  refused(await call(app, 'GET', '/v1/feed', { token: t2 }), 401, 'UNAUTHENTICATED');
  refused(
    await call(app, 'POST', '/v1/oauth/token', {
      basic: basic(client.id, secret),
      form: 'grant_type=client_credentials',
    }),
    401,
    'CLIENT_AUTH_FAILED',
  );
  refused(
    await call(app, 'POST', `/v1/clients/${client.id}/revoke`, { token: adminToken }),
    409,
    'CLIENT_REVOKED',
  );
  await sequenceAllAudit(w.db);
  const actions = (await listAudit(w.db, { afterSeq: 0, limit: 1000 })).map((a) => a.action);
  assert.ok(actions.includes('client.revoke'));
});

test('clientCredentials reads HTTP Basic (form-encoded inside) or the body, never both', () => {
  const b = Buffer.from('cl_x:a%3Ab+c').toString('base64');
  assert.deepEqual(clientCredentials(`Basic ${b}`, {}), { id: 'cl_x', secret: 'a:b c' });
  assert.deepEqual(clientCredentials(undefined, { client_id: 'i', client_secret: 's' }), {
    id: 'i',
    secret: 's',
  });
  assert.equal(clientCredentials(`Basic ${b}`, { client_id: 'i' }), 'both');
  assert.equal(clientCredentials(undefined, { client_id: 'i' }), undefined);
  assert.equal(
    clientCredentials(`Basic ${Buffer.from('nocolon').toString('base64')}`, {}),
    undefined,
  );
  assert.equal(clientCredentials('Bearer x', {}), undefined);
});
