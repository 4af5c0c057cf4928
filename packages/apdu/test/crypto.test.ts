import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApduError,
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesCmacSubkeys,
  aesEncryptBlock,
  checkMac,
  concat,
  constantTimeEqual,
  fromHex,
  pad80,
  retailMac,
  toHex,
  unpad80,
  verifyAesCmac,
} from '@myna-ap/apdu';

const code = (c: string) => (e: unknown) => e instanceof ApduError && e.code === c;

// RFC 4493 section 4: key, subkeys and the four examples.
const K = fromHex('2b7e1516 28aed2a6 abf71588 09cf4f3c');
const M64 = fromHex(
  '6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51' +
    '30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710',
);

test('AES-CMAC subkeys match RFC 4493 2.4', () => {
  const { k1, k2 } = aesCmacSubkeys(K);
  assert.equal(toHex(k1), 'fbeed618357133667c85e08f7236a8de');
  assert.equal(toHex(k2), 'f7ddac306ae266ccf90bc11ee46d513b');
});

for (const [len, tag] of [
  [0, 'bb1d6929e95937287fa37d129b756746'],
  [16, '070a16b46b4d4144f79bdd9dd04a287c'],
  [40, 'dfa66747de9ae63030ca32611497c827'],
  [64, '51f0bebf7e3b9d92fc49741779363cfe'],
] as const) {
  test(`AES-CMAC RFC 4493 example, Mlen = ${len}`, () => {
    assert.equal(toHex(aesCmac(K, M64.subarray(0, len))), tag);
  });
}

test('AES-CMAC with AES-256 (NIST SP 800-38B D.3 example 2)', () => {
  const k256 = fromHex('603deb10 15ca71be 2b73aef0 857d7781 1f352c07 3b6108d7 2d9810a3 0914dff4');
  assert.equal(toHex(aesCmac(k256, M64.subarray(0, 16))), '28a7023f452e8f82bd4bf28d8c37c35c');
});

test('AES-CMAC changes when one bit of the message changes', () => {
  const m = M64.slice(0, 40);
  const t = aesCmac(K, m);
  m[39]! ^= 1;
  assert.notEqual(toHex(aesCmac(K, m)), toHex(t));
});

test('AES-CBC matches NIST SP 800-38A F.2.1/F.2.2 and round-trips', () => {
  const iv = fromHex('000102030405060708090a0b0c0d0e0f');
  const ct = aesCbcEncrypt(K, iv, M64);
  assert.equal(
    toHex(ct),
    '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2' +
      '73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7',
  );
  assert.equal(toHex(aesCbcDecrypt(K, iv, ct)), toHex(M64));
});

test('AES single block matches FIPS-197 C.1', () => {
  const k = fromHex('000102030405060708090a0b0c0d0e0f');
  const p = fromHex('00112233445566778899aabbccddeeff');
  assert.equal(toHex(aesEncryptBlock(k, p)), '69c4e0d86a7b0430d8cdb78070b4c55a');
});

test('bad keys, IVs and unaligned data are ApduError with SM_* codes', () => {
  const iv = new Uint8Array(16);
  assert.throws(() => aesCmac(new Uint8Array(15), M64), code('SM_BAD_KEY'));
  assert.throws(() => aesCbcEncrypt(new Uint8Array(20), iv, M64), code('SM_BAD_KEY'));
  assert.throws(() => aesCbcEncrypt(K, new Uint8Array(8), M64), code('SM_BAD_FORMAT'));
  assert.throws(() => aesCbcEncrypt(K, iv, M64.subarray(0, 17)), code('SM_BAD_FORMAT'));
  assert.throws(() => aesCbcDecrypt(K, iv, M64.subarray(0, 15)), code('SM_BAD_FORMAT'));
  assert.throws(() => aesEncryptBlock(K, M64.subarray(0, 32)), code('SM_BAD_FORMAT'));
  assert.throws(() => retailMac(new Uint8Array(24), M64), code('SM_BAD_KEY'));
  assert.throws(
    () => retailMac(new Uint8Array(16), M64.subarray(0, 7), { padded: true }),
    code('SM_BAD_FORMAT'),
  );
  assert.throws(
    () => retailMac(new Uint8Array(16), new Uint8Array(0), { padded: true }),
    code('SM_BAD_FORMAT'),
  );
  assert.throws(() => pad80(M64, 0), code('SM_BAD_FORMAT'));
});

