import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApduError,
  CardStatusError,
  SW,
  aid,
  aidHex,
  command,
  describeStatusWord,
  encodeCommand,
  encodeResponse,
  expectOk,
  fromHex,
  isValidStatusWord,
  ok,
  parseCommand,
  parseResponse,
  status,
  statusWordMessage,
  swTriesLeft,
  toHex,
} from '@myna-ap/apdu';

test('short case 3: SELECT JPKI AP by DF name round-trips', () => {
  const b = fromHex('00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01');
  const c = parseCommand(b);
  assert.equal(c.ins, 0xa4);
  assert.equal(c.data.length, 10);
  assert.equal(c.ne, undefined);
  assert.equal(toHex(encodeCommand(c)), toHex(b));
});

test('short case 2: Le 00 means 256', () => {
  assert.equal(parseCommand(fromHex('00B0000000')).ne, 256);
});

test('extended case 4 round-trips', () => {
  const c = command({ ins: 0x2a, p1: 0x9e, p2: 0x9a, data: new Uint8Array(300), ne: 65536 });
  const b = encodeCommand(c);
  assert.equal(b.length, 4 + 3 + 300 + 2);
  assert.deepEqual(parseCommand(b), c);
});

test('Lc that does not match the body is ApduError', () => {
  assert.throws(() => parseCommand(fromHex('00A4040C05D392')), ApduError);
  assert.throws(() => parseCommand(fromHex('00A4')), ApduError);
  assert.throws(() => parseCommand(fromHex('00A4040C0000')), ApduError);
});

const codeIs = (c: string) => (e: unknown) => e instanceof ApduError && e.code === c;

test('every ISO 7816-4 case, short and extended, parses to the right fields and re-encodes', () => {
  const cases: [string, number, number | undefined, boolean][] = [
    ['00A40000', 0, undefined, false], // 1
    ['00B0000011', 0, 17, false], // 2S
    ['00B0000000', 0, 256, false], // 2S, Le 00 = 256
    ['00B0000000 0100', 0, 256, true], // 2E
    ['00B0000000 0000', 0, 65536, true], // 2E, Le 0000 = 65536
    ['00A4020C02 0018', 2, undefined, false], // 3S
    ['00D6000000 0001 AA', 1, undefined, true], // 3E
    ['802A008003 010203 00', 3, 256, false], // 4S
    ['802A008000 0003 010203 0000', 3, 65536, true], // 4E
    ['802A008000 0003 010203 0101', 3, 257, true], // 4E
  ];
  for (const [hex, nc, ne, ext] of cases) {
    const b = fromHex(hex);
    const c = parseCommand(b);
    assert.equal(c.data.length, nc, hex);
    assert.equal(c.ne, ne, hex);
    assert.equal(c.extended, ext, hex);
    assert.equal(toHex(encodeCommand(c)), toHex(b), hex);
  }
});

test('command() picks the shortest form and checks fields', () => {
  assert.equal(toHex(encodeCommand(command({ ins: 0xb0, ne: 256 }))), '00b0000000');
  assert.equal(toHex(encodeCommand(command({ ins: 0xb0, ne: 257 }))), '00b00000000101');
  assert.equal(
    encodeCommand(command({ ins: 0xd6, data: new Uint8Array(256) })).length,
    4 + 3 + 256,
  );
  assert.equal(
    toHex(encodeCommand(command({ ins: 0xb0, ne: 1, extended: true }))),
    '00b00000000001',
  );
  // case 1 has no extended form
  assert.equal(command({ ins: 0x44, extended: true }).extended, false);
  assert.equal(toHex(encodeCommand(command({ ins: 0x44, extended: true }))), '00440000');
  assert.throws(() => command({ ins: 0x100 }), codeIs('APDU_BAD_FIELD'));
  assert.throws(() => command({ ins: 0xb0, cla: -1 }), codeIs('APDU_BAD_FIELD'));
  assert.throws(() => command({ ins: 0xb0, ne: 0 }), codeIs('APDU_BAD_FIELD'));
  assert.throws(() => command({ ins: 0xb0, ne: 65537 }), codeIs('APDU_BAD_FIELD'));
  assert.throws(() => command({ ins: 0xd6, data: new Uint8Array(65536) }), codeIs('APDU_TOO_LONG'));
});

test('encodeCommand checks hand-built objects and promotes to extended when needed', () => {
  const base = { cla: 0, ins: 0xd6, p1: 0, p2: 0, ne: undefined, extended: false };
  assert.equal(encodeCommand({ ...base, data: new Uint8Array(300) }).length, 4 + 3 + 300);
  assert.equal(
    toHex(encodeCommand({ ...base, data: new Uint8Array(0), ne: 300 })),
    '00d60000' + '00012c',
  );
  assert.throws(
    () => encodeCommand({ ...base, data: new Uint8Array(0), p1: 256 }),
    codeIs('APDU_BAD_FIELD'),
  );
  assert.throws(
    () => encodeCommand({ ...base, data: new Uint8Array(0), ne: 0 }),
    codeIs('APDU_BAD_FIELD'),
  );
  assert.throws(
    () => encodeCommand({ ...base, data: new Uint8Array(70000) }),
    codeIs('APDU_TOO_LONG'),
  );
});

