/**
 * The card issuer's SD: PINs set anew (ロック解除), the 券面 EFs rewritten, the
 * sign key and certificate replaced — only inside its channel with the issuer
 * keys and C-DECRYPTION; each update all or nothing; bad content refused with
 * nothing changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  X509Certificate,
  constants,
  createPublicKey,
  publicDecrypt,
  type KeyObject,
} from 'node:crypto';
import {
  EXTENDED_SD_AID,
  ISSUER_SD_AID,
  command,
  fromHex,
  generateKeyPairCommand,
  parseTlv,
  selectAidCommand,
  sendPlain,
  unblockSecurityDomainCommand,
  type IssuerItem,
} from '@myna-ap/apdu';
import { AID, JPKI_EF, SD_AUTH_TRIES, TEXT_EF, VISUAL_EF } from '@myna-ap/profile';
import { Card, basicInfoEf, parseCardImageJson, readEf, serializeCardImage } from '@myna-ap/card';
import {
  HOLDER,
  fresh,
  selectAid,
  selectEf,
  testKeys,
  testPki,
  tx,
  verify as verifyPin,
} from './fixture.ts';
import { MOVED, fixedState, movedFace, openIssuer, pinItem, txOf, update } from './issuerKit.ts';

function lockAuthPin(card: Card): void {
  assert.equal(selectAid(card, 'D392F000260100000001'), 0x9000);
  selectEf(card, JPKI_EF.authPin);
  for (let i = 0; i < 3; i++) verifyPin(card, '0000');
  assert.equal(verifyPin(card, '1234'), 0x6984, 'locked');
}

test('PIN reset: a locked auth PIN gets the PIN the holder typed and every try back', async () => {
  const card = await fresh();
  lockAuthPin(card);
  const s = await openIssuer(txOf(card));
  assert.equal(await update(s, [pinItem(AID.jpki, JPKI_EF.authPin, '5678')]), 0x9000);
  assert.equal(card.image.jpki.pins['0018']!.triesLeft, 3);
  selectAid(card, 'D392F000260100000001');
  selectEf(card, JPKI_EF.authPin);
  assert.equal(verifyPin(card, '1234'), 0x63c2, 'the old PIN is gone');
  assert.equal(verifyPin(card, '5678'), 0x9000);
});

test('PIN reset of each holder PIN; 照合番号 and unknown objects are refused', async () => {
  const card = await fresh();
  const s = await openIssuer(txOf(card));
  const items = [
    pinItem(AID.jpki, JPKI_EF.signPin, 'NEWPASS9'),
    pinItem(AID.text, TEXT_EF.pin, '2468'),
    pinItem(AID.juki, 0x0011, '1357'),
  ];
  assert.equal(await update(s, items), 0x9000);
  selectAid(card, 'D3921000310001010401');
  selectEf(card, 0x0011);
  assert.equal(verifyPin(card, '1357'), 0x9000);
  const before = fixedState(card);
  for (const bad of [
    pinItem(AID.text, TEXT_EF.pinA, '123456789018'), // 照合番号A: derived, not the holder's
    pinItem(AID.visual, VISUAL_EF.pinB, '90010120364321'),
    pinItem(AID.common, 0x0011, '1234'),
    pinItem(fromHex('D3921000310001019999'), 0x0011, '1234'),
  ]) {
    assert.equal(await update(await openIssuer(txOf(card)), [bad]), 0x6a88);
  }
  assert.equal(fixedState(card), before);
});

test('PIN reset: a PIN against the rules is refused, nothing changed', async () => {
  const card = await fresh();
  lockAuthPin(card);
  const before = fixedState(card);
  const gen = card.generation;
  for (const [fid, pin] of [
    [JPKI_EF.authPin, '123'],
    [JPKI_EF.authPin, '12345'],
    [JPKI_EF.authPin, '12a4'],
    [JPKI_EF.signPin, 'abc123'],
    [JPKI_EF.signPin, 'ABCDEF'],
    [JPKI_EF.signPin, '123456'],
    [JPKI_EF.signPin, 'A1'],
    [JPKI_EF.signPin, 'ABCDEFGHIJ1234567'],
  ] as const) {
    const s = await openIssuer(txOf(card));
    assert.equal(await update(s, [pinItem(AID.jpki, fid, pin)]), 0x6a80, pin);
  }
  // one bad item spoils the whole update
  const s = await openIssuer(txOf(card));
  assert.equal(
    await update(s, [
      pinItem(AID.jpki, JPKI_EF.authPin, '5678'),
      pinItem(AID.jpki, JPKI_EF.signPin, 'x'),
    ]),
    0x6a80,
  );
  assert.equal(fixedState(card), before);
  assert.equal(card.generation, gen);
});

test('issuer commands need the issuer channel with C-DECRYPTION', async () => {
  const card = await fresh();
  lockAuthPin(card);
  const before = fixedState(card);
  const t = txOf(card);
  // plain, in the issuer SD
  assert.equal((await sendPlain(t, selectAidCommand(ISSUER_SD_AID))).sw, 0x9000);
  const store = command({ cla: 0x80, ins: 0xe2, p1: 0x80, p2: 0x00, data: fromHex('e1') });
  assert.equal((await sendPlain(t, store)).sw, 0x6982);
  assert.equal((await sendPlain(t, generateKeyPairCommand())).sw, 0x6982);
  // C-MAC only, or C-MAC + R-MAC: PINs would travel in clear
  for (const level of [0x01, 0x11]) {
    const s = await openIssuer(t, { level });
    assert.equal(await update(s, [pinItem(AID.jpki, JPKI_EF.authPin, '5678')]), 0x6982);
  }
  assert.equal(fixedState(card), before);
});

test('key set: 10 failed EXTERNAL AUTHENTICATEs block it (69 83), kept across reload; the issuer unblocks an area', async () => {
  const card = await fresh();
  const t = txOf(card);
  const failOnce = async (sd: Uint8Array) => {
    assert.equal((await sendPlain(t, selectAidCommand(sd))).sw, 0x9000);
    const iu = await sendPlain(
      t,
      command({ cla: 0x80, ins: 0x50, data: new Uint8Array(8), ne: 256 }),
    );
    if (iu.sw !== 0x9000) return iu.sw;
    // a guessed host cryptogram and MAC
    return (
      await sendPlain(t, command({ cla: 0x84, ins: 0x82, p1: 0x33, data: new Uint8Array(16) }))
    ).sw;
  };
  for (let i = 0; i < SD_AUTH_TRIES; i++) {
    const sw = await failOnce(EXTENDED_SD_AID);
    assert.ok(sw === 0x6988 || sw === 0x6300, sw.toString(16));
  }
  assert.equal(card.image.freeAreas.extended.failedAuthentications, SD_AUTH_TRIES);
  assert.equal(await failOnce(EXTENDED_SD_AID), 0x6983, 'blocked');
  // blocked for the right keys too, and after a save and load
  const again = Card.fromImage(parseCardImageJson(serializeCardImage(card.image)));
  const { openArea } = await import('./freeAreaKit.ts');
  await assert.rejects(openArea(txOf(again), 'extended'), (e: { sw?: number }) => e.sw === 0x6983);
  // the local area is untouched
  await openArea(txOf(again), 'local');
  // the platform unblocks it through the issuer SD
  const s = await openIssuer(txOf(again));
  const r = await s.send(unblockSecurityDomainCommand(EXTENDED_SD_AID));
  assert.equal(r.sw, 0x9000);
  assert.equal(again.image.freeAreas.extended.failedAuthentications, undefined);
  await openArea(txOf(again), 'extended');
  // unknown SD
  const s2 = await openIssuer(txOf(again));
  assert.equal((await s2.send(unblockSecurityDomainCommand(ISSUER_SD_AID))).sw, 0x6a88);
});

test('a success sets the count back; the issuer key set blocks too', async () => {
  const card = await fresh();
  const t = txOf(card);
  const fail = async () => {
    await sendPlain(t, selectAidCommand(ISSUER_SD_AID));
    const iu = await sendPlain(
      t,
      command({ cla: 0x80, ins: 0x50, data: new Uint8Array(8), ne: 256 }),
    );
    if (iu.sw !== 0x9000) return iu.sw;
    return (
      await sendPlain(t, command({ cla: 0x84, ins: 0x82, p1: 0x33, data: new Uint8Array(16) }))
    ).sw;
  };
  for (let i = 0; i < SD_AUTH_TRIES - 1; i++) await fail();
  assert.equal(card.image.issuerDomain?.failedAuthentications, SD_AUTH_TRIES - 1);
  await openIssuer(t);
  assert.equal(card.image.issuerDomain?.failedAuthentications, undefined, 'back to 0');
  for (let i = 0; i < SD_AUTH_TRIES; i++) await fail();
  await assert.rejects(openIssuer(t), (e: { sw?: number }) => e.sw === 0x6983);
});

test('card face rewrite: 4 info, hashes and the visual face in one commit', async () => {
  const card = await fresh();
  const s = await openIssuer(txOf(card));
  assert.equal(await update(s, movedFace(), 200), 0x9000);
  selectAid(card, 'D3921000310001010408');
  selectEf(card, TEXT_EF.pin);
  assert.equal(verifyPin(card, '1234'), 0x9000);
  assert.deepEqual(readEf(card.image, 'text', TEXT_EF.basicInfo), basicInfoEf(MOVED));
  // a 0003 that does not hash the new 0002 is refused: the card stays as it was
  const before = fixedState(card);
  const stale = movedFace()
    .slice(0, 1)
    .map((i) => (i.kind === 'ef' ? { ...i, content: basicInfoEf(HOLDER) } : i));
  assert.equal(await update(await openIssuer(txOf(card)), stale), 0x6a80);
  assert.equal(fixedState(card), before);
  // wrong shapes
  for (const content of [
    new Uint8Array(0),
    fromHex('ff2001'),
    fromHex('df2200'),
    fromHex('ff2000ff'),
  ]) {
    const item: IssuerItem = { kind: 'ef', aid: AID.visual, fid: VISUAL_EF.entries, content };
    assert.equal(await update(await openIssuer(txOf(card)), [item]), 0x6a80);
  }
  // the My Number, the auth certificate and keys are not the issuer's to rewrite here
  for (const [aid, fid] of [
    [AID.text, TEXT_EF.myNumber],
    [AID.jpki, JPKI_EF.authCert],
    [AID.jpki, JPKI_EF.authKey],
    [AID.common, 0x0003],
  ] as const) {
    const item: IssuerItem = { kind: 'ef', aid, fid, content: fromHex('3000') };
    assert.equal(await update(await openIssuer(txOf(card)), [item]), 0x6a88);
  }
  assert.equal(fixedState(card), before);
});

async function newSignCert(publicKey: KeyObject): Promise<Uint8Array> {
  const pki = await testPki();
  const { auth } = await testKeys();
  const certs = await pki.issueCardCertificates({
    authPublicKey: createPublicKey(auth),
    signPublicKey: publicKey,
    holder: MOVED,
  });
  return certs.sign;
}

function publicKeyOf(answer: Uint8Array): KeyObject {
  const node = parseTlv(answer);
  const get = (t: number) => node.children!.find((c) => c.tag === t)!.value;
  return createPublicKey({
    key: {
      kty: 'RSA',
      n: Buffer.from(get(0x81)).toString('base64url'),
      e: Buffer.from(get(0x82)).toString('base64url'),
    },
    format: 'jwk',
  });
}

test('sign certificate replacement: the key made on the card, the certificate for it, one commit', async () => {
  const card = await fresh();
  const oldKey = card.image.jpki.files['001A'];
  const s = await openIssuer(txOf(card));
  const g = await s.send(generateKeyPairCommand());
  assert.equal(g.sw, 0x9000);
  const pub = publicKeyOf(g.data);
  await newSignCert(pub); // issued, then not used: the wrong certificate goes in
  // the old certificate does not fit the new key: refused, and the staged key goes
  const oldCert = readEf(card.image, 'jpki', JPKI_EF.signCert)!;
  const keyItem: IssuerItem = { kind: 'key', aid: AID.jpki, fid: JPKI_EF.signKey };
  assert.equal(
    await update(s, [
      keyItem,
      { kind: 'ef', aid: AID.jpki, fid: JPKI_EF.signCert, content: oldCert },
    ]),
    0x6a80,
  );
  assert.equal(card.image.jpki.files['001A'], oldKey);
  // a key item without a generated key in this session
  const s2 = await openIssuer(txOf(card));
  assert.equal(await update(s2, [keyItem]), 0x6985);
  // the whole flow
  const s3 = await openIssuer(txOf(card));
  const pub3 = publicKeyOf((await s3.send(generateKeyPairCommand())).data);
  const cert3 = await newSignCert(pub3);
  assert.equal(
    await update(s3, [
      keyItem,
      { kind: 'ef', aid: AID.jpki, fid: JPKI_EF.signCert, content: cert3 },
      ...movedFace(),
    ]),
    0x9000,
  );
  assert.notEqual(card.image.jpki.files['001A'], oldKey);
  assert.deepEqual(readEf(card.image, 'jpki', JPKI_EF.signCert), cert3);
  // the card signs with the new key, and the new certificate verifies it
  selectAid(card, 'D392F000260100000001');
  selectEf(card, JPKI_EF.signPin);
  assert.equal(verifyPin(card, 'ABC123'), 0x9000);
  selectEf(card, JPKI_EF.signKey);
  const di = fromHex('3031300d060960864801650304020105000420' + '11'.repeat(32));
  const sig = tx(card, Uint8Array.of(0x80, 0x2a, 0x00, 0x80, di.length, ...di, 0x00));
  assert.equal(sig.sw, 0x9000);
  const x = new X509Certificate(Buffer.from(cert3));
  const recovered = publicDecrypt(
    { key: x.publicKey, padding: constants.RSA_PKCS1_PADDING },
    sig.data,
  );
  assert.deepEqual(new Uint8Array(recovered), di);
});

test('GENERATE ASYMMETRIC KEY PAIR needs extended Le; no card AP, fixed AP or area SD takes issuer commands', async () => {
  const card = await fresh();
  lockAuthPin(card);
  const before = fixedState(card);
  const s = await openIssuer(txOf(card));
  assert.equal((await s.send(command({ ins: 0x46, ne: 256 }))).sw, 0x6700);
  const t = txOf(card);
  const stream = fromHex('e111' + '4f0ad392f000260100000001' + '80020018' + '8604' + '35363738');
  const probes = [
    command({ cla: 0x80, ins: 0xe2, p1: 0x80, p2: 0x00, data: stream }),
    command({ ins: 0x2c, p1: 0x02, p2: 0x98, data: fromHex('35363738') }),
    command({ ins: 0x2c, p1: 0x03, p2: 0x98 }),
    command({ ins: 0x46, ne: 256 }),
    command({ cla: 0x80, ins: 0xf0, p1: 0x40, p2: 0x07, data: EXTENDED_SD_AID }),
  ];
  for (const aid of Object.values<Uint8Array>(AID)) {
    assert.equal((await sendPlain(t, selectAidCommand(aid))).sw, 0x9000);
    for (const p of probes) assert.notEqual((await sendPlain(t, p)).sw, 0x9000);
  }
  // inside an area SD's channel (the loading system's keys) the stream is no install
  const { openArea } = await import('./freeAreaKit.ts');
  const area = await openArea(t, 'local');
  for (const p of probes) assert.notEqual((await area.send(p)).sw, 0x9000);
  assert.equal(fixedState(card), before);
});
