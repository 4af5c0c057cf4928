/**
 * The card's INSTALL rules on raw bytes: what a loading system (or anyone holding the
 * area keys) could send, not only what the host helper makes. Every refusal is a
 * status word the sender sees; a refused install builds nothing. The card-level tests
 * (freeArea.test.ts) show the same status words on the wire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CARD_AP_LOAD_FILE_AID,
  EF_TAG,
  INSTALL_TAG,
  SW,
  cardApModuleAid,
  concat,
  encodeGpTlv,
  toHex,
  type CardApType,
} from '@myna-ap/apdu';
import {
  buildCardAp,
  isRefusal,
  parseInstallHeader,
  parsePersonalizeHeader,
  parsePinReset,
  type InstallHeader,
  type Refusal,
} from '../src/freeArea/install.ts';
import type { CardApImage } from '../src/freeArea/image.ts';
import { pinMatches } from '../src/image.ts';

const b = (...x: number[]) => Uint8Array.from(x);
const fill = (n: number, v = 0x41) => new Uint8Array(n).fill(v);
const lv = (v: Uint8Array) => concat(b(v.length), v);
const tlv = encodeGpTlv;
const u16 = (n: number) => b(n >> 8, n & 0xff);
const ascii = (s: string) => new TextEncoder().encode(s);

const AID = b(0xd3, 0x92, 0x00, 0x00, 0x01, 0x01);
const PROVIDER = ascii('PROV1');
const USER_ID = fill(13, 0x55);
const ENC = fill(16, 0x11);
const MAC = fill(16, 0x22);

/** INSTALL [for install] data field, every part overridable. */
function installData(
  o: {
    elf?: Uint8Array;
    module?: Uint8Array;
    aid?: Uint8Array;
    privileges?: Uint8Array;
    params?: Uint8Array;
    c9?: Uint8Array;
    token?: Uint8Array;
    after?: Uint8Array;
  } = {},
): Uint8Array {
  const c9 = o.c9 ?? concat(tlv(INSTALL_TAG.SIZE, u16(33)), tlv(INSTALL_TAG.PROVIDER, PROVIDER));
  return concat(
    lv(o.elf ?? CARD_AP_LOAD_FILE_AID),
    lv(o.module ?? cardApModuleAid('C')),
    lv(o.aid ?? AID),
    lv(o.privileges ?? b(0)),
    lv(o.params ?? tlv(0xc9, c9)),
    lv(o.token ?? new Uint8Array(0)),
    o.after ?? new Uint8Array(0),
  );
}

const refusedWith = (r: unknown, sw: number, what: string) => {
  assert.ok(isRefusal(r), `${what}: not refused`);
  assert.equal((r as Refusal).refused, sw, what);
};
const WRONG = SW.WRONG_DATA;

test('INSTALL header: the fields are read as sent', () => {
  const h = parseInstallHeader(
    installData({
      module: cardApModuleAid('A'),
      c9: concat(
        tlv(INSTALL_TAG.SIZE, u16(0x0123)),
        tlv(INSTALL_TAG.USER_ID, USER_ID),
        tlv(INSTALL_TAG.PROVIDER, PROVIDER),
        tlv(INSTALL_TAG.STREAM_LENGTH, u16(0x0201)),
      ),
    }),
  );
  assert.ok(!isRefusal(h));
  assert.equal(h.type, 'A');
  assert.equal(toHex(h.aid), toHex(AID));
  assert.equal(h.size, 0x0123);
  assert.equal(toHex(h.providerId), toHex(PROVIDER));
  assert.equal(h.streamLength, 0x0201);
  // Size, provider and stream length are the header's; the rest stays a parameter.
  assert.equal(toHex(h.params), toHex(tlv(INSTALL_TAG.USER_ID, USER_ID)));
  // Without a stream length the install is complete in the INSTALL itself.
  const whole = parseInstallHeader(installData());
  assert.ok(!isRefusal(whole));
  assert.equal(whole.streamLength, 0);
  assert.equal(whole.params.length, 0);
  for (const t of ['A', 'C', 'D', 'custom'] as const) {
    const r = parseInstallHeader(installData({ module: cardApModuleAid(t) }));
    assert.ok(!isRefusal(r) && r.type === t, t);
  }
});

