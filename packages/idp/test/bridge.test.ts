/**
 * The holder's bridge over HTTP on 127.0.0.1 with an emulated card (certificates
 * from the real test JPKI issuer): only allowed origins, the signature bound to
 * the asking page's origin, PIN tries guarded (never the last one), serialised
 * card access, and the refusals in both languages.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createVerify, X509Certificate } from 'node:crypto';
import { Card, issuerCvCertificateEf } from '@myna-ap/card';
import { InProcessChannel, TransportError, type CardChannel } from '@myna-ap/transport';
import { MynaClient } from '@myna-ap/access';
import {
  CardBridge,
  startBridgeServer,
  type CardBridgeOptions,
  type CardSource,
} from '../src/bridge/index.ts';
import { proofSignedData } from '../src/index.ts';
import { HOLDER, PIN, makeCard, makeWorld } from './world.ts';

const PAGE = 'http://127.0.0.1:8390';
const w = await makeWorld();
const made = await makeCard(w);

/** An in-process card as the bridge's source, counting overlapping uses. */
function cardSource(card: Card, fail?: () => Error | undefined) {
  let open = 0;
  const s = {
    maxOverlap: 0,
    async open(): Promise<CardChannel> {
      const e = fail?.();
      if (e) throw e;
      open++;
      s.maxOverlap = Math.max(s.maxOverlap, open);
      await new Promise((r) => setTimeout(r, 5));
      return new InProcessChannel(card);
    },
    async release(c: CardChannel) {
      open--;
      await c.close();
    },
  } satisfies CardSource & { maxOverlap: number };
  return s;
}

const lines: string[] = [];
async function bridgeFor(source: CardSource, o: CardBridgeOptions = {}) {
  const b = await startBridgeServer({
    bridge: new CardBridge(source, o),
    allowedOrigins: [PAGE],
    port: 0,
    log: (l) => lines.push(l),
  });
  after(() => b.close());
  return b;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

function call(
  url: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<Answer> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method,
        headers: { origin: PAGE, 'content-type': 'application/json', ...headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: text ? JSON.parse(text) : {},
          });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

const CHALLENGE = Buffer.alloc(32, 9).toString('base64url');

test('the auth certificate and an origin-bound signature after the PIN; the 4 info after the PIN', async () => {
  const b = await bridgeFor(cardSource(made.card));
  const cert = await call(b.url, '/v1/auth/certificate', {});
  assert.equal(cert.status, 200);
  assert.equal(cert.headers['access-control-allow-origin'], PAGE);
  assert.deepEqual(Buffer.from(cert.body.certificate as string, 'base64'), Buffer.from(made.auth));

  const signed = await call(b.url, '/v1/auth/sign', { challenge: CHALLENGE, pin: PIN });
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  assert.equal(signed.body.origin, PAGE, 'the asking page’s origin, from its Origin header');
  const ok = createVerify('sha256')
    .update(proofSignedData(PAGE, CHALLENGE))
    .verify(
      new X509Certificate(made.auth).publicKey,
      Buffer.from(signed.body.signature as string, 'base64'),
    );
  assert.ok(ok);
  // A page cannot name another origin to sign for.
  const named = await call(b.url, '/v1/auth/sign', {
    challenge: CHALLENGE,
    pin: PIN,
    origin: 'https://bank.example',
  });
  assert.equal(named.body.code, 'BAD_REQUEST');

  const info = await call(b.url, '/v1/basic-info', { pin: PIN });
  assert.equal(info.status, 200);
  assert.equal(info.body.name, HOLDER.name);
  assert.equal(info.body.birthDate, HOLDER.birthDate);
  assert.ok(!lines.some((l) => l.includes(PIN)), 'no PIN in the log');
});

test('only allowed origins, on this host name: preflight, a missing Origin, another page, a rebinding Host', async () => {
  const b = await bridgeFor(cardSource(made.card));
  const pre = await call(
    b.url,
    '/v1/auth/sign',
    undefined,
    {
      'access-control-request-method': 'POST',
      'access-control-request-private-network': 'true',
    },
    'OPTIONS',
  );
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], PAGE);
  assert.equal(pre.headers['access-control-allow-private-network'], 'true');
  const evilPre = await call(
    b.url,
    '/v1/auth/sign',
    undefined,
    { origin: 'https://evil.example' },
    'OPTIONS',
  );
  assert.equal(evilPre.status, 403);
  assert.equal(evilPre.headers['access-control-allow-origin'], undefined);
  const evil = await call(b.url, '/v1/auth/certificate', {}, { origin: 'https://evil.example' });
  assert.equal(evil.body.code, 'BRIDGE_ORIGIN_REFUSED');
  const none = await call(b.url, '/v1/auth/certificate', {}, { origin: '' });
  assert.equal(none.body.code, 'BRIDGE_ORIGIN_REFUSED');
  const rebound = await call(
    b.url,
    '/v1/auth/certificate',
    {},
    { host: `evil.example:${new URL(b.url).port}` },
  );
  assert.equal(rebound.body.code, 'BRIDGE_ORIGIN_REFUSED');
  const form = await call(b.url, '/v1/auth/certificate', {}, { 'content-type': 'text/plain' });
  assert.equal(form.body.code, 'BAD_REQUEST');
  const ja = await call(
    b.url,
    '/v1/auth/certificate',
    {},
    { origin: 'https://evil.example', 'accept-language': 'ja' },
  );
  assert.match(String(ja.body.message), /許可されていません/);
});

