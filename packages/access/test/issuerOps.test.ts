import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, randomBytes } from 'node:crypto';
import {
  EXTENDED_SD_AID,
  TEST_AREA_MASTER_KEYS,
  TEST_ISSUER_MASTER_KEYS,
  command,
  encodeCommand,
  openAreaSession,
  selectAidCommand,
} from '@myna-ap/apdu';
import { SD_AUTH_TRIES } from '@myna-ap/profile';
import { InProcessChannel } from '@myna-ap/transport';
import {
  Card,
  DEFAULT_FACE_JP2,
  basicInfoEf,
  myNumberEf,
  textSignatureEf,
  visualEntriesEf,
} from '@myna-ap/card';
import {
  AccessError,
  MynaClient,
  openIssuerSession,
  replaceSignCertificate,
  resetHolderPin,
  rewriteCardFace,
  unblockAreaKeySet,
  type CardFaceContents,
} from '../src/index.ts';
import {
  HOLDER,
  PIN,
  SIGN_PASSWORD,
  cardIssuer,
  cardKeys,
  cardPki,
  freshCard,
  issued,
} from './fixture.ts';

const code = (e: unknown) => (e instanceof AccessError ? e.code : String(e));
const MOVED = { ...HOLDER, name: '番号 太郎', address: '北海道札幌市中央区北1条西2丁目' };

async function setup() {
  const card = await freshCard();
  const channel = new InProcessChannel(card);
  return { card, channel, client: new MynaClient(channel) };
}

/** The 券面 contents after the move, as the card issuer builds and signs them. */
async function movedFace(): Promise<CardFaceContents> {
  const { image, secrets } = await issued();
  const info = basicInfoEf(MOVED);
  const expiry = Buffer.from(image.common.files['0003']!, 'hex').toString('latin1');
  return {
    textBasicInfo: info,
    textSignature: textSignatureEf(myNumberEf(secrets.myNumber), info, cardIssuer),
    visualEntries: visualEntriesEf(
      {
        ...MOVED,
        expiry: `${expiry.slice(0, 4)}-${expiry.slice(4, 6)}-${expiry.slice(6)}`,
        securityCode: secrets.securityCode,
        face: DEFAULT_FACE_JP2,
      },
      cardIssuer,
    ),
  };
}

test('PIN reset at the counter: a locked auth PIN, the new PIN typed by the holder', async () => {
  const { client } = await setup();
  for (let i = 0; i < 3; i++) await client.verifyPin('auth', '0000').catch(() => undefined);
  assert.equal(await client.pinTriesLeft('auth'), 0);
  const s = await openIssuerSession(client.session, TEST_ISSUER_MASTER_KEYS);
  assert.equal(s.usesTestKeys, true, 'the TEST keys are said');
  await resetHolderPin(s, 'auth', '4826');
  assert.equal(await client.pinTriesLeft('auth'), 3);
  await client.verifyPin('auth', '4826');
  // each holder PIN kind
  const s2 = await openIssuerSession(client.session, TEST_ISSUER_MASTER_KEYS);
  await resetHolderPin(s2, 'sign', 'RESET2026');
  await resetHolderPin(s2, 'text', '1111');
  await resetHolderPin(s2, 'juki', '2222');
  await client.verifyPin('sign', 'RESET2026');
  await client.verifyPin('text', '1111');
});

test('PIN reset: a PIN against the rules, wrong keys, an old card: clear errors, nothing changed', async () => {
  const { card, client } = await setup();
  const gen = card.generation;
  const s = await openIssuerSession(client.session, TEST_ISSUER_MASTER_KEYS);
  await assert.rejects(resetHolderPin(s, 'auth', '12345'), (e) => code(e) === 'PIN_FORMAT');
  await assert.rejects(resetHolderPin(s, 'sign', 'password'), (e) => code(e) === 'PIN_FORMAT');
  const other = {
    enc: new Uint8Array(randomBytes(16)),
    mac: new Uint8Array(randomBytes(16)),
    dek: new Uint8Array(randomBytes(16)),
  };
  await assert.rejects(openIssuerSession(client.session, other), (e) => {
    assert.equal(code(e), 'ISSUER_KEYS_REJECTED');
    return true;
  });
  assert.equal(card.generation, gen, 'the host stopped at the card cryptogram: nothing counted');
  const { issuerDomain: _, ...image } = card.image;
  const old = Card.fromImage(image);
  await assert.rejects(
    openIssuerSession(new MynaClient(new InProcessChannel(old)).session, TEST_ISSUER_MASTER_KEYS),
    (e) => code(e) === 'NO_ISSUER_DOMAIN',
  );
});