test('INSTALL header: missing or trailing bytes, wrong load file or module, AID length, privileges', () => {
  refusedWith(parseInstallHeader(installData({ after: b(0x00) })), WRONG, 'a trailing byte');
  const good = installData();
  refusedWith(parseInstallHeader(good.subarray(0, good.length - 1)), WRONG, 'no token length');
  refusedWith(parseInstallHeader(new Uint8Array(0)), WRONG, 'empty');
  refusedWith(
    parseInstallHeader(concat(lv(CARD_AP_LOAD_FILE_AID), b(20), fill(3))),
    WRONG,
    'a length past the end',
  );
  const otherElf = concat(CARD_AP_LOAD_FILE_AID.subarray(0, 6), b(0x42));
  refusedWith(
    parseInstallHeader(installData({ elf: otherElf })),
    SW.REFERENCED_DATA_NOT_FOUND,
    'another load file',
  );
  refusedWith(
    parseInstallHeader(installData({ module: concat(CARD_AP_LOAD_FILE_AID, b(0x0b)) })),
    SW.REFERENCED_DATA_NOT_FOUND,
    'a module no type has',
  );
  for (const n of [5, 16]) {
    const r = parseInstallHeader(installData({ aid: fill(n, 0xd3) }));
    assert.ok(!isRefusal(r), `AID of ${n} bytes`);
  }
  for (const n of [0, 4, 17]) {
    refusedWith(parseInstallHeader(installData({ aid: fill(n, 0xd3) })), WRONG, `AID of ${n}`);
  }
  refusedWith(parseInstallHeader(installData({ privileges: b(1) })), WRONG, 'privilege 01');
  refusedWith(parseInstallHeader(installData({ privileges: b(0, 0) })), WRONG, '2 privileges');
  refusedWith(parseInstallHeader(installData({ privileges: b() })), WRONG, 'no privileges');
});

test('INSTALL header: the C9 parameters, one of each, size and provider in their limits', () => {
  const size = tlv(INSTALL_TAG.SIZE, u16(33));
  const prov = tlv(INSTALL_TAG.PROVIDER, PROVIDER);
  const cases: [string, Uint8Array][] = [
    ['params not TLV', installData({ params: b(0xc9, 0x05, 0x00) })],
    ['no C9', installData({ params: tlv(0xca, concat(size, prov)) })],
    ['two C9', installData({ params: concat(tlv(0xc9, concat(size, prov)), tlv(0xc9, size)) })],
    ['C9 content not TLV', installData({ c9: concat(size, b(0x82, 0x09)) })],
    ['no size', installData({ c9: prov })],
    ['size of 1 byte', installData({ c9: concat(tlv(INSTALL_TAG.SIZE, b(33)), prov) })],
    ['size 0', installData({ c9: concat(tlv(INSTALL_TAG.SIZE, u16(0)), prov) })],
    ['two sizes', installData({ c9: concat(size, size, prov) })],
    ['no provider', installData({ c9: size })],
    ['empty provider', installData({ c9: concat(size, tlv(INSTALL_TAG.PROVIDER, b())) })],
    ['17-byte provider', installData({ c9: concat(size, tlv(INSTALL_TAG.PROVIDER, fill(17))) })],
    ['two providers', installData({ c9: concat(size, prov, prov) })],
    [
      'stream length of 1 byte',
      installData({ c9: concat(size, prov, tlv(INSTALL_TAG.STREAM_LENGTH, b(9))) }),
    ],
    [
      'two stream lengths',
      installData({
        c9: concat(
          size,
          prov,
          tlv(INSTALL_TAG.STREAM_LENGTH, u16(9)),
          tlv(INSTALL_TAG.STREAM_LENGTH, u16(9)),
        ),
      }),
    ],
  ];
  for (const [what, data] of cases) refusedWith(parseInstallHeader(data), WRONG, what);
  for (const n of [1, 16]) {
    const r = parseInstallHeader(
      installData({ c9: concat(size, tlv(INSTALL_TAG.PROVIDER, fill(n))) }),
    );
    assert.ok(!isRefusal(r) && r.providerId.length === n, `provider of ${n} bytes`);
  }
  const one = parseInstallHeader(installData({ c9: concat(tlv(INSTALL_TAG.SIZE, u16(1)), prov) }));
  assert.ok(!isRefusal(one) && one.size === 1);
});