test('pad80 always adds 80 00…, to a multiple of the block', () => {
  assert.equal(toHex(pad80(new Uint8Array(0))), '80' + '00'.repeat(15));
  assert.equal(toHex(pad80(fromHex('0102'), 8)), '0102800000000000');
  assert.equal(pad80(new Uint8Array(16)).length, 32);
  assert.equal(toHex(pad80(new Uint8Array(7), 8)), '0000000000000080');
});

test('unpad80 inverts pad80 for every length 0..40', () => {
  for (let n = 0; n <= 40; n++) {
    const m = M64.subarray(0, n);
    assert.equal(toHex(unpad80(pad80(m))), toHex(m));
    assert.equal(toHex(unpad80(pad80(m, 8), 8)), toHex(m));
  }
});

test('unpad80 rejects bad padding with SM_BAD_PADDING', () => {
  const bad = code('SM_BAD_PADDING');
  assert.throws(() => unpad80(new Uint8Array(0)), bad);
  assert.throws(() => unpad80(new Uint8Array(16)), bad); // all zero: no marker
  assert.throws(() => unpad80(fromHex('0102800000000000')), bad); // not a multiple of 16
  const p = pad80(fromHex('0102'));
  p[15] = 1; // garbage after the marker
  assert.throws(() => unpad80(p), bad);
  // marker in the block before the last one: too much padding
  const far = new Uint8Array(32);
  far[15] = 0x80;
  assert.throws(() => unpad80(far), bad);
  assert.throws(() => unpad80(fromHex('01020304050607'), 8), bad);
});

test('retail MAC matches the ICAO 9303-11 BAC worked example (Appendix D.3)', () => {
  const kMac = fromHex('7962D9ECE03D1ACD4C76089DCE131543');
  const eIfd = fromHex('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2');
  assert.equal(toHex(retailMac(kMac, eIfd)).toUpperCase(), '5F1448EEA8AD90A7');
  assert.equal(
    toHex(retailMac(kMac, pad80(eIfd, 8), { padded: true })).toUpperCase(),
    '5F1448EEA8AD90A7',
  );
});

test('constantTimeEqual', () => {
  assert.equal(constantTimeEqual(fromHex('0102'), fromHex('0102')), true);
  assert.equal(constantTimeEqual(fromHex('0102'), fromHex('0103')), false);
  assert.equal(constantTimeEqual(fromHex('0102'), fromHex('010203')), false);
  assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
});

test('verifyAesCmac and checkMac: full and truncated MACs; mismatches are SM_BAD_MAC', () => {
  const m = M64.subarray(0, 40);
  const tag = fromHex('dfa66747de9ae63030ca32611497c827');
  verifyAesCmac(K, m, tag);
  verifyAesCmac(K, m, tag.subarray(0, 8)); // SCP03 sends 8 bytes
  const bad = tag.slice(0, 8);
  bad[7]! ^= 0x01;
  assert.throws(() => verifyAesCmac(K, m, bad), code('SM_BAD_MAC'));
  assert.throws(() => verifyAesCmac(K, m, tag.subarray(0, 4)), code('SM_BAD_MAC')); // too short
  assert.throws(() => verifyAesCmac(K, m, concat(tag, fromHex('00'))), code('SM_BAD_MAC'));
  assert.throws(() => verifyAesCmac(K, M64.subarray(0, 39), tag), code('SM_BAD_MAC'));
  checkMac(fromHex('0102030405060708'), fromHex('01020304'));
  assert.throws(() => checkMac(fromHex('0102030405060708'), fromHex('010203')), code('SM_BAD_MAC'));
});
