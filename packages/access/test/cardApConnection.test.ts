/**
 * The card AP access module as a business system uses it, against the emulated
 * card: one connection reads, writes and changes the PIN; each type allows what
 * the seeds say; a write is whole or absent even when the card leaves mid-write;
 * the status feed, a foreign card, a pulled card and key package files give the
 * catalogue's errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '@myna-ap/apdu';
import { InProcessChannel, cardRemoved, type CardChannel } from '@myna-ap/transport';
import {
  ACCESS_ERRORS,
  AccessError,
  CARD_AP_WRITE_MAX,
  cardApPinTriesLeft,
  cardStatusFromFeed,
  connectCardAp,
  readCardAp,
  readKeyPackageFile,
  type AccessErrorCode,
} from '../src/index.ts';
import {
  TEST_CARD_AP_AID as AID,
  TEST_CARD_AP_PIN as PIN,
  TEST_USER_ID,
  cardWithCardAps,
} from './fixture.ts';

const code = (c: AccessErrorCode) => (e: unknown) => {
  assert.ok(e instanceof AccessError, String(e));
  assert.equal(e.code, c, e.message);
  assert.ok(e.text.ja.length > 0 && e.text.en.length > 0);
  return true;
};

test('type C: read without keys; no write of any kind', async () => {
  const { channel } = await cardWithCardAps();
  const c = await connectCardAp(channel, { aid: AID.C });
  assert.equal(c.type, 'C');
  assert.equal(c.userId, TEST_USER_ID);
  assert.equal(c.authenticated, false);
  assert.deepEqual(
    c.content.items?.map((i) => [i.tag, toHex(i.value)]),
    [[0x81, '414243']],
  );
  await assert.rejects(c.writeBinary(13, Uint8Array.of(1)), code('WRITE_NOT_ALLOWED'));
  await assert.rejects(c.writeRecord(2, Uint8Array.of(1)), code('WRITE_NOT_ALLOWED'));
  await assert.rejects(c.changePin('9999'), code('PIN_CHANGE_NOT_ALLOWED'));
  assert.equal(await cardApPinTriesLeft(channel, AID.C), null);
});

test('type A: records 2.. are rewritten, record 1 and absent records are refused', async () => {
  const { channel, card, keyPackages } = await cardWithCardAps();
  const c = await connectCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: PIN });
  assert.equal(c.authenticated, true);
  assert.deepEqual(
    c.content.records?.map((r) => toHex(r)),
    ['cafe', '00'],
  );
  await c.writeRecord(3, Uint8Array.of(1)); // a membership flag
  await c.writeRecord(2, fromHex('CAFE0102'));
  assert.deepEqual(
    (await c.read()).records?.map((r) => toHex(r)),
    ['cafe0102', '01'],
  );
  await assert.rejects(c.writeRecord(1, fromHex(TEST_USER_ID)), code('WRITE_NOT_ALLOWED'));
  await assert.rejects(c.writeRecord(4, Uint8Array.of(1)), code('WRITE_NOT_ALLOWED'));
  await assert.rejects(c.writeRecord(2, new Uint8Array(233)), code('WRITE_TOO_LARGE'));
  // 13 + 40 + 1 fits 64; 13 + 60 + 1 does not: the card refuses (6A 84), nothing changes.
  await c.writeRecord(2, new Uint8Array(40));
  await assert.rejects(c.writeRecord(2, new Uint8Array(60)), code('WRITE_TOO_LARGE'));
  await assert.rejects(c.writeBinary(13, Uint8Array.of(1)), code('WRITE_NOT_ALLOWED'));
  // A second connection (another touch) sees what the card stored.
  const again = await readCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: PIN });
  assert.deepEqual(
    again.records?.map((r) => r.length),
    [40, 1],
  );
  const image = card.image.freeAreas.extended.cardAps.find((a) => a.aid === AID.A.toLowerCase());
  assert.equal(image?.records?.[0], TEST_USER_ID.toLowerCase(), 'record 1 is the user ID still');
});

test('type D: a ride counter after the user ID, with the system-fixed PIN over level 33', async () => {
  const { channel, keyPackages } = await cardWithCardAps();
  const c = await connectCardAp(channel, { aid: AID.D, keyPackage: keyPackages.D });
  const rides = (d: Uint8Array) => (d[0]! << 8) | d[1]!;
  assert.equal(rides(c.content.data), 0);
  for (let n = 1; n <= 3; n++) {
    const d = (await c.read()).data;
    await c.writeBinary(13, Uint8Array.of(0, rides(d) + 1));
  }
  assert.equal(rides((await c.read()).data), 3);
  assert.equal(toHex(c.content.data.subarray(2, 4)), 'beef', 'the bytes after the counter stay');
  await assert.rejects(c.writeBinary(12, Uint8Array.of(0, 0)), code('WRITE_NOT_ALLOWED'));
  await assert.rejects(c.writeBinary(0, fromHex(TEST_USER_ID)), code('WRITE_NOT_ALLOWED'));
  await assert.rejects(c.writeBinary(254, Uint8Array.of(1, 2)), code('WRITE_TOO_LARGE'));
  await assert.rejects(c.writeBinary(13, new Uint8Array(0)), code('WRITE_TOO_LARGE'));
  await assert.rejects(
    c.writeBinary(13, new Uint8Array(CARD_AP_WRITE_MAX + 1)),
    code('WRITE_TOO_LARGE'),
  );
  await assert.rejects(c.writeBinary(13, Uint8Array.of(1), 2), code('WRITE_NOT_ALLOWED'));
  await assert.rejects(c.changePin('12345678'), code('PIN_CHANGE_NOT_ALLOWED'));
  const d = await readCardAp(channel, { aid: AID.D, keyPackage: keyPackages.D });
  assert.equal(rides(d.data), 3);
});

test('custom: the encrypted EF is written after authentication; without keys, no writes', async () => {
  const { channel, keyPackages } = await cardWithCardAps();
  const c = await connectCardAp(channel, {
    aid: AID.custom,
    keyPackage: keyPackages.custom,
    pin: PIN,
  });
  await c.writeBinary(0, fromHex('3333'), 2);
  await c.writeBinary(13, fromHex('44')); // the first EF, after the user ID
  const r = await c.read();
  assert.equal(toHex(r.efs![1]!.data.subarray(0, 2)), '3333');
  assert.equal(toHex(r.data.subarray(0, 1)), '44');
  await assert.rejects(c.writeBinary(5, fromHex('44')), code('WRITE_NOT_ALLOWED'));
  await assert.rejects(c.writeBinary(0, fromHex('44'), 9), code('WRITE_NOT_ALLOWED'));
  const free = await connectCardAp(channel, { aid: AID.custom });
  assert.equal(free.authenticated, false);
  assert.equal(toHex(free.content.data.subarray(0, 1)), '44');
  await assert.rejects(free.writeBinary(13, fromHex('55')), code('KEYS_REQUIRED'));
  // The encrypted EF is out of reach without the key package.
  await assert.rejects(
    connectCardAp(channel, { aid: AID.custom, efs: [1, 2] }),
    code('KEYS_REQUIRED'),
  );
});

test('a write is whole or absent when the card leaves during the UPDATE', async () => {
  const { card, keyPackages } = await cardWithCardAps();
  for (const when of ['before', 'after'] as const) {
    const inner = new InProcessChannel(card);
    // The card leaves the field as the wrapped UPDATE BINARY (84 D6) goes out:
    // before it reaches the card, or after the card committed it but before the answer.
    const tearing: CardChannel = {
      atr: inner.atr,
      maxResponseLength: inner.maxResponseLength,
      transmit: async (apdu) => {
        if (apdu[1] !== 0xd6) return inner.transmit(apdu);
        if (when === 'after') await inner.transmit(apdu);
        inner.remove();
        throw cardRemoved();
      },
      reset: () => inner.reset(),
      close: () => inner.close(),
      on: (e, l) => inner.on(e, l),
    };
    const c = await connectCardAp(tearing, { aid: AID.D, keyPackage: keyPackages.D });
    const before = c.content.data;
    const next = new Uint8Array(CARD_AP_WRITE_MAX - 13).fill(when === 'before' ? 0xaa : 0xbb);
    await assert.rejects(c.writeBinary(13, next), code('CARD_REMOVED'));
    const fresh = new InProcessChannel(card);
    const d = (await readCardAp(fresh, { aid: AID.D, keyPackage: keyPackages.D })).data;
    const expected =
      when === 'before' ? before : Uint8Array.from([...next, ...before.subarray(next.length)]);
    assert.deepEqual(d, expected, `torn ${when}: old or new content, never a mix`);
  }
});

test('PIN change and tries left of the card AP PIN', async () => {
  const { channel, keyPackages } = await cardWithCardAps();
  assert.equal(await cardApPinTriesLeft(channel, AID.A), 3);
  await assert.rejects(
    readCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: '0000' }),
    (e) => code('PIN_WRONG')(e) && (e as AccessError).triesLeft === 2,
  );
  assert.equal(await cardApPinTriesLeft(channel, AID.A), 2);
  await connectCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: PIN });
  assert.equal(await cardApPinTriesLeft(channel, AID.A), 3, 'a right PIN gives every try back');
  // cardApPinTriesLeft re-selected the card AP: the connection needs opening again.
  const d = await connectCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: PIN });
  await assert.rejects(d.changePin('12'), code('PIN_FORMAT'));
  await assert.rejects(d.changePin('with space'), code('PIN_FORMAT'));
  await d.changePin('ride2027');
  await d.writeRecord(3, Uint8Array.of(2)); // the session goes on with the new PIN
  await assert.rejects(
    readCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: PIN }),
    code('PIN_WRONG'),
  );
  const r = await readCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: 'ride2027' });
  assert.equal(toHex(r.records![1]!), '02');
  // Locked: tries left 0, and the change is refused like the read.
  for (let i = 0; i < 3; i++) {
    await readCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: 'wrong' }).catch(
      () => {},
    );
  }
  assert.equal(await cardApPinTriesLeft(channel, AID.A), 0);
  await assert.rejects(
    connectCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: 'ride2027' }),
    code('PIN_LOCKED'),
  );
});

test('the status feed: a lost, suspended or revoked card is refused; found again, it reads', async () => {
  const { channel, keyPackages } = await cardWithCardAps();
  const ap = (aid: string) => [{ aid, userId: TEST_USER_ID }];
  const feed = [
    { seq: 7, status: 'lost' as const, cardAps: ap(AID.C) },
    { seq: 3, status: 'active' as const, cardAps: ap(AID.C) }, // older: does not win
    { seq: 4, status: 'suspended' as const, cardAps: ap(AID.D) },
    { seq: 5, status: 'revoked' as const, cardAps: ap(AID.A) },
    { seq: 9, status: 'lost' as const, cardAps: ap(AID.custom) },
    { seq: 10, status: 'active' as const, cardAps: ap(AID.custom) },
  ];
  const status = cardStatusFromFeed(feed);
  await assert.rejects(readCardAp(channel, { aid: AID.C, status }), code('CARD_LOST'));
  await assert.rejects(
    readCardAp(channel, { aid: AID.D, keyPackage: keyPackages.D, status }),
    code('CARD_SUSPENDED'),
  );
  await assert.rejects(
    readCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: PIN, status }),
    code('CARD_REVOKED'),
  );
  assert.equal((await readCardAp(channel, { aid: AID.custom, status })).userId, TEST_USER_ID);
  // Reported lost while the connection is open: the next write is refused, nothing written.
  let lost = false;
  const c = await connectCardAp(channel, {
    aid: AID.D,
    keyPackage: keyPackages.D,
    status: () => (lost ? 'lost' : undefined),
  });
  lost = true;
  await assert.rejects(c.writeBinary(13, Uint8Array.of(9, 9)), code('CARD_LOST'));
  lost = false;
  assert.equal(toHex((await c.read()).data.subarray(0, 2)), '0000');
});

test('refusals: not a My Number Card, no card, absent card AP, key package of another card AP', async () => {
  const { channel, keyPackages } = await cardWithCardAps();
  // A card of another kind (a transit card, say): it knows none of our AIDs.
  const foreign = new InProcessChannel({
    atr: Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01),
    transmit: () => Uint8Array.of(0x6a, 0x82),
    reset: () => {},
  });
  await assert.rejects(readCardAp(foreign, { aid: AID.C }), code('NOT_MYNA_CARD'));
  await assert.rejects(
    readCardAp(channel, { aid: 'F04D594E41500001FF' }),
    code('CARD_AP_NOT_FOUND'),
  );
  await assert.rejects(
    readCardAp(channel, { aid: AID.D, keyPackage: keyPackages.A }),
    code('KEY_PACKAGE_MISMATCH'),
  );
  await assert.rejects(
    readCardAp(channel, { aid: AID.D, keyPackage: { ...keyPackages.A, aid: AID.D } }),
    code('KEY_PACKAGE_MISMATCH'),
  );
  await assert.rejects(
    readCardAp(channel, { aid: AID.A, keyPackage: keyPackages.A, pin: 'ünï' }),
    code('PIN_FORMAT'),
  );
  channel.remove();
  await assert.rejects(readCardAp(channel, { aid: AID.C }), code('CARD_REMOVED'));
});

test('key package files: 0600 read, wider modes and bad content refused', async () => {
  const { keyPackages } = await cardWithCardAps();
  const dir = await mkdtemp(join(tmpdir(), 'myna-keys-'));
  try {
    const file = join(dir, 'keys.json');
    await writeFile(file, JSON.stringify(keyPackages.A), { mode: 0o600 });
    assert.deepEqual(await readKeyPackageFile(file), keyPackages.A);
    await chmod(file, 0o644);
    await assert.rejects(readKeyPackageFile(file), code('KEY_PACKAGE_EXPOSED'));
    await writeFile(file, '{"format":', { mode: 0o600 });
    await chmod(file, 0o600);
    await assert.rejects(readKeyPackageFile(file), code('KEY_PACKAGE_INVALID'));
    await writeFile(file, JSON.stringify({ ...keyPackages.A, keys: { enc: 'AB', mac: 'CD' } }));
    await assert.rejects(readKeyPackageFile(file), code('KEY_PACKAGE_INVALID'));
    await assert.rejects(readKeyPackageFile(join(dir, 'absent.json')), code('KEY_PACKAGE_INVALID'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // Every code of the catalogue speaks both languages.
  for (const [k, t] of Object.entries(ACCESS_ERRORS)) assert.ok(t.en && t.ja, k);
});

test('the card takes a card AP PIN change only inside the channel after VERIFY, P1 01', async () => {
  const { channel } = await cardWithCardAps();
  const send = async (hex: string) => {
    const r = await channel.transmit(fromHex(hex));
    return toHex(r.subarray(r.length - 2)).toUpperCase();
  };
  assert.equal(await send(`00A4040C09${AID.A}`), '9000');
  assert.equal(await send('0024018104' + '39393939'), '6982', 'plain: refused');
  assert.equal(await send('0024008108' + '3433323139393939'), '6A86', 'old ‖ new: not taken');
  assert.equal(await send(`00A4040C09${AID.C}`), '9000');
  assert.equal(await send('0024018104' + '39393939'), '6A88', 'type C has no PIN');
  assert.equal(await cardApPinTriesLeft(channel, AID.A), 3, 'no try spent');
});