const header = (
  type: CardApType,
  size: number,
  params: Uint8Array = new Uint8Array(0),
): InstallHeader => ({
  type,
  aid: AID,
  size,
  providerId: PROVIDER,
  params,
  streamLength: 0,
});

const uid = tlv(INSTALL_TAG.USER_ID, USER_ID);
const keys = concat(tlv(INSTALL_TAG.KEY_ENC, ENC), tlv(INSTALL_TAG.KEY_MAC, MAC));
const pinTlv = (p: Uint8Array) => tlv(INSTALL_TAG.PIN, p);
const PIN = ascii('1234');
const secured = concat(uid, keys, pinTlv(PIN));

function built(
  type: CardApType,
  size: number,
  stream: Uint8Array,
  params?: Uint8Array,
): CardApImage {
  const r = buildCardAp(header(type, size, params), stream);
  assert.ok(!isRefusal(r), `${type}: refused ${isRefusal(r) ? r.refused.toString(16) : ''}`);
  return r;
}

test('type C: the header and user ID, then the provider items, within 33 bytes', () => {
  const item = tlv(0x81, ascii('info'));
  const ap = built('C', 33, concat(uid, tlv(INSTALL_TAG.DATA, item)));
  assert.equal(ap.binary, toHex(concat(b(0x80, 13), USER_ID, item)));
  assert.deepEqual(
    [ap.aid, ap.type, ap.size, ap.providerId, ap.userId],
    [toHex(AID), 'C', 33, toHex(PROVIDER), toHex(USER_ID)],
  );
  assert.equal(ap.pin, undefined);
  assert.equal(ap.keys, undefined);
  // Parameters given in C9 count as if they were in the stream.
  assert.equal(built('C', 33, new Uint8Array(0), uid).userId, toHex(USER_ID));
  // 2 + 13 + 18 = 33 bytes: exactly the size fits, one more byte does not.
  const full = tlv(INSTALL_TAG.DATA, tlv(0x81, fill(16)));
  assert.equal(built('C', 33, concat(uid, full)).binary!.length, 66);
  refusedWith(buildCardAp(header('C', 32), concat(uid, full)), WRONG, 'content over the size');
  refusedWith(buildCardAp(header('C', 34), uid), WRONG, 'size over the type C limit');
  // A provider item tagged 80 would look like a second user-ID header (ヘッダ).
  refusedWith(
    buildCardAp(header('C', 33), concat(uid, tlv(INSTALL_TAG.DATA, tlv(0x80, b(1))))),
    WRONG,
    'item tagged 80',
  );
  refusedWith(
    buildCardAp(header('C', 33), concat(uid, tlv(INSTALL_TAG.DATA, b(0x81, 0x05, 0x01)))),
    WRONG,
    'items not TLV',
  );
  for (const tag of [INSTALL_TAG.KEY_ENC, INSTALL_TAG.PIN, INSTALL_TAG.RECORD, INSTALL_TAG.EF]) {
    refusedWith(
      buildCardAp(header('C', 33), concat(uid, tlv(tag, fill(16)))),
      WRONG,
      `tag ${tag.toString(16)} in type C`,
    );
  }
});

