import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { InProcessChannel } from '@myna-ap/transport';
import { VISUAL_EF } from '@myna-ap/profile';
import { Card, DEFAULT_FACE_JP2, keyId, newCardIssuer, issuerCvCertificateEf } from '@myna-ap/card';
import {
  AccessError,
  CardSession,
  authenticateCard,
  issuerKeyFromCertificate,
  parseCardFace,
  parseCvCertificate,
  pinBOf,
  readCardFace,
} from '../src/index.ts';
import { HOLDER, cardIssuer, freshCard, issued } from './fixture.ts';

const code = (e: unknown) => (e instanceof AccessError ? e.code : String(e));

async function pinB(): Promise<string> {
  const { image, secrets } = await issued();
  const expiry = Buffer.from(image.common.files['0003']!, 'hex').toString('latin1');
  return pinBOf(HOLDER.birthDate, expiry, secrets.securityCode);
}

test('pinBOf: birth YYMMDD, expiry year, security code', async () => {
  assert.equal(pinBOf('1985-04-01', '2035-04-01', '0042'), '85040120350042');
  assert.equal(pinBOf('1985-04-01', '20350401', '0042'), '85040120350042');
  assert.equal(await pinB(), (await issued()).secrets.pinB);
  assert.throws(
    () => pinBOf('1985/04/01', '2035', '0042'),
    (e) => code(e) === 'PIN_FORMAT',
  );
});

test('a genuine card signs a fresh challenge; the issuer certificate vouches for its key', async () => {
  const card = await freshCard();
  const session = new CardSession(new InProcessChannel(card));
  const published = issuerCvCertificateEf(cardIssuer);
  const a = await authenticateCard(session, { pinB: await pinB(), issuer: published });
  assert.equal(a.signature.length, 256);
  assert.equal(a.challenge.length, 16);
  const cert = parseCvCertificate(Buffer.from(card.image.visual.files['0003']!, 'hex'));
  assert.equal(a.cardKeyId, Buffer.from(keyId(cert.publicKey)).toString('hex').toUpperCase());
  // with the issuer's public key instead of its certificate, and another challenge
  const b = await authenticateCard(session, {
    pinB: await pinB(),
    issuer: cardIssuer.publicKey,
    challenge: new Uint8Array(8).fill(1),
  });
  assert.notDeepEqual(b.signature, a.signature);
});

test('a copy of the readable data with another key is told apart', async () => {
  const { image } = await issued();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
  const copy = Card.fromImage({
    ...image,
    visual: {
      ...image.visual,
      files: { ...image.visual.files, '0010': Buffer.from(other).toString('hex') },
    },
  });
  const session = new CardSession(new InProcessChannel(copy));
  await assert.rejects(
    authenticateCard(session, { pinB: await pinB(), issuer: cardIssuer.publicKey }),
    (e) => code(e) === 'CARD_NOT_GENUINE',
  );
});

test("another issuer's certificate, a wrong PIN B, bad certificates", async () => {
  const card = await freshCard();
  const session = new CardSession(new InProcessChannel(card));
  const stranger = issuerCvCertificateEf(newCardIssuer());
  await assert.rejects(
    authenticateCard(session, { pinB: await pinB(), issuer: stranger }),
    (e) => code(e) === 'CARD_NOT_GENUINE',
  );
  await assert.rejects(
    authenticateCard(session, { pinB: '00000000000000', issuer: cardIssuer.publicKey }),
    (e) => e instanceof AccessError && e.code === 'PIN_WRONG' && e.triesLeft === 9,
  );
  await assert.rejects(
    authenticateCard(session, { pinB: '123', issuer: cardIssuer.publicKey }),
    (e) => code(e) === 'PIN_FORMAT',
  );
  assert.throws(
    () => parseCvCertificate(Uint8Array.of(0x7f, 0x21, 0x00)),
    (e) => code(e) === 'BAD_DATA',
  );
  // the card's own certificate is not self-signed: not an issuer certificate
  const own = Buffer.from(card.image.visual.files['0003']!, 'hex');
  assert.throws(
    () => issuerKeyFromCertificate(own),
    (e) => code(e) === 'BAD_DATA',
  );
  assert.equal(VISUAL_EF.cardAuthCert, 0x0003);
});

test('the card face after PIN B: birth date, sex, expiry, photo and the printed name and address', async () => {
  const card = await freshCard();
  const session = new CardSession(new InProcessChannel(card));
  await assert.rejects(readCardFace(session), (e) => code(e) === 'PIN_REQUIRED');
  await authenticateCard(session, {
    pinB: await pinB(),
    issuer: issuerCvCertificateEf(cardIssuer),
  });
  const face = await readCardFace(session);
  const expiry = Buffer.from((await issued()).image.common.files['0003']!, 'hex').toString();
  assert.equal(face.birthDate, HOLDER.birthDate);
  assert.equal(face.sex, HOLDER.sex);
  assert.equal(face.expiry.replaceAll('-', ''), expiry);
  assert.deepEqual(face.photo, DEFAULT_FACE_JP2);
  const png = [0x89, 0x50, 0x4e, 0x47];
  assert.deepEqual([...face.nameImage.subarray(0, 4)], png);
  assert.deepEqual([...face.addressImage.subarray(0, 4)], png);
  assert.throws(
    () => parseCardFace(Uint8Array.of(0xff, 0x20, 0x00)),
    (e) => code(e) === 'BAD_DATA',
  );
  assert.throws(
    () => parseCardFace(Uint8Array.of(0x30, 0x00)),
    (e) => code(e) === 'BAD_DATA',
  );
});
