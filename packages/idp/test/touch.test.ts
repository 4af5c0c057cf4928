/**
 * かざし利用 over the machine API: sites are declared only when staffed,
 * face-to-face and 保証レベル1; registration needs a PIN proof; a touch at a
 * declared site gives the service's PPID marked `identifiedBy: 'touch'`; an
 * undeclared site, an unregistered card (a PIN proof alone is no touch
 * registration), a card registered at another service only, a revoked or a 署名用
 * certificate are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  declareTouchSite,
  checkTouchSite,
  listTouchSites,
  withdrawTouchSite,
} from '../src/index.ts';
import { IdpError } from '../src/errors.ts';
import { ORIGIN, b64, makeCard, makeWorld } from './world.ts';

const GYM = 'https://gym.example.jp';
const w = await makeWorld();
const card = await makeCard(w);
const scopes = ['proof', 'touch'] as const;
const { secret } = await w.client({
  clientId: 'library',
  sector: 'city-library',
  scopes: [...scopes],
});
const { secret: gymSecret } = await w.client({
  clientId: 'gym',
  sector: 'city-gym',
  scopes: [...scopes],
  origins: [GYM],
});
const { secret: proofOnly } = await w.client({ clientId: 'museum', sector: 'city-museum' });
const library = await w.token('library', secret);
const gym = await w.token('gym', gymSecret);

const COUNTER = {
  siteId: 'main-counter',
  name: '中央図書館 貸出カウンター',
  staffed: true,
  faceToFace: true,
  assuranceLevel: 1,
};
await declareTouchSite(w.db, 'library', COUNTER);
await declareTouchSite(w.db, 'gym', { ...COUNTER, siteId: 'front-desk', name: '体育館 受付' });

const code = (e: unknown) => (e instanceof IdpError ? e.code : String(e));

async function api(url: string, payload: unknown, token = library) {
  const r = await w.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${token}`, 'accept-language': 'en' },
    payload: payload as Record<string, unknown>,
  });
  return { status: r.statusCode, body: r.json() };
}

/** A PIN proof's body: a fresh challenge of this client, signed by the card after the PIN. */
async function pinProof(c = card, token = library, origin = ORIGIN) {
  const ch = (await api('/v1/proof/challenges', { origin }, token)).body.challenge as string;
  return {
    challenge: ch,
    origin,
    certificate: b64(c.auth),
    signature: b64(await c.sign(origin, ch)),
  };
}

const touch = (site: string, cert: Uint8Array, token = library) =>
  api('/v1/touch', { site, certificate: b64(cert) }, token);

test('a site is declared only when staffed, face-to-face and 保証レベル1', async () => {
  for (const bad of [
    { ...COUNTER, staffed: false },
    { ...COUNTER, faceToFace: false },
    { ...COUNTER, assuranceLevel: 2 },
  ]) {
    assert.throws(
      () => checkTouchSite(bad),
      (e) => code(e) === 'TOUCH_SITE_NOT_ALLOWED',
    );
    await assert.rejects(
      declareTouchSite(w.db, 'library', { ...bad, siteId: 'web' }),
      (e) => code(e) === 'TOUCH_SITE_NOT_ALLOWED',
    );
  }
  const online = (() => {
    try {
      checkTouchSite({ ...COUNTER, siteId: 'web', staffed: false, faceToFace: false });
    } catch (e) {
      return (e as IdpError).text;
    }
  })();
  assert.match(online!.en, /not staffed, not face-to-face/);
  assert.match(online!.ja, /有人ではない、対面ではない/);
  assert.throws(
    () => checkTouchSite({ ...COUNTER, siteId: 'a b' }),
    (e) => code(e) === 'BAD_REQUEST',
  );
  await assert.rejects(
    declareTouchSite(w.db, 'nobody', COUNTER),
    (e) => code(e) === 'CLIENT_NOT_FOUND',
  );
  // The table says the same: no row of a site the seed does not allow.
  await assert.rejects(
    w.db.query(
      `INSERT INTO idp_touch_sites (client_id, site_id, name, staffed, face_to_face, assurance_level)
       VALUES ('library', 'kiosk', 'unattended kiosk', false, true, 1)`,
    ),
  );
  assert.equal((await touch('web', card.auth)).body.code, 'TOUCH_SITE_UNDECLARED');
});