test('every type: one user ID of 13 bytes, no field twice, the stream well formed', () => {
  for (const [type, size] of [
    ['C', 33],
    ['D', 255],
  ] as const) {
    const rest = type === 'C' ? new Uint8Array(0) : concat(keys, pinTlv(PIN));
    refusedWith(buildCardAp(header(type, size), rest), WRONG, `${type}: no user ID`);
    for (const n of [12, 14]) {
      refusedWith(
        buildCardAp(header(type, size), concat(tlv(INSTALL_TAG.USER_ID, fill(n)), rest)),
        WRONG,
        `${type}: user ID of ${n}`,
      );
    }
    refusedWith(buildCardAp(header(type, size), concat(uid, uid, rest)), WRONG, `${type}: 2 IDs`);
    refusedWith(
      buildCardAp(header(type, size), concat(uid, rest, b(0x88, 0x03))),
      WRONG,
      `${type}: truncated stream`,
    );
  }
  refusedWith(
    buildCardAp(header('D', 255), concat(secured, tlv(INSTALL_TAG.KEY_ENC, ENC))),
    WRONG,
    'two ENC keys',
  );
  refusedWith(
    buildCardAp(
      header('D', 255),
      concat(secured, tlv(INSTALL_TAG.DATA, b(1)), tlv(INSTALL_TAG.DATA, b(2))),
    ),
    WRONG,
    'two data fields',
  );
});

test('keys and PIN: both keys of 16 bytes, a PIN of 4 to 16 bytes, 1 to 15 tries given with it', () => {
  const pinOf = (ap: CardApImage) => ap.pin!;
  const ap = built('D', 255, secured);
  assert.deepEqual(ap.keys, { enc: toHex(ENC), mac: toHex(MAC) });
  assert.ok(pinMatches(pinOf(ap), PIN));
  assert.deepEqual([pinOf(ap).maxTries, pinOf(ap).triesLeft], [3, 3]);
  for (const n of [4, 16]) {
    const p = fill(n, 0x31);
    assert.ok(pinMatches(pinOf(built('D', 255, concat(uid, keys, pinTlv(p)))), p), `PIN of ${n}`);
  }
  for (const t of [1, 15]) {
    const withTries = concat(secured, tlv(INSTALL_TAG.PIN_TRIES, b(t)));
    assert.deepEqual(
      [pinOf(built('A', 255, withTries)).maxTries, pinOf(built('A', 255, withTries)).triesLeft],
      [t, t],
    );
  }
  const cases: [string, Uint8Array][] = [
    ['ENC without MAC', concat(uid, tlv(INSTALL_TAG.KEY_ENC, ENC), pinTlv(PIN))],
    ['MAC without ENC', concat(uid, tlv(INSTALL_TAG.KEY_MAC, MAC), pinTlv(PIN))],
    [
      'ENC of 15',
      concat(uid, tlv(INSTALL_TAG.KEY_ENC, fill(15)), tlv(INSTALL_TAG.KEY_MAC, MAC), pinTlv(PIN)),
    ],
    [
      'MAC of 17',
      concat(uid, tlv(INSTALL_TAG.KEY_ENC, ENC), tlv(INSTALL_TAG.KEY_MAC, fill(17)), pinTlv(PIN)),
    ],
    ['PIN of 3', concat(uid, keys, pinTlv(ascii('123')))],
    ['PIN of 17', concat(uid, keys, pinTlv(fill(17, 0x31)))],
    ['0 tries', concat(secured, tlv(INSTALL_TAG.PIN_TRIES, b(0)))],
    ['16 tries', concat(secured, tlv(INSTALL_TAG.PIN_TRIES, b(16)))],
    ['tries in 2 bytes', concat(secured, tlv(INSTALL_TAG.PIN_TRIES, b(3, 0)))],
    ['tries without a PIN', concat(uid, keys, tlv(INSTALL_TAG.PIN_TRIES, b(3)))],
    ['no keys', concat(uid, pinTlv(PIN))],
    ['no PIN', concat(uid, keys)],
  ];
  for (const type of ['A', 'D'] as const) {
    for (const [what, stream] of cases)
      refusedWith(buildCardAp(header(type, 255), stream), WRONG, `${type}: ${what}`);
  }
});

