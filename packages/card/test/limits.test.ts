/**
 * The card AP limits of @myna-ap/profile, enforced by the emulator at their
 * boundaries: at INSTALL and again when a card AP is written afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { command, fromHex, openSecureSession, readCardAp } from '@myna-ap/apdu';
import { CARD_AP_MAX_RECORD, CARD_AP_PIN } from '@myna-ap/profile';
import { KEYS_A, PIN, blankCard, install, openArea, reloaded, specA, tx } from './freeAreaKit.ts';

const WRONG_DATA = 0x6a80;
const WRONG_LENGTH = 0x6700;

test(`INSTALL: a type A record of ${CARD_AP_MAX_RECORD} bytes is taken, one more is refused`, async () => {
  const card = blankCard();
  const sd = await openArea(tx(card), 'local');
  const longest = new Uint8Array(CARD_AP_MAX_RECORD).fill(0x41);
  assert.equal(await install(sd, { ...specA(1), records: [longest] }), 0x9000);
  const tooLong = new Uint8Array(CARD_AP_MAX_RECORD + 1).fill(0x42);
  assert.equal(await install(sd, { ...specA(2), records: [tooLong] }), WRONG_DATA);
  assert.equal(await install(sd, { ...specA(3), records: [new Uint8Array(0)] }), WRONG_DATA);
  const r = await readCardAp(tx(reloaded(card)), {
    aid: specA(1).aid,
    type: 'A',
    keys: KEYS_A,
    pin: PIN,
  });
  assert.deepEqual(r.records, [longest]);
  await assert.rejects(
    readCardAp(tx(reloaded(card)), { aid: specA(2).aid, type: 'A', keys: KEYS_A, pin: PIN }),
    'the refused card AP is not on the card',
  );
});

test(`UPDATE RECORD: ${CARD_AP_MAX_RECORD} bytes are written, one more is refused and changes nothing`, async () => {
  const card = blankCard();
  const sd = await openArea(tx(card), 'local');
  const spec = { ...specA(4), records: [fromHex('01')] };
  assert.equal(await install(sd, spec), 0x9000);
  const s = await openSecureSession(tx(card), spec.aid, {
    keys: KEYS_A,
    keyVersion: 1,
    level: 0x13,
  });
  assert.equal((await s.send(command({ ins: 0x20, p2: 0x81, data: PIN }))).sw, 0x9000);
  const update = (data: Uint8Array) => s.send(command({ ins: 0xdc, p1: 2, p2: 4, data }));
  const longest = new Uint8Array(CARD_AP_MAX_RECORD).fill(0x43);
  assert.equal((await update(longest)).sw, 0x9000);
  assert.equal((await update(new Uint8Array(CARD_AP_MAX_RECORD + 1))).sw, WRONG_LENGTH);
  const r = await readCardAp(tx(reloaded(card)), {
    aid: spec.aid,
    type: 'A',
    keys: KEYS_A,
    pin: PIN,
  });
  assert.deepEqual(r.records, [longest]);
});

test(`INSTALL: a card AP PIN of ${CARD_AP_PIN.min}–${CARD_AP_PIN.max} bytes is taken, outside refused`, async () => {
  const card = blankCard();
  const sd = await openArea(tx(card), 'local');
  const pin = (n: number) => new Uint8Array(n).fill(0x35);
  assert.equal(await install(sd, { ...specA(5), pin: pin(CARD_AP_PIN.min) }), 0x9000);
  assert.equal(await install(sd, { ...specA(6), pin: pin(CARD_AP_PIN.max) }), 0x9000);
  assert.equal(await install(sd, { ...specA(7), pin: pin(CARD_AP_PIN.min - 1) }), WRONG_DATA);
  assert.equal(await install(sd, { ...specA(8), pin: pin(CARD_AP_PIN.max + 1) }), WRONG_DATA);
  assert.equal(await install(sd, { ...specA(9), pinTries: CARD_AP_PIN.triesMax }), 0x9000);
  assert.equal(await install(sd, { ...specA(10), pinTries: CARD_AP_PIN.triesMax + 1 }), WRONG_DATA);
});
