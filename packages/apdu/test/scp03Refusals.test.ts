// What the SCP03 channel refuses, with which code, message and status word, and what
// it leaves open or closed afterwards: both ends (Scp03Channel) and the host's steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Scp03Channel,
  Scp03Error,
  Scp03Host,
  SCP03_DERIVATION,
  command,
  deriveScp03SessionKeys,
  diversifyScp03Keys,
  encodeInitializeUpdateResponse,
  encodeResponse,
  fromHex,
  keyDiversificationData,
  parseCommand,
  scp03Cryptogram,
  scp03Kdf,
  type Scp03StaticKeys,
} from '../src/index.ts';

const KEYS: Scp03StaticKeys = {
  enc: fromHex('404142434445464748494a4b4c4d4e4f'),
  mac: fromHex('505152535455565758595a5b5c5d5e5f'),
  dek: fromHex('606162636465666768696a6b6c6d6e6f'),
};
const HC = fromHex('0102030405060708');
const CC = fromHex('a1a2a3a4a5a6a7a8');
const session = deriveScp03SessionKeys(KEYS, HC, CC);
const cmd = (data = fromHex('0102')) => command({ cla: 0x80, ins: 0xe2, data });

function scp(f: () => unknown, code: string, message: string, sw?: number) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof Scp03Error, String(e));
    assert.equal(e.name, 'Scp03Error');
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    if (sw !== undefined) assert.equal(e.sw, sw);
    return true;
  });
}

test('KDF: AES keys of 16, 24 and 32 bytes; output lengths 8 to 65528 bits in whole bytes', () => {
  for (const n of [16, 24, 32]) assert.equal(scp03Kdf(new Uint8Array(n), 4, HC, 128).length, 16);
  for (const n of [0, 15, 17, 33]) {
    assert.throws(() => scp03Kdf(new Uint8Array(n), 4, HC, 128), {
      code: 'SM_BAD_KEY',
      message: 'KDF key must be an AES key of 16, 24 or 32 bytes',
    });
  }
  assert.equal(scp03Kdf(KEYS.enc, 4, HC, 8).length, 1);
  assert.equal(scp03Kdf(KEYS.enc, 4, HC, 0xfff8).length, 0x1fff);
  for (const bits of [0, -8, 12, 0x10000]) {
    assert.throws(() => scp03Kdf(KEYS.enc, 4, HC, bits), {
      code: 'SM_BAD_KEY',
      message: `KDF output length ${bits} bits is not a whole number of bytes`,
    });
  }
  assert.throws(() => keyDiversificationData(new Uint8Array(7)), {
    code: 'SM_BAD_KEY',
    message: 'card serial of 7 bytes (< 8)',
  });
  for (const n of [9, 11]) {
    assert.throws(() => diversifyScp03Keys(KEYS, new Uint8Array(n), 1), {
      code: 'SM_BAD_KEY',
      message: 'key diversification data must be 10 bytes',
    });
  }
});

test('card end: no C-MAC, a MAC that does not verify, a closed channel; the channel stays closed', () => {
  const noSm = new Scp03Channel(session, 0x01);
  scp(
    () => noSm.unwrapCommand(command({ cla: 0x80, ins: 0xe2, data: new Uint8Array(10) })),
    'SCP03_BAD_MAC',
    'command carries no C-MAC',
    0x6982,
  );
  assert.equal(noSm.isOpen, false);
  scp(
    () => noSm.unwrapCommand(new Scp03Channel(session, 0x01).wrapCommand(cmd())),
    'SCP03_SESSION_CLOSED',
    'secure channel is closed',
  );
  const short = new Scp03Channel(session, 0x01);
  scp(
    () => short.unwrapCommand(command({ cla: 0x84, ins: 0xe2, data: new Uint8Array(7) })),
    'SCP03_BAD_MAC',
    'command carries no C-MAC',
  );
  // exactly a MAC and no data
  const host = new Scp03Channel(session, 0x33);
  const card = new Scp03Channel(session, 0x33);
  const w = host.wrapCommand(command({ cla: 0x80, ins: 0xca }));
  assert.equal(w.data.length, 8);
  assert.equal(card.unwrapCommand(w).data.length, 0);
  const bad = host.wrapCommand(cmd());
  bad.data[0]! ^= 1;
  scp(() => card.unwrapCommand(bad), 'SCP03_BAD_MAC', 'C-MAC does not verify', 0x6988);
  scp(() => card.verifyExternalAuthenticate(w), 'SCP03_SESSION_CLOSED', 'secure channel is closed');
  // close() closes for good, at both ends
  const c = new Scp03Channel(session, 0x33);
  assert.equal(c.isOpen, true);
  c.close();
  assert.equal(c.isOpen, false);
  scp(() => c.wrapCommand(cmd()), 'SCP03_SESSION_CLOSED', 'secure channel is closed');
  // the plain command is a copy: changing it leaves the wrapped one as it was
  const h2 = new Scp03Channel(session, 0x01);
  const w2 = h2.wrapCommand(cmd(fromHex('0a0b')));
  const before = Uint8Array.from(w2.data);
  new Scp03Channel(session, 0x01).unwrapCommand(w2).data.fill(0);
  assert.deepEqual(w2.data, before);
});