test('type D: user ID then data, zero-filled to the size, within 255 bytes', () => {
  const ap = built('D', 20, concat(secured, tlv(INSTALL_TAG.DATA, b(1, 2, 3))));
  assert.equal(ap.binary, toHex(concat(USER_ID, b(1, 2, 3), new Uint8Array(4))));
  assert.equal(
    built('D', 16, concat(secured, tlv(INSTALL_TAG.DATA, b(1, 2, 3)))).binary!.length,
    32,
  );
  refusedWith(
    buildCardAp(header('D', 15), concat(secured, tlv(INSTALL_TAG.DATA, b(1, 2, 3)))),
    WRONG,
    'data over the size',
  );
  assert.equal(built('D', 255, secured).binary!.length, 510);
  refusedWith(buildCardAp(header('D', 256), secured), WRONG, 'size over the type D limit');
  for (const tag of [INSTALL_TAG.RECORD, INSTALL_TAG.EF]) {
    refusedWith(
      buildCardAp(header('D', 255), concat(secured, tlv(tag, b(1)))),
      WRONG,
      `tag ${tag}`,
    );
  }
});

test('type A: record 1 is the user ID, records of 1 to 232 bytes, all within the size', () => {
  const rec = (r: Uint8Array) => tlv(INSTALL_TAG.RECORD, r);
  const ap = built('A', 40, concat(secured, rec(b(7)), rec(fill(26))));
  assert.deepEqual(ap.records, [toHex(USER_ID), '07', toHex(fill(26))]);
  refusedWith(
    buildCardAp(header('A', 39), concat(secured, rec(b(7)), rec(fill(26)))),
    WRONG,
    'over the size',
  );
  // The record limit (CARD_AP_MAX_RECORD) is the same at INSTALL and at UPDATE RECORD.
  assert.equal(built('A', 255, concat(secured, rec(fill(232)))).records![1], toHex(fill(232)));
  refusedWith(
    buildCardAp(header('A', 255), concat(secured, rec(fill(233)))),
    WRONG,
    'record of 233',
  );
  refusedWith(buildCardAp(header('A', 255), concat(secured, rec(b()))), WRONG, 'empty record');
  refusedWith(buildCardAp(header('A', 256), secured), WRONG, 'size over the type A limit');
  assert.deepEqual(built('A', 13, secured).records, [toHex(USER_ID)]);
  refusedWith(
    buildCardAp(header('A', 255), concat(secured, tlv(INSTALL_TAG.DATA, b(1)))),
    WRONG,
    'data field',
  );
});

const ef = (fid: number, size: number, access: number, content?: Uint8Array, extra?: Uint8Array) =>
  tlv(
    INSTALL_TAG.EF,
    concat(
      tlv(EF_TAG.FID, u16(fid)),
      tlv(EF_TAG.SIZE, u16(size)),
      tlv(EF_TAG.ACCESS, b(access)),
      content ? tlv(EF_TAG.CONTENT, content) : new Uint8Array(0),
      extra ?? new Uint8Array(0),
    ),
  );