test('a PIN proof alone is no touch registration; after registering, a touch gives the PPID, marked touch', async () => {
  // The holder proved with the PIN (a holder of the platform) but did not register for touch.
  const plain = await api('/v1/proof/verify', await pinProof());
  assert.equal(plain.status, 200, JSON.stringify(plain.body));
  const before = await touch(COUNTER.siteId, card.auth);
  assert.equal(before.status, 409);
  assert.equal(before.body.code, 'TOUCH_NOT_REGISTERED');

  const reg = await api('/v1/touch/registrations', await pinProof());
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  assert.equal(reg.body.identifiedBy, 'pin-signature');
  assert.equal(reg.body.ppid, plain.body.ppid);
  const again = await api('/v1/touch/registrations', await pinProof());
  assert.equal(again.status, 200);
  assert.equal(again.body.created, false);

  const t = await touch(COUNTER.siteId, card.auth);
  assert.equal(t.status, 200, JSON.stringify(t.body));
  assert.equal(
    t.body.identifiedBy,
    'touch',
    'the service sees it was a touch, and may ask for more',
  );
  assert.equal(t.body.ppid, plain.body.ppid, 'the same PPID as the PIN proof');
  assert.deepEqual(t.body.site, { siteId: COUNTER.siteId, name: COUNTER.name });
  assert.equal(t.body.assuranceLevel, 1);
  assert.equal(t.body.validation.result.status, 'valid');
  const serial = new X509Certificate(card.auth).serialNumber;
  assert.ok(!JSON.stringify(t.body).toUpperCase().includes(serial.toUpperCase()), 'no serial');

  // The site withdrawn: touches there stop.
  await declareTouchSite(w.db, 'library', { ...COUNTER, siteId: 'branch' });
  assert.equal((await touch('branch', card.auth)).status, 200);
  assert.deepEqual(
    (await listTouchSites(w.db, 'library')).map((x) => x.siteId),
    ['branch', 'main-counter'],
  );
  assert.equal(await withdrawTouchSite(w.db, 'library', 'branch'), true);
  assert.equal(await withdrawTouchSite(w.db, 'library', 'branch'), false);
  assert.equal((await touch('branch', card.auth)).body.code, 'TOUCH_SITE_UNDECLARED');
  assert.deepEqual(
    (await listTouchSites(w.db, 'library')).map((x) => x.siteId),
    ['main-counter'],
  );
});

test('withdrawal from かざし利用 needs the PIN proof; afterwards a touch is refused, and a new registration works again', async () => {
  const other = await makeCard(w);
  assert.equal((await api('/v1/touch/registrations', await pinProof(other))).status, 201);
  assert.equal((await touch(COUNTER.siteId, other.auth)).status, 200);
  // A touch-like request (the certificate alone, no PIN signature) withdraws nothing.
  const bare = await api('/v1/touch/registrations/withdraw', {
    ...(await pinProof(other)),
    signature: b64(new Uint8Array(256)),
  });
  assert.notEqual(bare.status, 200);
  assert.equal((await touch(COUNTER.siteId, other.auth)).status, 200, 'still registered');
  const out = await api('/v1/touch/registrations/withdraw', await pinProof(other));
  assert.equal(out.status, 200, JSON.stringify(out.body));
  assert.equal(out.body.withdrawn, true);
  const t = await touch(COUNTER.siteId, other.auth);
  assert.equal(t.body.code, 'TOUCH_NOT_REGISTERED');
  const again = await api('/v1/touch/registrations/withdraw', await pinProof(other));
  assert.equal(again.body.withdrawn, false);
  assert.equal(again.body.ppid, out.body.ppid);
  // Registering again (with a new PIN proof) makes touches work again.
  assert.equal((await api('/v1/touch/registrations', await pinProof(other))).status, 201);
  assert.equal((await touch(COUNTER.siteId, other.auth)).status, 200);
});

test('another service: its own site and registration — a card registered at the library only is refused there', async () => {
  await api('/v1/touch/registrations', await pinProof());
  // the library's site is not the gym's
  assert.equal((await touch(COUNTER.siteId, card.auth, gym)).body.code, 'TOUCH_SITE_UNDECLARED');
  const unregistered = await touch('front-desk', card.auth, gym);
  assert.equal(unregistered.body.code, 'TOUCH_NOT_REGISTERED');
  const reg = await api('/v1/touch/registrations', await pinProof(card, gym, GYM), gym);
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const t = await touch('front-desk', card.auth, gym);
  assert.equal(t.body.identifiedBy, 'touch');
  const lib = await touch(COUNTER.siteId, card.auth);
  assert.notEqual(t.body.ppid, lib.body.ppid, 'unlinkable PPIDs across services');
});

test('refused: a revoked certificate, a 署名用 certificate, a registration without a valid PIN proof, a token without scope touch', async () => {
  const other = await makeCard(w);
  assert.equal((await api('/v1/touch/registrations', await pinProof(other))).status, 201);
  assert.equal((await touch(COUNTER.siteId, other.auth)).status, 200);
  await w.issuer.revoke(new X509Certificate(other.auth).serialNumber, 'lost');
  const revoked = await touch(COUNTER.siteId, other.auth);
  assert.equal(revoked.status, 400);
  assert.equal(revoked.body.code, 'CERT_INVALID');
  assert.equal(revoked.body.detail.validation.result.status, 'revoked');

  const sign = await touch(COUNTER.siteId, await card.signCertificate());
  assert.equal(sign.body.code, 'CERT_NOT_AUTH');

  const p = await pinProof();
  const forged = Buffer.from(p.signature, 'base64');
  forged[7]! ^= 1;
  const bad = await api('/v1/touch/registrations', { ...p, signature: b64(forged) });
  assert.equal(bad.body.code, 'PROOF_BAD_SIGNATURE');
  const replay = await api('/v1/touch/registrations', p);
  assert.equal(replay.body.code, 'CHALLENGE_USED');

  const museum = await w.token('museum', proofOnly);
  assert.equal((await touch(COUNTER.siteId, card.auth, museum)).body.code, 'SCOPE_DENIED');
  const junk = await api('/v1/touch', { site: COUNTER.siteId, certificate: 'AAAA' });
  assert.equal(junk.status, 400);
});
