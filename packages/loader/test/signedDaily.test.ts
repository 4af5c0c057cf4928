/**
 * The signed daily list (issue 12): a business system fetches the day's list with
 * its detached signature and checks it offline with the platform's published
 * certificate. The content is the list the provider would get unsigned (its own
 * user IDs only), a changed byte or another signer fails the check, an API client
 * may fetch it, and a server started without a signer says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Card } from '@myna-ap/card';
import { SignedFileError, verifyDetached } from '@myna-ap/pki';
import { buildServer } from '../src/http/server.ts';
import { loadOnCard } from '../src/cardops/load.ts';
import { defaultFeedSigner } from '../src/serve.ts';
import { createApiClient } from '../src/store/apiClients.ts';
import { providerId, type CardId } from '../src/domain/ids.ts';
import { T, cardIdOf, newCard, setCardStatus, world } from './cardWorld.ts';

const tx = (card: Card) => (b: Uint8Array) => card.transmit(b);

test('the daily list comes with a detached signature that verifies with the published certificate', async (t) => {
  const keysDir = mkdtempSync(join(tmpdir(), 'myna-feed-signer-'));
  const w = await world();
  const signer = defaultFeedSigner(keysDir);
  const app = buildServer({ ...w.ctx, feedSigner: signer });
  t.after(async () => {
    await app.close();
    await w.db.close();
    rmSync(keysDir, { recursive: true, force: true });
  });
  const get = async (url: string, token?: string) => {
    const r = await app.inject({
      method: 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: r.statusCode, body: r.body, json: () => JSON.parse(r.body) };
  };

  const card = await newCard();
  const loaded = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent: { method: 'counter_form' },
  });
  const userId = loaded.results[0]!.userId!;
  w.setNow(new Date('2026-06-01T12:00:00+09:00'));
  await setCardStatus(w.ctx, w.platform, cardIdOf(card) as CardId, {
    status: 'lost',
    source: 'call_center',
  });
  w.setNow(new Date('2026-06-02T09:00:00+09:00'));
  // The next morning: the day is over; log in again (sessions last 8 hours).
  const login = await app.inject({
    method: 'POST',
    url: '/v1/login',
    payload: { login: 'chiyoda-admin', password: 'operator password 1' },
  });
  const admin = JSON.parse(login.body).token as string;

  // The certificate is public: no token needed to fetch it.
  const published = await get('/v1/feed/certificate');
  assert.equal(published.status, 200, published.body);
  const cert = published.json();
  const der = new X509Certificate(cert.certificate).raw;
  assert.equal(cert.sha256, createHash('sha256').update(der).digest('hex'));
  assert.match(cert.subject, /myna-ap status feed signer/);

  for (const format of ['csv', 'json'] as const) {
    const r = await get(`/v1/feed/daily/signed?date=2026-06-01&format=${format}`, admin);
    assert.equal(r.status, 200, r.body);
    const signed = r.json();
    assert.equal(signed.format, format);
    assert.equal(signed.complete, true);
    assert.equal(signed.fileName, `card-status-2026-06-01-CHIYODA.${format}`);
    const content = Buffer.from(signed.content, 'base64');
    const p7s = Buffer.from(signed.signature, 'base64');
    assert.deepEqual(verifyDetached(content, p7s, der), { signedAt: new Date(signed.signedAt) });
    if (format === 'csv') {
      // Exactly the bytes of the unsigned CSV, with the provider's user ID.
      const plain = await get('/v1/feed/daily?date=2026-06-01&format=csv', admin);
      assert.equal(content.toString('utf8'), plain.body);
      assert.match(plain.body, new RegExp(`,lost,call_center,.*,${userId}\\r\\n$`));
    } else {
      const list = JSON.parse(content.toString('utf8'));
      assert.deepEqual(
        list.cards.map((c: { status: string; cardAps: { userId: string }[] }) => [
          c.status,
          c.cardAps[0]!.userId,
        ]),
        [['lost', userId]],
      );
    }
    // One changed byte, and the check fails.
    content[content.length - 3] = content[content.length - 3]! ^ 0x01;
    assert.throws(
      () => verifyDetached(content, p7s, der),
      (e) => e instanceof SignedFileError && e.code === 'CMS_BAD_SIGNATURE',
    );
  }

  // The same signer across restarts of the server (the key and its certificate are kept).
  const again = await defaultFeedSigner(keysDir)();
  assert.deepEqual(Buffer.from(again.certificate), der);

  // A business system's API client may fetch the signed list, as it may the plain one.
  const { client, secret } = await createApiClient(w.ctx, w.admin, {
    providerId: providerId('CHIYODA'),
    name: '図書館システム',
  });
  const tokenRes = await app.inject({
    method: 'POST',
    url: '/v1/oauth/token',
    payload: {
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: secret,
    },
  });
  assert.equal(tokenRes.statusCode, 200, tokenRes.body);
  const bySystem = await get(
    '/v1/feed/daily/signed?date=2026-06-01&format=csv',
    JSON.parse(tokenRes.body).access_token,
  );
  assert.equal(bySystem.status, 200, bySystem.body);

  // Bad input is refused as for the plain list.
  assert.equal((await get('/v1/feed/daily/signed?date=2026-02-30', admin)).status, 400);
  assert.equal((await get('/v1/feed/daily/signed?date=2026-06-01')).status, 401);
});

test('a server without a signer says so for the signed list and its certificate', async (t) => {
  const w = await world();
  const app = buildServer(w.ctx);
  t.after(async () => {
    await app.close();
    await w.db.close();
  });
  for (const url of ['/v1/feed/daily/signed?date=2026-06-01', '/v1/feed/certificate']) {
    const r = await app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${w.tokens.admin}` },
    });
    assert.equal(r.statusCode, 503, r.body);
    const body = JSON.parse(r.body);
    assert.equal(body.code, 'FEED_NOT_SIGNED');
    assert.match(body.message.ja, /署名鍵/);
  }
});