test('記載事項変更: the 4 info rewritten on the text and visual APs', async () => {
  const { client } = await setup();
  const s = await openIssuerSession(client.session, TEST_ISSUER_MASTER_KEYS);
  await rewriteCardFace(s, await movedFace());
  const info = await client.readBasicInfo(PIN);
  assert.equal(info.address, MOVED.address);
  assert.equal(info.name, MOVED.name);
});

test('a 券面 rewrite whose parts disagree is refused whole', async () => {
  const { card, client } = await setup();
  const before = JSON.stringify(card.image);
  const face = await movedFace();
  const s = await openIssuerSession(client.session, TEST_ISSUER_MASTER_KEYS);
  // hashes of the old 4 info with the new 4 info
  const stale = { ...face, textSignature: Buffer.from(card.image.text.files['0003']!, 'hex') };
  await assert.rejects(rewriteCardFace(s, stale), (e) => code(e) === 'ISSUER_UPDATE_REFUSED');
  assert.equal(JSON.stringify(card.image), before);
});

async function issueSign(publicKey: ReturnType<typeof createPublicKey>) {
  const pki = await cardPki();
  const { auth } = await cardKeys();
  return (
    await pki.issueCardCertificates({
      authPublicKey: createPublicKey(auth),
      signPublicKey: publicKey,
      holder: MOVED,
    })
  ).sign;
}

test('記載事項変更: new sign key made on the card, its certificate, and the new 券面 in one commit', async () => {
  const { card, client } = await setup();
  const oldAuth = card.image.jpki.files['000A'];
  const s = await openIssuerSession(client.session, TEST_ISSUER_MASTER_KEYS);
  let certified: Uint8Array | undefined;
  await replaceSignCertificate(
    s,
    async (pub) => {
      certified = await issueSign(pub);
      return certified;
    },
    await movedFace(),
  );
  await client.verifyPin('sign', SIGN_PASSWORD);
  const onCard = await client.readCertificate('sign');
  assert.deepEqual(onCard, certified);
  const sig = await client.sign('sign', {
    hash: 'sha256',
    data: new TextEncoder().encode('申請書'),
  });
  const { createVerify } = await import('node:crypto');
  const v = createVerify('sha256').update('申請書');
  assert.ok(
    v.verify(new X509Certificate(Buffer.from(onCard)).publicKey, sig),
    'new key, new certificate',
  );
  assert.equal(card.image.jpki.files['000A'], oldAuth, 'the auth certificate stays');
  assert.equal((await client.readBasicInfo(PIN)).address, MOVED.address);
});

test('a certificate for another key is refused: the old key and certificate stay', async () => {
  const { card, client } = await setup();
  const before = JSON.stringify(card.image.jpki);
  const s = await openIssuerSession(client.session, TEST_ISSUER_MASTER_KEYS);
  const { sign } = await cardKeys();
  await assert.rejects(
    replaceSignCertificate(s, () => issueSign(createPublicKey(sign))),
    (e) => code(e) === 'ISSUER_UPDATE_REFUSED',
  );
  assert.equal(JSON.stringify(card.image.jpki), before);
});

test("an area's key set blocked by guesses is unblocked by the issuer", async () => {
  const { card, channel, client } = await setup();
  const t = (b: Uint8Array) => channel.transmit(b);
  for (let i = 0; i < SD_AUTH_TRIES; i++) {
    await t(encodeCommand(selectAidCommand(EXTENDED_SD_AID)));
    await t(encodeCommand(command({ cla: 0x80, ins: 0x50, data: new Uint8Array(8), ne: 256 })));
    await t(encodeCommand(command({ cla: 0x84, ins: 0x82, p1: 0x33, data: new Uint8Array(16) })));
  }
  await assert.rejects(
    openAreaSession(t, 'extended', TEST_AREA_MASTER_KEYS),
    (e: { sw?: number }) => {
      return e.sw === 0x6983;
    },
  );
  const s = await openIssuerSession(client.session, TEST_ISSUER_MASTER_KEYS);
  await unblockAreaKeySet(s, 'extended');
  assert.equal(card.image.freeAreas.extended.failedAuthentications, undefined);
  await openAreaSession(t, 'extended', TEST_AREA_MASTER_KEYS);
});
