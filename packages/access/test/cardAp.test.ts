/**
 * The card AP access module against the emulated card: card APs are installed
 * the way the loading system does it (area channel with the TEST area keys,
 * per-card keys from a card AP master), then read back as a business system.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  KEY_PACKAGE_FORMAT,
  TEST_AREA_MASTER_KEYS,
  cardApCardKeys,
  cardApFixedPin,
  fromHex,
  installCardAp,
  openAreaSession,
  toHex,
  type CardApInstallSpec,
  type CardApKeyPackage,
  type CardApKeys,
  type CardApType,
} from '@myna-ap/apdu';
import { InProcessChannel } from '@myna-ap/transport';
import { AccessError, readCardAp } from '../src/index.ts';
import { freshCard } from './fixture.ts';

const master: CardApKeys = {
  enc: new Uint8Array(randomBytes(16)),
  mac: new Uint8Array(randomBytes(16)),
};
const USER = fromHex('0102030405060708090A0B0C0D');
const AID = {
  C: 'F04D594E4150000100',
  A: 'F04D594E4150000101',
  D: 'F04D594E4150000102',
  X: 'F04D594E4150000103',
};

function pkg(
  type: CardApType,
  aid: string,
  fixed: boolean,
  extra: Partial<CardApKeyPackage> = {},
): CardApKeyPackage {
  return {
    format: KEY_PACKAGE_FORMAT,
    version: 1,
    cardApId: 'ap_000000000000000000000001',
    providerId: 'CHIYODA',
    name: 'test',
    type,
    aid,
    keys: { enc: toHex(master.enc).toUpperCase(), mac: toHex(master.mac).toUpperCase() },
    pin: { fixed },
    issuedAt: '2026-12-01T00:00:00.000Z',
    ...extra,
  };
}

async function loadedCard() {
  const card = await freshCard();
  const serial = fromHex((card.image.common as { files: Record<string, string> }).files['0001']!);
  const channel = new InProcessChannel(card);
  const t = (b: Uint8Array) => channel.transmit(b);
  const s = await openAreaSession(t, 'extended', TEST_AREA_MASTER_KEYS);
  const provider = new TextEncoder().encode('CHIYODA');
  const keyed = (aid: string) => ({ keys: cardApCardKeys(master, serial, fromHex(aid)) });
  const specs: CardApInstallSpec[] = [
    {
      aid: fromHex(AID.C),
      type: 'C',
      size: 33,
      providerId: provider,
      userId: USER,
      data: fromHex('8103414243'),
    },
    {
      aid: fromHex(AID.A),
      type: 'A',
      size: 64,
      providerId: provider,
      userId: USER,
      ...keyed(AID.A),
      pin: new TextEncoder().encode('4321'),
      pinTries: 3,
      records: [fromHex('CAFE')],
    },
    {
      aid: fromHex(AID.D),
      type: 'D',
      size: 64,
      providerId: provider,
      userId: USER,
      ...keyed(AID.D),
      pin: cardApFixedPin(master, serial, fromHex(AID.D)),
      data: fromHex('BEEF'),
    },
    {
      aid: fromHex(AID.X),
      type: 'custom',
      size: 300,
      providerId: provider,
      userId: USER,
      ...keyed(AID.X),
      pin: new TextEncoder().encode('4321'),
      efs: [
        { fid: 0x0001, size: 64, access: 'free', content: fromHex('11') },
        { fid: 0x0002, size: 200, access: 'encrypted', content: fromHex('2222') },
      ],
    },
  ];
  for (const spec of specs) await installCardAp(s, spec);
  return channel;
}

test('type C is read without keys: user ID and info TLVs', async () => {
  const ch = await loadedCard();
  const r = await readCardAp(ch, { aid: AID.C });
  assert.equal(r.type, 'C');
  assert.equal(r.userId, toHex(USER).toUpperCase());
  assert.deepEqual(
    r.items?.map((i) => [i.tag, toHex(i.value)]),
    [[0x81, '414243']],
  );
});

test('types A and D with the key package: the holder’s PIN, the system-fixed PIN', async () => {
  const ch = await loadedCard();
  const a = await readCardAp(ch, { aid: AID.A, keyPackage: pkg('A', AID.A, false), pin: '4321' });
  assert.equal(a.userId, toHex(USER).toUpperCase());
  assert.deepEqual(
    a.records?.map((r) => toHex(r)),
    ['cafe'],
  );
  const d = await readCardAp(ch, { aid: AID.D, keyPackage: pkg('D', AID.D, true) });
  assert.equal(toHex(d.data.subarray(0, 2)), 'beef');
});

test('custom: the key package’s EF layout, the encrypted EF after authentication', async () => {
  const ch = await loadedCard();
  const efs = [
    { fid: 1, size: 64, access: 'free' as const },
    { fid: 2, size: 200, access: 'encrypted' as const },
  ];
  const r = await readCardAp(ch, {
    aid: AID.X,
    keyPackage: pkg('custom', AID.X, false, { efs }),
    pin: '4321',
  });
  assert.equal(r.userId, toHex(USER).toUpperCase());
  assert.equal(toHex(r.efs![1]!.data.subarray(0, 2)), '2222');
  // Without the key package only the free EF can be read.
  const free = await readCardAp(ch, { aid: AID.X, efs: [1] });
  assert.equal(free.userId, toHex(USER).toUpperCase());
  assert.equal(toHex(free.data.subarray(0, 1)), '11');
});

test('clear refusals: no such card AP, not a card AP, no keys, wrong keys, wrong and locked PIN', async () => {
  const ch = await loadedCard();
  const code = (c: string) => (e: unknown) => e instanceof AccessError && e.code === c;
  await assert.rejects(readCardAp(ch, { aid: 'F04D594E41500001FF' }), code('CARD_AP_NOT_FOUND'));
  await assert.rejects(readCardAp(ch, { aid: 'D392F000260100000001' }), code('CARD_AP_NOT_FOUND'));
  await assert.rejects(readCardAp(ch, { aid: AID.A }), code('KEYS_REQUIRED'));
  await assert.rejects(
    readCardAp(ch, { aid: AID.A, keyPackage: pkg('A', AID.D, false) }),
    code('KEY_PACKAGE_MISMATCH'),
  );
  await assert.rejects(
    readCardAp(ch, { aid: AID.A, keyPackage: pkg('A', AID.A, false) }),
    code('PIN_REQUIRED'),
  );
  const other = { ...pkg('A', AID.A, false), keys: { enc: '00'.repeat(16), mac: '11'.repeat(16) } };
  await assert.rejects(
    readCardAp(ch, { aid: AID.A, keyPackage: other, pin: '4321' }),
    code('KEYS_REJECTED'),
  );
  await assert.rejects(
    readCardAp(ch, { aid: AID.A, keyPackage: pkg('A', AID.A, false), pin: '0000' }),
    (e: unknown) => e instanceof AccessError && e.code === 'PIN_WRONG' && e.triesLeft === 2,
  );
  await readCardAp(ch, { aid: AID.A, keyPackage: pkg('A', AID.A, false), pin: '0000' }).catch(
    () => {},
  );
  await assert.rejects(
    readCardAp(ch, { aid: AID.A, keyPackage: pkg('A', AID.A, false), pin: '0000' }),
    code('PIN_LOCKED'),
  );
  // Locked stays locked, even with the right PIN.
  await assert.rejects(
    readCardAp(ch, { aid: AID.A, keyPackage: pkg('A', AID.A, false), pin: '4321' }),
    code('PIN_LOCKED'),
  );
});