test('card end, C-DECRYPTION: data that is not whole blocks or has no 80 padding is refused (6988)', () => {
  // MACed by an end that does not encrypt: the MAC holds, the "ciphertext" does not
  const clear = new Scp03Channel(session, 0x01);
  const card = new Scp03Channel(session, 0x03);
  scp(
    () => card.unwrapCommand(clear.wrapCommand(cmd(new Uint8Array(15)))),
    'SCP03_BAD_PADDING',
    'encrypted data is not whole blocks',
    0x6988,
  );
  assert.equal(card.isOpen, false);
  const clear2 = new Scp03Channel(session, 0x01);
  const card2 = new Scp03Channel(session, 0x03);
  scp(
    () => card2.unwrapCommand(clear2.wrapCommand(cmd(new Uint8Array(16)))),
    'SCP03_BAD_PADDING',
    'decrypted data has no 80 padding',
    0x6988,
  );
  assert.equal(card2.isOpen, false);
  // EXTERNAL AUTHENTICATE is never encrypted, whatever the level in force
  const ea = new Scp03Channel(session, 0).macExternalAuthenticate(
    command({ cla: 0x80, ins: 0x82, p1: 0x33, data: HC }),
  );
  assert.deepEqual(new Scp03Channel(session, 0x33).verifyExternalAuthenticate(ea).data, HC);
});

test('host end, responses: no R-MAC, an R-MAC that does not verify, R-ENC not whole blocks or unpadded', () => {
  const h = new Scp03Channel(session, 0x33);
  scp(
    () => h.unwrapResponse({ data: new Uint8Array(7), sw: 0x6982 }),
    'SCP03_CARD_REFUSED',
    'response without R-MAC (SW 6982)',
    0x6982,
  );
  assert.equal(h.isOpen, false);
  scp(
    () => new Scp03Channel(session, 0x11).unwrapResponse({ data: new Uint8Array(0), sw: 0x0900 }),
    'SCP03_CARD_REFUSED',
    'response without R-MAC (SW 0900)',
  );
  // exactly an R-MAC, no data
  const card = new Scp03Channel(session, 0x33);
  const r = card.wrapResponse({ data: new Uint8Array(0), sw: 0x9000 });
  assert.equal(r.data.length, 8, 'nothing to encrypt: the R-MAC only');
  const out = new Scp03Channel(session, 0x33).unwrapResponse(r);
  assert.deepEqual(out, { data: new Uint8Array(0), sw: 0x9000 });
  const tampered = { data: Uint8Array.from(r.data), sw: 0x9000 };
  tampered.data[7]! ^= 1;
  const h2 = new Scp03Channel(session, 0x33);
  scp(() => h2.unwrapResponse(tampered), 'SCP03_BAD_MAC', 'R-MAC does not verify', 0x9000);
  assert.equal(h2.isOpen, false);
  // R-MACed by an end that does not encrypt responses
  const rmacOnly = new Scp03Channel(session, 0x11);
  const h3 = new Scp03Channel(session, 0x31);
  scp(
    () => h3.unwrapResponse(rmacOnly.wrapResponse({ data: new Uint8Array(15), sw: 0x9000 })),
    'SCP03_BAD_PADDING',
    'encrypted response is not whole blocks',
    0x9000,
  );
  assert.equal(h3.isOpen, false);
  const h4 = new Scp03Channel(session, 0x31);
  scp(
    () => h4.unwrapResponse(rmacOnly.wrapResponse({ data: new Uint8Array(16), sw: 0x6a80 })),
    'SCP03_BAD_PADDING',
    'response padding missing',
    0x6a80,
  );
  assert.equal(h4.isOpen, false);
  // R-MAC without R-ENC: the data comes back as a copy
  const r11 = new Scp03Channel(session, 0x11).wrapResponse({ data: fromHex('0102'), sw: 0x9000 });
  const got = new Scp03Channel(session, 0x11).unwrapResponse(r11);
  assert.deepEqual(got.data, fromHex('0102'));
  got.data.fill(0);
  assert.deepEqual(r11.data.subarray(0, 2), fromHex('0102'));
});

