import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Scp03Channel,
  Scp03Error,
  Scp03Host,
  SCP03_DERIVATION,
  command,
  concat,
  deriveScp03SessionKeys,
  diversifyScp03Keys,
  encodeInitializeUpdateResponse,
  encodeResponse,
  fromHex,
  keyDiversificationData,
  parseCommand,
  parseResponse,
  scp03Cryptogram,
  scp03Kdf,
  toHex,
  TEST_AREA_MASTER_KEYS,
  type Scp03StaticKeys,
} from '../src/index.ts';

test('KDF: length, determinism, constants separate outputs; bad keys refused', () => {
  const k = fromHex('404142434445464748494a4b4c4d4e4f');
  const ctx = fromHex('0102030405060708');
  assert.equal(scp03Kdf(k, 4, ctx, 128).length, 16);
  assert.equal(scp03Kdf(k, 4, ctx, 256).length, 32);
  assert.deepEqual(scp03Kdf(k, 4, ctx, 128), scp03Kdf(k, 4, ctx, 128));
  assert.notDeepEqual(scp03Kdf(k, 4, ctx, 128), scp03Kdf(k, 6, ctx, 128));
  assert.throws(() => scp03Kdf(new Uint8Array(5), 4, ctx, 128), { code: 'SM_BAD_KEY' });
  assert.throws(() => scp03Kdf(k, 4, ctx, 12), { code: 'SM_BAD_KEY' });
});

test('diversification: per card and per area', () => {
  const master: Scp03StaticKeys = {
    enc: new Uint8Array(16).fill(1),
    mac: new Uint8Array(16).fill(2),
    dek: new Uint8Array(16).fill(3),
  };
  const k1 = keyDiversificationData(fromHex('0011223344556677'));
  const k2 = keyDiversificationData(fromHex('0011223344556678'));
  assert.equal(k1.length, 10);
  assert.notDeepEqual(diversifyScp03Keys(master, k1, 1).enc, diversifyScp03Keys(master, k2, 1).enc);
  assert.notDeepEqual(diversifyScp03Keys(master, k1, 1).mac, diversifyScp03Keys(master, k1, 2).mac);
  assert.throws(() => keyDiversificationData(new Uint8Array(4)), { code: 'SM_BAD_KEY' });
});

/** A minimal card end built from the shared channel, to test the host alone. */
function fakeCard(keys: Scp03StaticKeys) {
  let ch: Scp03Channel | undefined;
  let hc: Uint8Array = new Uint8Array(0);
  const cc = fromHex('a1a2a3a4a5a6a7a8');
  return (bytes: Uint8Array): Uint8Array => {
    const cmd = parseCommand(bytes);
    if (cmd.ins === 0x50) {
      hc = cmd.data;
      const s = deriveScp03SessionKeys(keys, hc, cc);
      ch = new Scp03Channel(s, 0);
      return encodeResponse({
        sw: 0x9000,
        data: encodeInitializeUpdateResponse({
          keyDiversificationData: new Uint8Array(10),
          keyVersion: 0x30,
          scpId: 3,
          iParam: 0x60,
          cardChallenge: cc,
          cardCryptogram: scp03Cryptogram(s.sMac, SCP03_DERIVATION.CARD_CRYPTOGRAM, hc, cc),
        }),
      });
    }
    if (cmd.ins === 0x82 && ch) {
      const s = ch.keys;
      const plain = ch.verifyExternalAuthenticate(cmd);
      const want = scp03Cryptogram(s.sMac, SCP03_DERIVATION.HOST_CRYPTOGRAM, hc, cc);
      assert.deepEqual(plain.data, want);
      assert.equal(ch.level, cmd.p1);
      return fromHex('9000');
    }
    if (!ch) return fromHex('6982');
    try {
      const inner = ch.unwrapCommand(cmd);
      return encodeResponse(
        ch.wrapResponse({ data: concat(fromHex('cafe'), inner.data), sw: 0x9000 }),
      );
    } catch (e) {
      return encodeResponse({ data: new Uint8Array(0), sw: (e as Scp03Error).sw });
    }
  };
}