test('malformed command APDUs carry their code', () => {
  for (const [hex, c] of [
    ['', 'APDU_TOO_SHORT'],
    ['00A404', 'APDU_TOO_SHORT'],
    ['00A4040C05D392', 'APDU_BAD_LENGTH'], // Lc 5, 2 bytes
    ['00A4040C02D39200FF', 'APDU_BAD_LENGTH'], // 2 bytes too many
    ['00B000000001', 'APDU_BAD_LENGTH'], // 00 then 1 byte: neither 2E nor 3S
    ['00D6000000000001', 'APDU_BAD_LENGTH'], // extended Lc 0
    ['00D60000000002AA', 'APDU_BAD_LENGTH'], // extended Lc 2, 1 byte
    ['00D60000000001AABB', 'APDU_BAD_LENGTH'], // 1 byte after data: no 1-byte extended Le
  ] as const) {
    assert.throws(() => parseCommand(fromHex(hex)), codeIs(c), hex);
  }
});

test('responses: split, strict status words, encode checks', () => {
  const r = parseResponse(fromHex('0102 9000'));
  assert.equal(toHex(r.data), '0102');
  assert.equal(r.sw, SW.OK);
  assert.equal(toHex(encodeResponse(r)), '01029000');
  assert.throws(() => parseResponse(fromHex('90')), codeIs('RESPONSE_TOO_SHORT'));
  assert.equal(parseResponse(fromHex('0000')).sw, 0); // lenient by default
  for (const bad of ['0000', '6000', '7000', 'A000', 'FFFF']) {
    assert.throws(
      () => parseResponse(fromHex(bad), { strict: true }),
      codeIs('RESPONSE_BAD_SW'),
      bad,
    );
  }
  assert.equal(parseResponse(fromHex('63C2'), { strict: true }).sw, 0x63c2);
  assert.throws(
    () => encodeResponse({ data: new Uint8Array(0), sw: 0x10000 }),
    codeIs('APDU_BAD_FIELD'),
  );
  assert.throws(() => expectOk(status(SW.PIN_LOCKED), 'VERIFY'), CardStatusError);
  assert.equal(toHex(expectOk(ok(fromHex('AA')), 'READ')), 'aa');
});

test('status words: names in English and Japanese, tries left', () => {
  assert.equal(describeStatusWord(0x6984), '6984 reference data not usable (PIN locked)');
  assert.equal(describeStatusWord(0x6a84, 'ja'), '6A84 空き容量不足');
  assert.equal(describeStatusWord(0x6983), '6983 authentication method blocked (PIN locked)');
  assert.equal(describeStatusWord(0x63c1), '63C1 verification failed, 1 try left');
  assert.equal(describeStatusWord(0x63c0, 'ja'), '63C0 照合不一致（残り0回）');
  assert.equal(describeStatusWord(0x6310), '6310 more data available');
  assert.equal(describeStatusWord(0x6c10), '6C10 wrong Le, exact length is 16');
  assert.equal(describeStatusWord(0x6123), '6123 35 response bytes still available');
  assert.equal(describeStatusWord(0x6fff), '6FFF unknown status');
  assert.deepEqual(statusWordMessage(0x6a82), {
    en: '6A82 file or application not found',
    ja: '6A82 ファイル／アプリケーションなし',
  });
  assert.equal(swTriesLeft(0x63c3), 3);
  assert.equal(swTriesLeft(0x6983), undefined);
  assert.equal(isValidStatusWord(0x9000), true);
  assert.equal(isValidStatusWord(0x6000), false);
  // every named SW constant is a valid status word with a name
  for (const [k, v] of Object.entries(SW)) {
    assert.ok(isValidStatusWord(v), k);
    assert.ok(!describeStatusWord(v).endsWith('unknown status'), k);
  }
});

test('AIDs are 5 to 16 bytes', () => {
  assert.equal(aidHex(aid('D392F000260100000001')), 'D392F000260100000001');
  assert.throws(() => aid('D392F000'), codeIs('APDU_BAD_FIELD'));
  assert.throws(() => aid(new Uint8Array(17)), codeIs('APDU_BAD_FIELD'));
  assert.throws(() => fromHex('0G'), codeIs('BAD_HEX'));
  assert.throws(() => fromHex('012'), codeIs('BAD_HEX'));
});