test('a wrong PIN says the tries left; with 1 left the bridge sends no PIN; a locked PIN says so', async () => {
  const fresh = await makeCard(w);
  const b = await bridgeFor(cardSource(fresh.card));
  const first = await call(b.url, '/v1/auth/sign', { challenge: CHALLENGE, pin: '0000' });
  assert.equal(first.body.code, 'BRIDGE_PIN_WRONG');
  assert.deepEqual(first.body.detail, { triesLeft: 2 });
  const second = await call(b.url, '/v1/auth/sign', { challenge: CHALLENGE, pin: '0000' });
  assert.deepEqual(second.body.detail, { triesLeft: 1 });
  const last = await call(
    b.url,
    '/v1/auth/sign',
    { challenge: CHALLENGE, pin: PIN },
    { 'accept-language': 'ja' },
  );
  assert.equal(last.status, 409);
  assert.equal(last.body.code, 'BRIDGE_PIN_LAST_TRY');
  assert.match(String(last.body.message), /あと1回/);
  const myna = new MynaClient(new InProcessChannel(fresh.card));
  assert.equal(await myna.pinTriesLeft('auth'), 1, 'no try spent by the refusal');
  await assert.rejects(myna.verifyPin('auth', '0000'));
  const locked = await call(b.url, '/v1/auth/sign', { challenge: CHALLENGE, pin: PIN });
  assert.equal(locked.status, 423);
  assert.equal(locked.body.code, 'BRIDGE_PIN_LOCKED');
  const shape = await call(b.url, '/v1/basic-info', { pin: '12' });
  assert.equal(shape.body.code, 'BRIDGE_PIN_FORMAT');
});

test('one card operation at a time; no reader and no card are told apart', async () => {
  const source = cardSource(made.card);
  const b = await bridgeFor(source);
  const all = await Promise.all(
    Array.from({ length: 4 }, () =>
      call(b.url, '/v1/auth/sign', { challenge: CHALLENGE, pin: PIN }),
    ),
  );
  assert.deepEqual(
    all.map((a) => a.status),
    [200, 200, 200, 200],
  );
  assert.equal(source.maxOverlap, 1);
  let failure: Error | undefined = new TransportError('NO_CARD', {
    en: 'no card',
    ja: 'カードなし',
  });
  const nb = await bridgeFor(cardSource(made.card, () => failure));
  const noCard = await call(nb.url, '/v1/auth/certificate', {});
  assert.equal(noCard.status, 503);
  assert.equal(noCard.body.code, 'BRIDGE_NO_CARD');
  failure = new TransportError('READER_NOT_FOUND', { en: 'no reader', ja: 'リーダなし' });
  const noReader = await call(nb.url, '/v1/auth/certificate', {});
  assert.equal(noReader.body.code, 'BRIDGE_NO_READER');
  failure = undefined;
  assert.equal((await call(nb.url, '/v1/auth/certificate', {})).status, 200);
});