const KEYS: Scp03StaticKeys = {
  enc: fromHex('404142434445464748494a4b4c4d4e4f'),
  mac: fromHex('505152535455565758595a5b5c5d5e5f'),
  dek: fromHex('606162636465666768696a6b6c6d6e6f'),
};

function open(level: number, keys = KEYS) {
  const card = fakeCard(KEYS);
  const host = new Scp03Host({ keys, level, hostChallenge: fromHex('0102030405060708') });
  const ea = host.onInitUpdateResponse(card(host.begin()));
  host.onExternalAuthResponse(card(ea));
  return { card, host };
}

test('host and card agree at every level, with encrypted commands and responses', () => {
  for (const level of [0x01, 0x03, 0x11, 0x13, 0x31, 0x33]) {
    const { card, host } = open(level);
    for (let i = 0; i < 3; i++) {
      const payload = Uint8Array.from({ length: 20 + i * 17 }, (_, j) => j ^ level);
      const res = host.unwrap(card(host.wrap(command({ cla: 0x80, ins: 0xe2, data: payload }))));
      assert.equal(res.sw, 0x9000);
      if (level & 0x10) assert.deepEqual(res.data, concat(fromHex('cafe'), payload));
    }
  }
});

test('C-DECRYPTION hides the data on the wire', () => {
  const { host } = open(0x33);
  const secret = new TextEncoder().encode('1234-secret-pin');
  const wire = host.wrap(command({ cla: 0x80, ins: 0x20, data: secret }));
  assert.equal(Buffer.from(wire).includes(Buffer.from(secret)), false);
});

test('wrong keys: the host refuses the card cryptogram', () => {
  const card = fakeCard(KEYS);
  const host = new Scp03Host({ keys: { ...KEYS, mac: new Uint8Array(16) } });
  assert.throws(() => host.onInitUpdateResponse(card(host.begin())), {
    code: 'SCP03_BAD_CARD_CRYPTOGRAM',
  });
});

test('a flipped bit anywhere in a MACed command is refused and closes the channel', () => {
  const probe = open(0x13);
  const len = probe.host.wrap(command({ cla: 0x80, ins: 0xe2, data: new Uint8Array(30) })).length;
  // every bit but the trailing Le, which GP leaves outside the MAC (it only sizes the answer)
  for (let bit = 0; bit < (len - 1) * 8; bit += 5) {
    const { card, host } = open(0x13);
    const w = host.wrap(command({ cla: 0x80, ins: 0xe2, data: new Uint8Array(30) }));
    const byte = bit >> 3;
    // the Lc byte changes the APDU's shape: the parser or the MAC refuses it
    w[byte]! ^= 1 << (bit & 7);
    let sw: number;
    try {
      sw = parseResponse(card(w)).sw;
    } catch {
      continue;
    }
    assert.ok(sw === 0x6988 || sw === 0x6982 || sw === 0x6700, `bit ${bit}: ${sw.toString(16)}`);
    // the card's end is closed: even a correct next command fails
    const next = host.wrap(command({ cla: 0x80, ins: 0xe2, data: new Uint8Array(1) }));
    assert.notEqual(parseResponse(card(next)).sw, 0x9000);
  }
});

test('a replayed command is refused', () => {
  const { card, host } = open(0x01);
  const w = host.wrap(command({ cla: 0x80, ins: 0xe2, data: fromHex('01') }));
  assert.equal(parseResponse(card(w)).sw, 0x9000);
  assert.equal(parseResponse(card(w)).sw, 0x6988);
});

test('a tampered response is refused by the host', () => {
  const { card, host } = open(0x33);
  const r = card(host.wrap(command({ cla: 0x80, ins: 0xe2, data: fromHex('0102') })));
  r[0]! ^= 0x80;
  assert.throws(() => host.unwrap(r), { code: 'SCP03_BAD_MAC' });
  assert.throws(() => host.wrap(command({ cla: 0x80, ins: 0xe2 })), { code: 'SCP03_NOT_OPEN' });
});