test('custom card AP: its EFs as given, the user ID at the head of the first', () => {
  const ap = built(
    'custom',
    100,
    concat(uid, ef(0x0001, 20, 0, b(9, 9)), ef(0x00a1, 30, 1, b(5))),
    concat(keys, pinTlv(PIN)),
  );
  assert.deepEqual(ap.efs, [
    {
      fid: '0001',
      size: 20,
      access: 'free',
      data: toHex(concat(USER_ID, b(9, 9), new Uint8Array(5))),
    },
    { fid: '00A1', size: 30, access: 'protected', data: toHex(concat(b(5), new Uint8Array(29))) },
  ]);
  assert.deepEqual(ap.keys, { enc: toHex(ENC), mac: toHex(MAC) });
  assert.ok(pinMatches(ap.pin!, PIN));
  // Only free EFs: no keys needed; keys without protected EFs still allow authenticated writes.
  const open = built('custom', 13, concat(uid, ef(0x0001, 13, 0)));
  assert.equal(open.keys, undefined);
  assert.equal(open.pin, undefined);
  assert.equal(open.efs![0]!.data, toHex(USER_ID));
  assert.ok(built('custom', 13, concat(secured, ef(0x0001, 13, 0))).keys);
  assert.equal(
    built('custom', 40, concat(secured, ef(0x0001, 20, 0), ef(0x0002, 20, 2))).efs![1]!.access,
    'encrypted',
  );
  // 16 EFs at most, their sizes within the card AP's.
  const many = (n: number) => concat(...Array.from({ length: n }, (_, i) => ef(0x0100 + i, 13, 0)));
  assert.equal(built('custom', 16 * 13, concat(uid, many(16))).efs!.length, 16);
  refusedWith(buildCardAp(header('custom', 17 * 13), concat(uid, many(17))), WRONG, '17 EFs');
  refusedWith(
    buildCardAp(header('custom', 16 * 13 - 1), concat(uid, many(16))),
    WRONG,
    'EFs over the size',
  );
  assert.ok(built('custom', 4096, concat(uid, ef(0x0001, 4096, 0))));
  refusedWith(
    buildCardAp(header('custom', 4097), concat(uid, ef(0x0001, 4097, 0))),
    WRONG,
    'over 4096',
  );
});

test('custom card AP: every EF refusal', () => {
  const efRaw = (...parts: Uint8Array[]) => tlv(INSTALL_TAG.EF, concat(...parts));
  const fid = tlv(EF_TAG.FID, u16(1));
  const size = tlv(EF_TAG.SIZE, u16(20));
  const acc = tlv(EF_TAG.ACCESS, b(0));
  const cases: [string, Uint8Array][] = [
    ['no EF', uid],
    ['EF not TLV', concat(uid, tlv(INSTALL_TAG.EF, b(0x80, 0x05, 0x01)))],
    ['unknown EF tag', concat(uid, efRaw(fid, size, acc, tlv(0x84, b(1))))],
    ['no FID', concat(uid, efRaw(size, acc))],
    ['FID of 1 byte', concat(uid, efRaw(tlv(EF_TAG.FID, b(1)), size, acc))],
    ['FID 3F00 (MF)', concat(uid, ef(0x3f00, 20, 0))],
    ['FID FFFF', concat(uid, ef(0xffff, 20, 0))],
    ['FID 0000', concat(uid, ef(0x0000, 20, 0))],
    ['no size', concat(uid, efRaw(fid, acc))],
    ['size 0', concat(uid, ef(0x0001, 0, 0))],
    ['no access', concat(uid, efRaw(fid, size))],
    ['access 03', concat(uid, ef(0x0001, 20, 3))],
    ['access of 2 bytes', concat(uid, efRaw(fid, size, tlv(EF_TAG.ACCESS, b(0, 0))))],
    ['the same FID twice', concat(uid, ef(0x0001, 20, 0), ef(0x0001, 20, 0))],
    ['user ID and content over the first EF', concat(uid, ef(0x0001, 20, 0, fill(8)))],
    ['content over a later EF', concat(uid, ef(0x0001, 13, 0), ef(0x0002, 4, 0, fill(5)))],
    ['keys without a PIN', concat(uid, keys, ef(0x0001, 20, 0))],
    ['a PIN without keys', concat(uid, pinTlv(PIN), ef(0x0001, 20, 0))],
    ['a protected EF without keys', concat(uid, ef(0x0001, 20, 1))],
    ['an encrypted EF without keys', concat(uid, ef(0x0001, 20, 2))],
    [
      'a protected EF beside a free one, without keys',
      concat(uid, ef(0x0001, 20, 0), ef(0x0002, 20, 1)),
    ],
    ['tries without a PIN', concat(uid, tlv(INSTALL_TAG.PIN_TRIES, b(3)), ef(0x0001, 20, 0))],
    ['a later EF of size 0', concat(uid, ef(0x0001, 20, 0), ef(0x0002, 0, 0))],
    ['a data field', concat(uid, tlv(INSTALL_TAG.DATA, b(1)), ef(0x0001, 20, 0))],
    ['a record', concat(uid, tlv(INSTALL_TAG.RECORD, b(1)), ef(0x0001, 20, 0))],
  ];
  for (const [what, stream] of cases)
    refusedWith(buildCardAp(header('custom', 200), stream), WRONG, what);
  // At the limits: content that fills the EF exactly, a later EF holding content only.
  assert.ok(
    built('custom', 200, concat(uid, ef(0x0001, 20, 0, fill(7)), ef(0x0002, 5, 0, fill(5)))),
  );
  assert.equal(
    built('custom', 200, concat(uid, ef(0x0001, 13, 0), ef(0x0002, 1, 0))).efs![1]!.size,
    1,
  );
});

