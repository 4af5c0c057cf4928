import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KeyPackageError,
  cardApCardKeys,
  cardApFixedPin,
  fromHex,
  keyPackageMaster,
  parseKeyPackage,
  toHex,
} from '../src/index.ts';

const master = {
  enc: fromHex('000102030405060708090A0B0C0D0E0F'),
  mac: fromHex('101112131415161718191A1B1C1D1E1F'),
};
const serial = fromHex('00112233445566778899AABBCCDDEEFF');
const aid = fromHex('F04D594E4150000100');

test('per-card card AP keys: known answer, and distinct per card and per AID', () => {
  const k = cardApCardKeys(master, serial, aid);
  // Pinned so that another implementation (a vendor's business system) can check itself.
  assert.equal(toHex(k.enc).toUpperCase(), KAT.enc);
  assert.equal(toHex(k.mac).toUpperCase(), KAT.mac);
  assert.deepEqual(cardApCardKeys(master, serial, aid), k, 'deterministic');
  const otherCard = cardApCardKeys(master, fromHex('00112233445566778899AABBCCDDEEFE'), aid);
  const otherAp = cardApCardKeys(master, serial, fromHex('F04D594E4150000101'));
  assert.notDeepEqual(otherCard.enc, k.enc);
  assert.notDeepEqual(otherAp.enc, k.enc);
  assert.notDeepEqual(k.enc, k.mac);
  assert.notDeepEqual(k.enc, master.enc);
});

test('system-fixed PIN: 8 ASCII digits, per card', () => {
  const pin = new TextDecoder().decode(cardApFixedPin(master, serial, aid));
  assert.match(pin, /^[0-9]{8}$/);
  assert.equal(pin, KAT.pin);
  const other = new TextDecoder().decode(
    cardApFixedPin(master, fromHex('FF112233445566778899AABBCCDDEEFF'), aid),
  );
  assert.notEqual(other, pin);
});

test('bad keys, serials and AIDs are refused', () => {
  assert.throws(() => cardApCardKeys({ enc: new Uint8Array(15), mac: master.mac }, serial, aid), {
    code: 'SM_BAD_KEY',
  });
  assert.throws(() => cardApCardKeys(master, new Uint8Array(4), aid), { code: 'SM_BAD_KEY' });
  assert.throws(() => cardApCardKeys(master, serial, new Uint8Array(4)), { code: 'SM_BAD_KEY' });
});

const good = {
  format: 'myna-cardap-keys',
  version: 1,
  cardApId: 'ap_000000000000000000000001',
  providerId: 'MAEBASHI',
  name: '図書館',
  type: 'A',
  aid: 'f04d594e4150000100',
  keys: { enc: toHex(master.enc), mac: toHex(master.mac) },
  pin: { fixed: false },
  issuedAt: '2026-12-01T00:00:00.000Z',
};

test('key package: parsed, normalised, and every malformed field named', () => {
  const p = parseKeyPackage(good);
  assert.equal(p.aid, 'F04D594E4150000100');
  assert.deepEqual(keyPackageMaster(p), master);
  for (const [bad, why] of [
    [null, /not a JSON object/],
    [{ ...good, format: 'x' }, /format/],
    [{ ...good, version: 2 }, /version 2/],
    [{ ...good, type: 'B' }, /type B/],
    [{ ...good, aid: 'F04D' }, /aid/],
    [{ ...good, keys: { enc: 'zz', mac: good.keys.mac } }, /keys/],
    [{ ...good, pin: 'yes' }, /pin/],
    [{ ...good, name: 7 }, /name/],
  ] as const) {
    assert.throws(
      () => parseKeyPackage(bad),
      (e: unknown) => e instanceof KeyPackageError && why.test(e.message),
    );
  }
});

/**
 * Known answers. K-ENC was also computed outside our code, with openssl:
 *   printf '00000000000000000000005100008001' + KDD (a8faed6abbf35c12a4b2) + AID | xxd -r -p |
 *   openssl mac -cipher AES-128-CBC -macopt hexkey:000102030405060708090A0B0C0D0E0F CMAC
 */
const KAT = {
  enc: '49796C8502BB2D48171E838299C072AE',
  mac: 'E3B4C8BDE836EE5E624861B04B11ED07',
  pin: '85362659',
};