test('bad levels and misuse are typed errors', () => {
  assert.throws(() => new Scp03Host({ keys: KEYS, level: 0x02 }), { code: 'SCP03_BAD_LEVEL' });
  const h = new Scp03Host({ keys: KEYS });
  assert.throws(() => h.onInitUpdateResponse(fromHex('9000')), { code: 'SCP03_NOT_OPEN' });
  h.begin();
  assert.throws(() => h.onInitUpdateResponse(fromHex('0102039000')), {
    code: 'SCP03_BAD_RESPONSE',
  });
  const h2 = new Scp03Host({ keys: KEYS });
  h2.begin();
  assert.throws(() => h2.onInitUpdateResponse(fromHex('6a88')), { code: 'SCP03_CARD_REFUSED' });
});

test('known-answer values of packages/card/README.md (Free areas §10) (TEST keys, serial 00112233…EEFF)', () => {
  const kdd = keyDiversificationData(fromHex('00112233445566778899aabbccddeeff'));
  assert.equal(toHex(kdd), 'a8faed6abbf35c12a4b2');
  const k = diversifyScp03Keys(TEST_AREA_MASTER_KEYS.local, kdd, 1);
  assert.deepEqual(
    [toHex(k.enc), toHex(k.mac), toHex(k.dek)],
    [
      'a6c83b49f3e36338b15ed2be41561379',
      '85fea80ddf392320c1c864efe5df0d0b',
      '4c58008199f94fc156d2d87cbcd50c7d',
    ],
  );
  assert.equal(
    toHex(diversifyScp03Keys(TEST_AREA_MASTER_KEYS.extended, kdd, 2).enc),
    '9df1ed44363590e085ff7fd3971698d2',
  );
  const hc = fromHex('0102030405060708');
  const cc = fromHex('a1a2a3a4a5a6a7a8');
  const s = deriveScp03SessionKeys(k, hc, cc);
  assert.deepEqual(
    [toHex(s.sEnc), toHex(s.sMac), toHex(s.sRmac)],
    [
      'ede873eb412e9763c648f9bf1422a0f0',
      'eea71f744f1b6c5cca60585535a26545',
      '8dad74b9b0a7cb85cd5e637bc371d2a3',
    ],
  );
  assert.equal(toHex(scp03Cryptogram(s.sMac, 0, hc, cc)), '6217c340c7953e65');
  assert.equal(toHex(scp03Cryptogram(s.sMac, 1, hc, cc)), '9cfe2167ff33b2f8');
});

test('pipelined: commands wrapped with EXTERNAL AUTHENTICATE in one script; a stopped script leaves the host where the card is', () => {
  for (const level of [0x01, 0x13, 0x33]) {
    const card = fakeCard(KEYS);
    const host = new Scp03Host({ keys: KEYS, level, hostChallenge: fromHex('0102030405060708') });
    const ea = host.onInitUpdateResponse(card(host.begin()));
    const cmds = [1, 2, 3].map((n) =>
      command({ cla: 0x80, ins: 0xe2, data: Uint8Array.from({ length: 10 * n }, (_, j) => j) }),
    );
    const w = host.wrapAll(cmds);
    // The card runs EXTERNAL AUTHENTICATE and the first two; the script stops there.
    const eaAnswer = card(ea);
    const answers = w.apdus.slice(0, 2).map((a) => card(a));
    host.onExternalAuthResponse(eaAnswer);
    const out = w.unwrap(answers);
    assert.deepEqual(
      out.map((r) => r.sw),
      [0x9000, 0x9000],
    );
    if (level & 0x10) assert.deepEqual(out[1]!.data, concat(fromHex('cafe'), cmds[1]!.data));
    // The third was never sent: the next command chains on the second, as the card does.
    const next = host.unwrap(
      card(host.wrap(command({ cla: 0x80, ins: 0xe2, data: fromHex('01') }))),
    );
    assert.equal(next.sw, 0x9000, `level ${level.toString(16)}`);
    assert.throws(() => w.unwrap([...answers, answers[0]!, answers[0]!]), Scp03Error);
  }
});