/** A card end for the host: INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, then echo. */
function card(opts: { refuseEa?: boolean; keyVersion?: number } = {}) {
  let ch: Scp03Channel | undefined;
  return (bytes: Uint8Array): Uint8Array => {
    const c = parseCommand(bytes);
    if (c.ins === 0x50) {
      const s = deriveScp03SessionKeys(KEYS, c.data, CC);
      ch = new Scp03Channel(s, 0);
      return encodeResponse({
        sw: 0x9000,
        data: encodeInitializeUpdateResponse({
          keyDiversificationData: new Uint8Array(10).fill(0x4b),
          keyVersion: opts.keyVersion ?? 0x30,
          scpId: 3,
          iParam: 0x60,
          cardChallenge: CC,
          cardCryptogram: scp03Cryptogram(s.sMac, SCP03_DERIVATION.CARD_CRYPTOGRAM, c.data, CC),
        }),
      });
    }
    if (c.ins === 0x82) {
      if (opts.refuseEa) return fromHex('6982');
      ch!.verifyExternalAuthenticate(c);
      return fromHex('9000');
    }
    try {
      const inner = ch!.unwrapCommand(c);
      if (inner.ins === 0xa4)
        return encodeResponse(ch!.wrapResponse({ data: new Uint8Array(0), sw: 0x6a82 }));
      return encodeResponse(ch!.wrapResponse({ data: inner.data, sw: 0x9000 }));
    } catch (e) {
      return encodeResponse({ data: new Uint8Array(0), sw: (e as Scp03Error).sw });
    }
  };
}

test('host steps: in order only, each refusal with its SW; open only after EXTERNAL AUTHENTICATE', () => {
  scp(
    () => new Scp03Host({ keys: KEYS, level: 0x02 }),
    'SCP03_BAD_LEVEL',
    'security level 2 is not allowed',
  );
  scp(
    () => new Scp03Host({ keys: KEYS, hostChallenge: new Uint8Array(7) }),
    'SCP03_BAD_RESPONSE',
    'host challenge must be 8 bytes',
  );
  const h = new Scp03Host({ keys: KEYS, hostChallenge: HC });
  scp(() => h.onInitUpdateResponse(fromHex('9000')), 'SCP03_NOT_OPEN', 'call begin() first');
  h.begin();
  scp(
    () => h.onInitUpdateResponse(fromHex('6a88')),
    'SCP03_CARD_REFUSED',
    'INITIALIZE UPDATE refused: SW 6a88',
    0x6a88,
  );
  const wrong = new Scp03Host({ keys: { ...KEYS, mac: new Uint8Array(16) }, hostChallenge: HC });
  scp(
    () => wrong.onInitUpdateResponse(card()(wrong.begin())),
    'SCP03_BAD_CARD_CRYPTOGRAM',
    'card cryptogram does not verify: wrong keys or not our card',
  );
  // EXTERNAL AUTHENTICATE answered before it was sent
  const early = new Scp03Host({ keys: KEYS });
  early.begin();
  scp(
    () => early.onExternalAuthResponse(fromHex('9000')),
    'SCP03_CARD_REFUSED',
    'EXTERNAL AUTHENTICATE refused: SW 9000',
  );
  // the card refuses EXTERNAL AUTHENTICATE: nothing can be wrapped any more
  const c = card({ refuseEa: true });
  const r = new Scp03Host({ keys: KEYS });
  const ea = r.onInitUpdateResponse(c(r.begin()));
  assert.equal(r.isOpen, false);
  scp(
    () => r.onExternalAuthResponse(c(ea)),
    'SCP03_CARD_REFUSED',
    'EXTERNAL AUTHENTICATE refused: SW 6982',
    0x6982,
  );
  assert.equal(r.isOpen, false);
  scp(() => r.wrap(cmd()), 'SCP03_NOT_OPEN', 'secure channel is not open');
  scp(
    () => r.onExternalAuthResponse(fromHex('9000')),
    'SCP03_CARD_REFUSED',
    'EXTERNAL AUTHENTICATE refused: SW 9000',
  );
});

