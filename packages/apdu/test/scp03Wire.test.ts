// The SCP03 channel's bytes on the wire, computed here from Amendment D's rules with
// Node's AES (and the RFC 4493 CMAC tested in crypto.test.ts), not by the channel:
// both ends share Scp03Channel, so only the wire can show a fault they would share.
//   C-MAC  = CMAC(S-MAC, chain ‖ CLA|04 INS P1 P2 Lc ‖ data)[0..8], chain = the full CMAC
//   C-ENC  = AES-CBC(S-ENC, ICV = AES(S-ENC, counter as 16 bytes), data ‖ 80 00…)
//   R-MAC  = CMAC(S-RMAC, chain ‖ data ‖ SW)[0..8]; R-ENC ICV = AES(S-ENC, 80 ‖ counter)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import {
  Scp03Channel,
  Scp03Host,
  aesCmac,
  command,
  concat,
  deriveScp03SessionKeys,
  encodeCommand,
  fromHex,
  isValidScp03Level,
  parseInitializeUpdateResponse,
  toHex,
  type Scp03SessionKeys,
} from '../src/index.ts';

const keys: Scp03SessionKeys = deriveScp03SessionKeys(
  {
    enc: fromHex('404142434445464748494a4b4c4d4e4f'),
    mac: fromHex('505152535455565758595a5b5c5d5e5f'),
  },
  fromHex('0102030405060708'),
  fromHex('a1a2a3a4a5a6a7a8'),
);

const ecb = (k: Uint8Array, block: Uint8Array) =>
  new Uint8Array(createCipheriv('aes-128-ecb', k, null).setAutoPadding(false).update(block));
