/**
 * 券面事項確認AP internal authentication: after PIN B the card signs a host
 * challenge with its card-authentication key; the key's certificate (EF 0003)
 * is signed by the card issuer, whose own certificate is the text AP's EF 0004.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createPublicKey, verify } from 'node:crypto';
import { bytesEqual, parseTlv } from '@myna-ap/apdu';
import { VISUAL_EF } from '@myna-ap/profile';
import { Card, keyId, readEf } from '@myna-ap/card';
import { AIDS, cardIssuer, fresh, issued, readAll, selectAid, selectEf, tx } from './fixture.ts';

const CHALLENGE = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

function internalAuthenticate(card: Card, challenge = CHALLENGE, p2 = 0x90, le = true) {
  return tx(
    card,
    Uint8Array.of(0x00, 0x88, 0x00, p2, challenge.length, ...challenge, ...(le ? [0x00] : [])),
  );
}

function verifyPinB(card: Card, pinB: string): number {
  const p = new TextEncoder().encode(pinB);
  return tx(card, Uint8Array.of(0x00, 0x20, 0x00, 0x80 | VISUAL_EF.pinB, p.length, ...p)).sw;
}

/** The CV certificate's parts: `7F 21 { 7F 4E { issuer ID ‖ subject ID ‖ 82 e ‖ 81 n }, 5F 37 sig }`. */
function cv(bytes: Uint8Array) {
  const root = parseTlv(bytes, { children: 'try' });
  const body = root.children!.find((c) => c.tag === 0x7f4e)!;
  const sig = root.children!.find((c) => c.tag === 0x5f37)!.value;
  const v = body.value;
  const e = parseTlv(v.subarray(32), { strict: false });
  const n = parseTlv(v.subarray(32 + e.end), { strict: false });
  const key = createPublicKey({
    key: {
      kty: 'RSA',
      e: Buffer.from(e.value).toString('base64url'),
      n: Buffer.from(n.value).toString('base64url'),
    },
    format: 'jwk',
  });
  return {
    issuerId: v.subarray(0, 16),
    subjectId: v.subarray(16, 32),
    key,
    signed: bytes.subarray(body.offset, body.end),
    sig,
  };
}

test('after PIN B the card signs the challenge with the key its certificate names', async () => {
  const { secrets } = await issued();
  const card = await fresh();
  assert.equal(selectAid(card, AIDS.visual), 0x9000);
  assert.equal(internalAuthenticate(card).sw, 0x6982, 'no PIN yet');
  assert.equal(verifyPinB(card, secrets.pinB), 0x9000);
  const r = internalAuthenticate(card);
  assert.equal(r.sw, 0x9000);
  assert.equal(r.data.length, 256);
  // the certificate, free to read
  assert.equal(selectEf(card, VISUAL_EF.cardAuthCert), 0x9000);
  const certBytes = readAll(card).data;
  const c = cv(certBytes);
  assert.ok(bytesEqual(c.issuerId, cardIssuer.id), 'issued by the card issuer');
  assert.ok(!bytesEqual(c.subjectId, cardIssuer.id), 'for a key of the card');
  assert.ok(bytesEqual(c.subjectId, keyId(c.key)));
  assert.ok(verify('sha256', c.signed, cardIssuer.publicKey, c.sig), 'issuer signature');
  const good = verify(
    'sha256',
    CHALLENGE,
    { key: c.key, padding: constants.RSA_PKCS1_PADDING },
    r.data,
  );
  assert.ok(good, 'the answer verifies with the certified key');
  // a different challenge, a different answer: no replay of an old one
  const other = internalAuthenticate(card, new Uint8Array(16).fill(7));
  assert.notDeepEqual(other.data, r.data);
});

test('only PIN B opens it; the key is never read; bad forms', async () => {
  const { secrets, image } = await issued();
  const card = await fresh();
  selectAid(card, AIDS.visual);
  const pinA = new TextEncoder().encode(secrets.myNumber);
  assert.equal(tx(card, Uint8Array.of(0x00, 0x20, 0x00, 0x93, pinA.length, ...pinA)).sw, 0x9000);
  assert.equal(internalAuthenticate(card).sw, 0x6982, 'PIN A is not the birth-date PIN');
  verifyPinB(card, secrets.pinB);
  assert.equal(selectEf(card, VISUAL_EF.cardAuthKey), 0x9000);
  assert.equal(tx(card, '00B0000000').sw, 0x6981, 'a key EF is not read');
  assert.equal(internalAuthenticate(card, CHALLENGE, 0x80).sw, 0x9000, 'P2 80: the current key EF');
  assert.equal(internalAuthenticate(card, new Uint8Array(7)).sw, 0x6a80, 'challenge too short');
  assert.equal(internalAuthenticate(card, new Uint8Array(65)).sw, 0x6a80, 'too long');
  assert.equal(tx(card, '0088009000').sw, 0x6700, 'no challenge');
  assert.equal(
    tx(card, Uint8Array.of(0x00, 0x88, 0x00, 0x90, 8, ...CHALLENGE.subarray(0, 8), 0x80)).sw,
    0x6700,
    'Le below 256',
  );
  assert.equal(
    tx(card, Uint8Array.of(0x00, 0x88, 0x00, 0x90, 8, ...CHALLENGE.subarray(0, 8))).sw,
    0x6700,
    'no Le: a case 3 command gets no signature back',
  );
  assert.equal(internalAuthenticate(card, CHALLENGE, 0x92).sw, 0x6981, 'a PIN is not a key');
  assert.equal(internalAuthenticate(card, CHALLENGE, 0x9e).sw, 0x6a88, 'no such key');
  assert.equal(
    tx(card, Uint8Array.of(0x00, 0x88, 0x01, 0x90, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0)).sw,
    0x6a86,
  );
  // the key stays on the card: no answer carries its private part
  const keyDer = readEf(image, 'visual', VISUAL_EF.cardAuthKey)!;
  assert.ok(
    !Buffer.from(internalAuthenticate(card).data).includes(Buffer.from(keyDer.subarray(-32))),
  );
});

test('a card file made before internal authentication still loads; the EFs are absent there', async () => {
  const { image } = await issued();
  const { '0003': _c, '0010': _k, ...files } = image.visual.files;
  const old = Card.fromImage({ ...image, visual: { ...image.visual, files } });
  selectAid(old, AIDS.visual);
  assert.equal(selectEf(old, VISUAL_EF.cardAuthCert), 0x6a82);
  assert.equal(internalAuthenticate(old).sw, 0x6a88);
  assert.equal(selectEf(old, VISUAL_EF.entries), 0x9000, 'the card face is still there');
});