test('host keys picked from the card’s diversification data and key version; what INITIALIZE UPDATE said is kept', () => {
  const seen: [string, number][] = [];
  const c = card({ keyVersion: 0x31 });
  const h = new Scp03Host({
    keys: (kdd, kvn) => {
      seen.push([Buffer.from(kdd).toString('hex'), kvn]);
      return KEYS;
    },
    level: 0x13,
  });
  assert.equal(
    new Scp03Host({ keys: KEYS }).initializeUpdate,
    undefined,
    'before the card said it',
  );
  const ea = h.onInitUpdateResponse(c(h.begin()));
  assert.deepEqual(seen, [['4b'.repeat(10), 0x31]]);
  assert.equal(h.initializeUpdate?.keyVersion, 0x31);
  assert.deepEqual(h.initializeUpdate?.cardChallenge, CC);
  // pipelined: commands may be wrapped now, answers only unwrapped once it is open
  const w = h.wrapAll([cmd(), cmd(fromHex('03'))]);
  const eaAnswer = c(ea);
  const answers = w.apdus.map((a) => c(a));
  scp(() => w.unwrap(answers), 'SCP03_NOT_OPEN', 'secure channel is not open');
  h.onExternalAuthResponse(eaAnswer);
  assert.equal(h.isOpen, true);
  assert.deepEqual(
    w.unwrap(answers).map((x) => Buffer.from(x.data).toString('hex')),
    ['0102', '03'],
    'as many answers as commands',
  );
  scp(() => w.unwrap([...answers, answers[0]!]), 'SCP03_BAD_RESPONSE', '3 answers to 2 commands');
  assert.equal(h.unwrap(c(h.wrap(cmd(fromHex('04'))))).sw, 0x9000);
});

test('a script the card never ran leaves the host where it was', () => {
  const c = card();
  const h = new Scp03Host({ keys: KEYS, level: 0x33 });
  h.onExternalAuthResponse(c(h.onInitUpdateResponse(c(h.begin()))));
  const w = h.wrapAll([cmd(), cmd()]);
  assert.deepEqual(w.unwrap([]), []);
  assert.deepEqual(h.unwrap(c(h.wrap(cmd(fromHex('05'))))).data, fromHex('05'));
});

test('without R-MAC a bare 6982 or 6988 is the card closing its end; another bare status is an answer', () => {
  for (const level of [0x01, 0x03]) {
    const c = card();
    const h = new Scp03Host({ keys: KEYS, level });
    h.onExternalAuthResponse(c(h.onInitUpdateResponse(c(h.begin()))));
    // a status of the command itself: the channel stays open
    assert.deepEqual(
      h.unwrap(c(h.wrap(command({ cla: 0x00, ins: 0xa4, data: fromHex('3f00') })))).sw,
      0x6a82,
    );
    assert.equal(h.isOpen, true);
    assert.deepEqual(
      h.unwrap(fromHex('01026982')),
      { data: fromHex('0102'), sw: 0x6982 },
      'with data it is an answer',
    );
    assert.equal(h.isOpen, true);
    for (const sw of ['6982', '6988']) {
      const c2 = card();
      const h2 = new Scp03Host({ keys: KEYS, level });
      h2.onExternalAuthResponse(c2(h2.onInitUpdateResponse(c2(h2.begin()))));
      assert.equal(h2.unwrap(fromHex(sw)).sw, parseInt(sw, 16));
      assert.equal(h2.isOpen, false, `${level.toString(16)}: ${sw} closes`);
      scp(() => h2.wrap(cmd()), 'SCP03_NOT_OPEN', 'secure channel is not open');
    }
  }
  // with R-MAC the same bare status is a refusal the host reports
  const c = card();
  const h = new Scp03Host({ keys: KEYS, level: 0x11 });
  h.onExternalAuthResponse(c(h.onInitUpdateResponse(c(h.begin()))));
  scp(
    () => h.unwrap(fromHex('6982')),
    'SCP03_CARD_REFUSED',
    'response without R-MAC (SW 6982)',
    0x6982,
  );
  assert.equal(h.isOpen, false);
});