const cbc = (k: Uint8Array, iv: Uint8Array, data: Uint8Array) => {
  const c = createCipheriv('aes-128-cbc', k, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
};
const pad = (d: Uint8Array) => {
  const out = new Uint8Array(Math.floor(d.length / 16) * 16 + 16);
  out.set(d);
  out[d.length] = 0x80;
  return out;
};
/** The counter as a 16-byte block, its first byte replaced by `first` when given. */
const counter = (n: number, first?: number) => {
  const b = new Uint8Array(16);
  for (let i = 15, v = n; i >= 0; i--, v = Math.floor(v / 256)) b[i] = v & 0xff;
  if (first !== undefined) b[0] = first;
  return b;
};

test('C-MAC and C-ENC of the first two commands at level 33, and the card’s R-ENC and R-MAC', () => {
  const host = new Scp03Channel(keys, 0x33);
  const card = new Scp03Channel(keys, 0x33);
  let chain: Uint8Array = new Uint8Array(16);
  for (const [n, data] of [
    [1, fromHex('00112233445566778899')],
    [2, fromHex('0102030405060708090a0b0c0d0e0f10')], // a whole block: a whole block of padding more
  ] as const) {
    const w = host.wrapCommand(command({ cla: 0x80, ins: 0xe2, p1: 0x01, p2: 0x02, data }));
    const enc = cbc(keys.sEnc, ecb(keys.sEnc, counter(n)), pad(data));
    const full = aesCmac(
      keys.sMac,
      concat(chain, fromHex('84e20102'), Uint8Array.of(enc.length + 8), enc),
    );
    chain = full;
    assert.equal(toHex(w.data), toHex(concat(enc, full.subarray(0, 8))), `command ${n}`);
    assert.equal(w.cla, 0x84);
    assert.equal(w.ne, 256, 'R-MAC: every answer carries data, so Le is sent');
    // the card gets the plain command back, with its CLA
    const plain = card.unwrapCommand(w);
    assert.equal(toHex(plain.data), toHex(data));
    assert.equal(plain.cla, 0x80);
    // its answer: encrypted under 80 ‖ counter, MACed on the command's chain
    const answer = fromHex('cafe');
    const r = card.wrapResponse({ data: answer, sw: 0x9000 });
    const renc = cbc(keys.sEnc, ecb(keys.sEnc, counter(n, 0x80)), pad(answer));
    const rmac = aesCmac(keys.sRmac, concat(chain, renc, fromHex('9000'))).subarray(0, 8);
    assert.equal(toHex(r.data), toHex(concat(renc, rmac)), `response ${n}`);
    assert.equal(toHex(host.unwrapResponse(r).data), 'cafe');
  }
});

test('level 01: MAC only, data in the clear, no Le added, answers untouched; level 13 adds Le', () => {
  const data = fromHex('a0a1a2');
  const host = new Scp03Channel(keys, 0x01);
  const w = host.wrapCommand(command({ cla: 0x00, ins: 0xa4, p1: 4, p2: 0, data }));
  const mac = aesCmac(
    keys.sMac,
    concat(new Uint8Array(16), fromHex('04a404000b') /* Lc = 3 + 8 */, data),
  );
  assert.equal(toHex(w.data), toHex(concat(data, mac.subarray(0, 8))));
  assert.equal(w.ne, undefined);
  assert.deepEqual(host.unwrapResponse({ data: fromHex('01'), sw: 0x9000 }), {
    data: fromHex('01'),
    sw: 0x9000,
  });
  const card = new Scp03Channel(keys, 0x01);
  card.unwrapCommand(w);
  assert.deepEqual(card.wrapResponse({ data: fromHex('01'), sw: 0x6a82 }), {
    data: fromHex('01'),
    sw: 0x6a82,
  });
  // C-DECRYPTION without R-MAC: encrypted, yet no Le
  const h13 = new Scp03Channel(keys, 0x13);
  assert.equal(h13.wrapCommand(command({ cla: 0x80, ins: 0xe2, data })).ne, 256);
  const h03 = new Scp03Channel(keys, 0x03);
  const w03 = h03.wrapCommand(command({ cla: 0x80, ins: 0xe2, data }));
  assert.equal(w03.ne, undefined);
  assert.equal(w03.data.length, 16 + 8);
  // a Le the caller gave is kept
  assert.equal(
    new Scp03Channel(keys, 0x33).wrapCommand(command({ cla: 0x80, ins: 0xca, ne: 10 })).ne,
    10,
  );
  // no data: nothing to encrypt, only the MAC
  assert.equal(
    new Scp03Channel(keys, 0x33).wrapCommand(command({ cla: 0x80, ins: 0xca })).data.length,
    8,
  );
});

test('a command over 255 bytes with its MAC goes extended, and its MAC covers the 3-byte Lc', () => {
  const data = new Uint8Array(248).fill(7); // 248 + 8 = 256: extended
  const host = new Scp03Channel(keys, 0x01);
  const w = host.wrapCommand(command({ cla: 0x80, ins: 0xe8, data }));
  assert.equal(w.extended, true);
  const mac = aesCmac(keys.sMac, concat(new Uint8Array(16), fromHex('84e80000000100'), data));
  assert.equal(toHex(w.data.subarray(248)), toHex(mac.subarray(0, 8)));
  assert.equal(toHex(new Scp03Channel(keys, 0x01).unwrapCommand(w).data), toHex(data));
  // 247 + 8 = 255: still short
  const short = new Scp03Channel(keys, 0x01).wrapCommand(
    command({ cla: 0x80, ins: 0xe8, data: data.subarray(1) }),
  );
  assert.equal(short.extended, false);
  const mac2 = aesCmac(
    keys.sMac,
    concat(new Uint8Array(16), fromHex('84e80000ff'), data.subarray(1)),
  );
  assert.equal(toHex(short.data.subarray(247)), toHex(mac2.subarray(0, 8)));
});

test('EXTERNAL AUTHENTICATE: MACed from the zero chain with a short Lc; the host sends the level it was given', () => {
  const ch = new Scp03Channel(keys, 0);
  const ea = ch.macExternalAuthenticate(
    command({ cla: 0x80, ins: 0x82, p1: 0x33, p2: 0, data: fromHex('1122334455667788') }),
  );
  const mac = aesCmac(
    keys.sMac,
    concat(new Uint8Array(16), fromHex('8482330010'), fromHex('1122334455667788')),
  );
  assert.equal(
    toHex(encodeCommand(ea)),
    `8482330010${'1122334455667788'}${toHex(mac.subarray(0, 8))}`,
  );
  const card = new Scp03Channel(keys, 0);
  assert.equal(toHex(card.verifyExternalAuthenticate(ea).data), '1122334455667788');
  assert.equal(card.level, 0x33);
  // INITIALIZE UPDATE: 80 50 KVN 00 08 challenge Le
  const host = new Scp03Host({
    keys: { enc: keys.sEnc, mac: keys.sMac },
    keyVersion: 0x30,
    hostChallenge: fromHex('0102030405060708'),
  });
  assert.equal(toHex(host.begin()), '80503000080102030405060708' + '00');
  assert.equal(host.level, 0x33);
  assert.equal(new Scp03Host({ keys: { enc: keys.sEnc, mac: keys.sMac } }).begin().length, 14);
});

test('levels: exactly 01, 03, 11, 13, 31, 33; the INITIALIZE UPDATE response is 29 or 32 bytes of SCP03', () => {
  const allowed = [];
  for (let l = 0; l < 256; l++) if (isValidScp03Level(l)) allowed.push(l);
  assert.deepEqual(allowed, [0x01, 0x03, 0x11, 0x13, 0x31, 0x33]);
  const body = concat(new Uint8Array(10).fill(9), fromHex('300360'), new Uint8Array(16).fill(5));
  const r = parseInitializeUpdateResponse(body);
  assert.deepEqual(
    [
      toHex(r.keyDiversificationData),
      r.keyVersion,
      r.scpId,
      r.iParam,
      toHex(r.cardChallenge),
      toHex(r.cardCryptogram),
    ],
    ['09'.repeat(10), 0x30, 3, 0x60, '05'.repeat(8), '05'.repeat(8)],
  );
  assert.equal(parseInitializeUpdateResponse(concat(body, fromHex('000001'))).scpId, 3);
  for (const n of [28, 30, 31, 33]) {
    assert.throws(() => parseInitializeUpdateResponse(new Uint8Array(n).fill(3)), {
      code: 'SCP03_BAD_RESPONSE',
      message: `INITIALIZE UPDATE response has ${n} bytes, expected 29 or 32`,
    });
  }
  const scp02 = Uint8Array.from(body);
  scp02[11] = 2;
  assert.throws(() => parseInitializeUpdateResponse(scp02), {
    code: 'SCP03_BAD_RESPONSE',
    message: 'card offers SCP 2, not SCP03',
  });
});

test('the counter is 16 bytes big-endian: the 256th command’s ICV is AES(S-ENC, 00…01 00)', () => {
  const host = new Scp03Channel(keys, 0x03);
  const data = fromHex('5a5a');
  for (let n = 1; n < 256; n++) host.wrapCommand(command({ cla: 0x80, ins: 0xe2, data }));
  const w = host.wrapCommand(command({ cla: 0x80, ins: 0xe2, data }));
  assert.equal(
    toHex(w.data.subarray(0, 16)),
    toHex(cbc(keys.sEnc, ecb(keys.sEnc, counter(256)), pad(data))),
  );
});

test('a command sent extended keeps the 3-byte Lc in its MAC, however short', () => {
  const data = fromHex('a0a1a2');
  const w = new Scp03Channel(keys, 0x01).wrapCommand(
    command({ cla: 0x80, ins: 0xe2, data, extended: true }),
  );
  assert.equal(w.extended, true);
  const mac = aesCmac(keys.sMac, concat(new Uint8Array(16), fromHex('84e2000000000b'), data));
  assert.equal(toHex(w.data), toHex(concat(data, mac.subarray(0, 8))));
  assert.equal(toHex(new Scp03Channel(keys, 0x01).unwrapCommand(w).data), toHex(data));
});
