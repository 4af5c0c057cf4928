/**
 * The application firewall on a fully issued card: card APs live beside the
 * JPKI, 券面 and 住基 APs but can reach none of their data, and the free areas'
 * keys come from the card serial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AREA_CODE,
  TEST_AREA_MASTER_KEYS,
  command,
  diversifyScp03Keys,
  fromHex,
  keyDiversificationData,
  readCardAp,
  selectAidCommand,
  sendPlain,
  toHex,
} from '@myna-ap/apdu';
import { Card, freeAreaUsage, parseCardImageJson, readEf, serializeCardImage } from '@myna-ap/card';
import { AID, COMMON_EF, JPKI_EF, TEXT_EF } from '@myna-ap/profile';
import { fresh, issued } from './fixture.ts';
import { KEYS_A, PIN, install, openArea, specA, specC, tx } from './freeAreaKit.ts';

test('an issued card has both areas, keys diversified from its serial', async () => {
  const { image } = await issued();
  const serial = readEf(image, 'common', COMMON_EF.serial)!;
  const kdd = keyDiversificationData(serial);
  for (const area of ['local', 'extended'] as const) {
    const a = image.freeAreas[area];
    assert.equal(a.kdd, toHex(kdd));
    assert.equal(
      a.keys.enc,
      toHex(diversifyScp03Keys(TEST_AREA_MASTER_KEYS[area], kdd, AREA_CODE[area]).enc),
    );
    assert.equal(a.cardAps.length, 0);
  }
});

test('card APs cannot reach JPKI, 券面 or 住基 data, nor take their AIDs', async () => {
  const card = await fresh();
  const t = tx(card);
  const sd = await openArea(t, 'extended');
  assert.equal(await install(sd, specC(1)), 0x9000);
  assert.equal(await install(sd, specA(2)), 0x9000);
  for (const fixed of Object.values(AID)) {
    assert.equal(await install(sd, { ...specC(3), aid: fixed }), 0x6a89, toHex(fixed));
  }
  const { image } = await issued();
  const secrets = [
    readEf(image, 'jpki', JPKI_EF.authCert)!,
    readEf(image, 'text', TEXT_EF.myNumber)!,
    readEf(image, 'juki', 0x0001) ?? new Uint8Array(0),
  ].filter((b) => b.length >= 8);
  const probes = [
    command({ ins: 0xa4, p1: 0x02, p2: 0x0c, data: fromHex('000a') }),
    command({ ins: 0xa4, p1: 0x02, p2: 0x0c, data: fromHex('0001') }),
    command({ ins: 0xb0, p1: 0x8a, p2: 0x00, ne: 256 }), // SFI 0A
    command({ ins: 0xb0, p1: 0x81, p2: 0x00, ne: 256 }), // SFI 01
    command({ ins: 0xb0, p1: 0x00, p2: 0x00, ne: 256 }),
    command({ ins: 0xb2, p1: 0x01, p2: 0x04, ne: 256 }),
    command({ cla: 0x80, ins: 0x2a, p1: 0x00, p2: 0x80, data: new Uint8Array(51), ne: 256 }),
  ];
  const seen: Uint8Array[] = [];
  for (const ap of [specC(1).aid, specA(2).aid]) {
    assert.equal((await sendPlain(t, selectAidCommand(ap))).sw, 0x9000);
    for (const p of probes) seen.push((await sendPlain(t, p)).data);
  }
  // and through an authenticated type A session
  await readCardAp(t, { aid: specA(2).aid, type: 'A', keys: KEYS_A, pin: PIN });
  const all = Buffer.concat(seen);
  for (const s of secrets) {
    const mid = s.length >> 1;
    assert.equal(all.includes(Buffer.from(s.subarray(mid - 4, mid + 4))), false);
  }
  // the fixed APs still work beside the free areas
  assert.equal((await sendPlain(t, selectAidCommand(AID.jpki))).sw, 0x9000);
});

test('card APs survive the card file: serialize, parse, Card.fromImage', async () => {
  const card = await fresh();
  const spec = specA(5);
  assert.equal(await install(await openArea(tx(card), 'local'), spec), 0x9000);
  const again = Card.fromImage(parseCardImageJson(serializeCardImage(card.image)));
  const r = await readCardAp(tx(again), { aid: spec.aid, type: 'A', keys: KEYS_A, pin: PIN });
  assert.deepEqual(r.userId, spec.userId);
  assert.equal(freeAreaUsage(again.image).local.cardAps, 1);
});