test('INSTALL for personalization: 00 00 L AID 00 00 00, nothing else', () => {
  const e = new Uint8Array(0);
  const data = (aid: Uint8Array, other = e) =>
    concat(lv(other), lv(e), lv(aid), lv(e), lv(e), lv(e));
  assert.equal(toHex(parsePersonalizeHeader(data(AID)) as Uint8Array), toHex(AID));
  refusedWith(parsePersonalizeHeader(concat(data(AID), b(0))), WRONG, 'a trailing byte');
  refusedWith(parsePersonalizeHeader(data(AID).subarray(0, 10)), WRONG, 'truncated');
  refusedWith(parsePersonalizeHeader(data(AID, b(1))), WRONG, 'a load file AID');
  refusedWith(
    parsePersonalizeHeader(concat(lv(e), lv(e), lv(AID), lv(e), lv(b(0xc9)), lv(e))),
    WRONG,
    'parameters',
  );
  refusedWith(parsePersonalizeHeader(data(fill(4))), WRONG, 'AID of 4');
  refusedWith(parsePersonalizeHeader(data(fill(17))), WRONG, 'AID of 17');
});

test('PIN reset stream: one new PIN of 4 to 16 bytes, at most one try count', () => {
  const reset = parsePinReset(pinTlv(PIN));
  assert.ok(!isRefusal(reset) && pinMatches(reset, PIN));
  assert.deepEqual([reset.maxTries, reset.triesLeft], [3, 3]);
  const seven = parsePinReset(concat(pinTlv(PIN), tlv(INSTALL_TAG.PIN_TRIES, b(7))));
  assert.ok(!isRefusal(seven) && seven.maxTries === 7 && seven.triesLeft === 7);
  assert.ok(!isRefusal(parsePinReset(pinTlv(fill(16, 0x31)))));
  const tries = (t: Uint8Array) => tlv(INSTALL_TAG.PIN_TRIES, t);
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['not TLV', b(0x86, 0x05, 0x31)],
    ['tries only', tries(b(3))],
    ['two PINs', concat(pinTlv(PIN), pinTlv(PIN))],
    ['two try counts', concat(pinTlv(PIN), tries(b(3)), tries(b(3)))],
    ['another tag', concat(pinTlv(PIN), uid)],
    ['PIN of 3', pinTlv(ascii('123'))],
    ['PIN of 17', pinTlv(fill(17, 0x31))],
    ['0 tries', concat(pinTlv(PIN), tries(b(0)))],
    ['16 tries', concat(pinTlv(PIN), tries(b(16)))],
    ['tries in 2 bytes', concat(pinTlv(PIN), tries(b(3, 0)))],
  ];
  for (const [what, stream] of cases) refusedWith(parsePinReset(stream), WRONG, what);
});

test('isRefusal tells a refusal from anything else', () => {
  assert.ok(isRefusal({ refused: SW.WRONG_DATA }));
  for (const x of [null, undefined, 0x6a80, 'refused', AID, {}])
    assert.equal(isRefusal(x), false, String(x));
});
