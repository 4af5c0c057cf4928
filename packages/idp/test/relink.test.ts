/**
 * The re-link after a renewal without an issuer link (POST /v1/ppid/relink): the
 * holder gave the old card's 署名用 certificate with a PIN proof; the new card's PIN
 * proof, its 署名用 certificate signed for, and the old 署名用 certificate (revoked
 * by the renewal) bring the holder's PPIDs to the new card. Refused: a card already
 * linked, an old certificate no holder gave, other 4 info, an auth certificate as
 * the old one, a forged 署名用 signature.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { proofSignedData } from '../src/index.ts';
import { HOLDER, ORIGIN, b64, makeCard, makeWorld } from './world.ts';

type Made = Awaited<ReturnType<typeof makeCard>>;

const w = await makeWorld();
const { secret } = await w.client({ clientId: 'tax-office', sector: 'city-tax' });
const token = await w.token('tax-office', secret);

async function api(url: string, payload: Record<string, unknown>) {
  const r = await w.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${token}`, 'accept-language': 'en' },
    payload,
  });
  return { status: r.statusCode, body: r.json() };
}

/** What the holder's card gives: a PIN proof, and the 署名用 certificate signed for after the password. */
async function cardProof(c: Made) {
  const ch = (await api('/v1/proof/challenges', { origin: ORIGIN })).body.challenge as string;
  const signature = await c.sign(ORIGIN, ch);
  const signCert = await c.signCertificate(); // the 署名用 password verified
  const signSignature = await c.myna.sign('sign', {
    hash: 'sha256',
    data: proofSignedData(ORIGIN, ch),
  });
  return {
    challenge: ch,
    origin: ORIGIN,
    certificate: b64(c.auth),
    signature: b64(signature),
    signCertificate: b64(signCert),
    signSignature: b64(signSignature),
    signCert,
  };
}

const relink = async (c: Made, oldSign: Uint8Array) => {
  const { signCert: _, ...p } = await cardProof(c);
  return api('/v1/ppid/relink', { ...p, oldSignCertificate: b64(oldSign) });
};

const oldCard = await makeCard(w);
const registered = await cardProof(oldCard);
const first = await api('/v1/proof/verify', { ...registered, signCert: undefined });
const ppid = first.body.ppid as string;

test('a renewed card without an issuer link rejoins its holder: the same PPID', async () => {
  assert.equal(first.status, 200, JSON.stringify(first.body));
  // The renewal revoked the old certificates; the old 署名用 one still names the holder.
  await w.issuer.revoke(new X509Certificate(registered.signCert).serialNumber, 'holder-request');
  const newCard = await makeCard(w);
  const before = await api('/v1/ppid', { certificate: b64(newCard.auth) });
  assert.equal(before.body.code, 'HOLDER_NOT_LINKED', 'a stranger before the re-link');

  const r = await relink(newCard, registered.signCert);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.ppid, ppid);
  assert.equal(r.body.relinked, true);
  assert.equal(r.body.identifiedBy, 'pin-signature');
  const after = await api('/v1/ppid', { certificate: b64(newCard.auth) });
  assert.equal(after.body.ppid, ppid);
  const again = await relink(newCard, registered.signCert);
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'RELINK_NOT_NEEDED');
});

test('refused: an old 署名用 certificate no holder gave, other 4 info, an auth certificate, a forged signature', async () => {
  const stranger = await makeCard(w);
  const strangerSign = await stranger.signCertificate();
  const newCard = await makeCard(w);
  const unknown = await relink(newCard, strangerSign);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 'RELINK_OLD_UNKNOWN');

  const someoneElse = await makeCard(w, { holder: { ...HOLDER, name: '番号 次郎', sex: '1' } });
  const mismatch = await relink(someoneElse, registered.signCert);
  assert.equal(mismatch.status, 403);
  assert.equal(mismatch.body.code, 'RELINK_INFO_MISMATCH');
  assert.equal(
    (await api('/v1/ppid', { certificate: b64(someoneElse.auth) })).body.code,
    'HOLDER_NOT_LINKED',
    'nothing linked by a refusal',
  );

  assert.equal((await relink(newCard, oldCard.auth)).body.code, 'CERT_NOT_SIGN');

  const { signCert: _, ...p } = await cardProof(newCard);
  const forged = Buffer.from(p.signSignature, 'base64');
  forged[5]! ^= 1;
  const bad = await api('/v1/ppid/relink', {
    ...p,
    signSignature: b64(forged),
    oldSignCertificate: b64(registered.signCert),
  });
  assert.equal(bad.body.code, 'PROOF_BAD_SIGNATURE');

  const { signCert: __, signSignature: ___, ...half } = await cardProof(newCard);
  assert.equal((await api('/v1/proof/verify', half)).body.code, 'SIGN_CERT_REQUIRED');
});