test('券面事項確認AP internal authentication: a genuine card after 照合番号B; another issuer’s card, a wrong security code, the last try', async () => {
  const face = { birthDate: HOLDER.birthDate, securityCode: made.securityCode };
  // Without the card issuer's certificate the bridge cannot tell, and says so.
  const bare = await bridgeFor(cardSource(made.card));
  const unsupported = await call(bare.url, '/v1/card-authentication', face);
  assert.equal(unsupported.status, 501);
  assert.equal(unsupported.body.code, 'BRIDGE_UNSUPPORTED');

  const published = issuerCvCertificateEf(made.cardIssuer);
  const b = await bridgeFor(cardSource(made.card), { cardIssuer: published });
  const genuine = await call(b.url, '/v1/card-authentication', face);
  assert.equal(genuine.status, 200, JSON.stringify(genuine.body));
  assert.equal(genuine.body.genuine, true);
  assert.match(String(genuine.body.cardKeyId), /^[0-9A-F]{32}$/);
  assert.equal(
    genuine.body.expiry,
    `${made.expiry!.slice(0, 4)}-${made.expiry!.slice(4, 6)}-${made.expiry!.slice(6)}`,
  );
  // The expiry from the face gives the same answer.
  const given = await call(b.url, '/v1/card-authentication', {
    ...face,
    expiry: genuine.body.expiry,
  });
  assert.equal(given.body.cardKeyId, genuine.body.cardKeyId);

  // A card of another card issuer is not genuine for this one.
  const other = await makeCard(w);
  const ob = await bridgeFor(cardSource(other.card), { cardIssuer: published });
  const forged = await call(ob.url, '/v1/card-authentication', {
    birthDate: HOLDER.birthDate,
    securityCode: other.securityCode,
  });
  assert.equal(forged.status, 422);
  assert.equal(forged.body.code, 'BRIDGE_CARD_NOT_GENUINE');

  // Malformed: nothing goes to the card.
  const shape = await call(b.url, '/v1/card-authentication', { ...face, securityCode: '12a4' });
  assert.equal(shape.body.code, 'BRIDGE_PIN_FORMAT');
  const extra = await call(b.url, '/v1/card-authentication', { ...face, pin: PIN });
  assert.equal(extra.body.code, 'BAD_REQUEST');

  // A wrong security code spends a try of 照合番号B and says it in its own words.
  const fresh = await makeCard(w);
  const fb = await bridgeFor(cardSource(fresh.card), {
    cardIssuer: issuerCvCertificateEf(fresh.cardIssuer),
  });
  const wrongCode = fresh.securityCode === '0000' ? '1111' : '0000';
  const wrong = { birthDate: HOLDER.birthDate, securityCode: wrongCode };
  const first = await call(fb.url, '/v1/card-authentication', wrong, { 'accept-language': 'ja' });
  assert.equal(first.body.code, 'BRIDGE_PIN_WRONG');
  assert.deepEqual(first.body.detail, { triesLeft: 9 });
  assert.match(String(first.body.message), /照合番号B/);
  for (let left = 8; left >= 1; left--) {
    const r = await call(fb.url, '/v1/card-authentication', wrong);
    assert.deepEqual(r.body.detail, { triesLeft: left });
  }
  const last = await call(fb.url, '/v1/card-authentication', {
    birthDate: HOLDER.birthDate,
    securityCode: fresh.securityCode,
  });
  assert.equal(last.body.code, 'BRIDGE_PIN_LAST_TRY', 'the right code is not sent with 1 try left');
  assert.ok(!lines.some((l) => l.includes(fresh.securityCode)), 'no security code in the log');
});
