import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApduError,
  concat,
  encodeTlv,
  encodeTlvConstructed,
  encodeTlvLength,
  encodeTlvNode,
  findAllTags,
  findPath,
  findTag,
  formatTlv,
  fromHex,
  isConstructedTag,
  MYNA_OPAQUE_TAGS,
  parseTlv,
  peekTlvHeader,
  parseTlvAll,
  tagBytes,
  tagClassOf,
  tagHex,
  tagNumberOf,
  toHex,
} from '@myna-ap/apdu';

const code = (c: string) => (e: unknown) => e instanceof ApduError && e.code === c;
const utf8 = (s: string) => new TextEncoder().encode(s);

/** EF 0002 of the 券面事項入力補助AP as CARD.md lays it out. */
function basicInfo(): Uint8Array {
  const name = encodeTlv(0xdf22, utf8('番号　花子'));
  const address = encodeTlv(0xdf23, utf8('東京都千代田区1-1'));
  const birth = encodeTlv(0xdf24, utf8('19900102'));
  const sex = encodeTlv(0xdf25, utf8('2'));
  // offsets of each field's tag from the file start: FF 20 L (3) + DF 21 08 .. (11)
  let at = 3 + 11;
  const offs: number[] = [];
  for (const f of [name, address, birth, sex]) {
    offs.push(at >> 8, at & 0xff);
    at += f.length;
  }
  return encodeTlvConstructed(0xff20, [
    encodeTlv(0xdf21, Uint8Array.from(offs)),
    name,
    address,
    birth,
    sex,
  ]);
}

test('EF 0002 (4 basic info): FF 20 / DF 2x parse, keep their high-tag bytes and re-encode identically', () => {
  const ef = basicInfo();
  assert.equal(toHex(ef.subarray(0, 2)), 'ff20');
  const root = parseTlv(ef);
  assert.equal(root.tag, 0xff20);
  assert.equal(root.constructed, true);
  assert.deepEqual(
    root.children?.map((c) => tagHex(c.tag)),
    ['DF21', 'DF22', 'DF23', 'DF24', 'DF25'],
  );
  const name = findPath(root, [0xff20, 0xdf22]);
  assert.equal(new TextDecoder().decode(name?.value), '番号　花子');
  // the DF21 offsets point at each field's tag
  const offs = findTag(root, 0xdf21)!.value;
  for (let i = 0; i < 4; i++) {
    const off = (offs[2 * i]! << 8) | offs[2 * i + 1]!;
    assert.equal(root.children![i + 1]!.offset, off);
  }
  assert.equal(toHex(encodeTlvNode(root)), toHex(ef));
  assert.equal(toHex(encodeTlvNode({ tag: root.tag, children: root.children })), toHex(ef));
});

test('FF 10 (tag number 16 in high-tag form): EF 0001 with FF FF fill parses leniently', () => {
  const ef = concat(fromHex('FF100C'), utf8('123456789018'), fromHex('FFFF'));
  assert.equal(ef.length, 17);
  // FF has the constructed bit, but the value is 12 ASCII digits, not data objects
  assert.throws(() => parseTlv(ef, { strict: false }), code('TLV_TRUNCATED'));
  assert.throws(() => parseTlv(ef, { opaque: MYNA_OPAQUE_TAGS }), code('TLV_TRAILING_BYTES'));
  const n = parseTlv(ef, { strict: false, opaque: MYNA_OPAQUE_TAGS });
  assert.equal(n.children, undefined);
  const tried = parseTlv(ef, { strict: false, children: 'try' });
  assert.equal(tried.children, undefined);
  assert.equal(toHex(tried.value), toHex(n.value));
  assert.equal(n.tag, 0xff10);
  assert.equal(tagNumberOf(n.tag), 16);
  assert.equal(tagClassOf(n.tag), 'private');
  // FF is the constructed bit set; the card uses it for a primitive-looking value.
  assert.equal(n.constructed, true);
  assert.equal(n.end, 15);
  assert.equal(toHex(encodeTlv(0xff10, n.value)), toHex(ef.subarray(0, 15)));
});

test('long lengths: 81, 82 and 83 forms parse; encoding is minimal', () => {
  for (const [len, head] of [
    [0x7f, '7f'],
    [0x80, '8180'],
    [0xff, '81ff'],
    [0x100, '820100'],
    [0x14b, '82014b'],
    [0x10000, '83010000'],
  ] as const) {
    assert.equal(toHex(encodeTlvLength(len)), head);
    const b = encodeTlv(0xdf33, new Uint8Array(len));
    const n = parseTlv(b);
    assert.equal(n.value.length, len);
    assert.equal(n.headerLength, 2 + head.length / 2);
  }
  assert.equal(toHex(encodeTlvLength(0x1000000)), '8401000000');
});

test('non-minimal lengths are accepted on parse and re-encoded minimally', () => {
  const n = parseTlv(fromHex('5A 81 02 0102'));
  assert.equal(toHex(n.value), '0102');
  assert.equal(n.headerLength, 3);
  assert.equal(toHex(encodeTlv(n.tag, n.value)), '5a020102');
  assert.equal(toHex(parseTlv(fromHex('5A 83 000001 AA')).value), 'aa');
});

test('EF 0003 layout: FF 30 82 01 4B with a DF 33 82 01 00 signature', () => {
  const ef = encodeTlvConstructed(0xff30, [
    { tag: 0xdf31, value: new Uint8Array(32).fill(1) },
    { tag: 0xdf32, value: new Uint8Array(32).fill(2) },
    { tag: 0xdf33, value: new Uint8Array(256).fill(3) },
  ]);
  assert.equal(ef.length, 336);
  assert.equal(toHex(ef.subarray(0, 5)), 'ff3082014b');
  const sig = findTag(parseTlv(ef), 0xdf33)!;
  assert.equal(sig.value.length, 256);
  assert.equal(sig.offset, 5 + 35 + 35);
  assert.equal(sig.headerLength, 5);
});

test('parseTlvAll: sequences, empty input, padding and lenient tail', () => {
  const seq = fromHex('4F 02 A000 50 01 41');
  assert.deepEqual(
    parseTlvAll(seq).map((n) => [tagHex(n.tag), toHex(n.value)]),
    [
      ['4F', 'a000'],
      ['50', '41'],
    ],
  );
  assert.deepEqual(parseTlvAll(new Uint8Array(0)), []);
  const padded = fromHex('00 4F 01 AA 00 00 50 00 00');
  assert.throws(() => parseTlvAll(padded), code('TLV_TRUNCATED')); // 00 read as a tag
  assert.deepEqual(
    parseTlvAll(padded, { padding: true }).map((n) => tagHex(n.tag)),
    ['4F', '50'],
  );
  assert.equal(parseTlv(fromHex('0000 4F01AA 00'), { padding: true }).tag, 0x4f);
  const tail = concat(seq, fromHex('5F 20 05 01'));
  assert.throws(() => parseTlvAll(tail), code('TLV_TRUNCATED'));
  assert.equal(parseTlvAll(tail, { strict: false }).length, 2);
});

test('three- and four-byte tags; X.690 numbers and classes', () => {
  const t3 = parseTlv(fromHex('9F 81 01 01 07'));
  assert.equal(t3.tag, 0x9f8101);
  assert.equal(tagNumberOf(t3.tag), 129);
  assert.equal(tagClassOf(t3.tag), 'context');
  assert.equal(parseTlv(fromHex('5F 81 82 03 00')).tag, 0x5f818203);
  assert.equal(tagNumberOf(0x5f24), 36);
  assert.equal(tagNumberOf(0x6f), 15);
  assert.equal(tagClassOf(0x6f), 'application');
  assert.equal(tagClassOf(0x04), 'universal');
  assert.equal(isConstructedTag(0x7f21), true);
  assert.equal(isConstructedTag(0x5f24), false);
  assert.equal(toHex(tagBytes(0xdf21)), 'df21');
  assert.equal(tagHex(0x4f), '4F');
});

test('every malformed input is an ApduError with its TLV_* code', () => {
  const cases: [string, string][] = [
    ['', 'TLV_EMPTY'],
    ['5F', 'TLV_TRUNCATED'], // tag cut inside
    ['5F 81', 'TLV_TRUNCATED'], // subsequent byte says more follows
    ['4F', 'TLV_TRUNCATED'], // no length
    ['4F 82 01', 'TLV_TRUNCATED'], // length field cut
    ['4F 03 0102', 'TLV_TRUNCATED'], // value cut
    ['4F 84 FFFFFFFF 00', 'TLV_TRUNCATED'], // huge length
    ['5F 80 01 01 00', 'TLV_BAD_TAG'], // first subsequent byte 80
    ['5F 81 81 81 01 00', 'TLV_BAD_TAG'], // 5-byte tag
    ['4F 85 0000000001 00', 'TLV_BAD_LENGTH'],
    ['4F FF', 'TLV_BAD_LENGTH'],
    ['6F 80 4F0100 0000', 'TLV_INDEFINITE_LENGTH'],
    ['4F 01 AA BB', 'TLV_TRAILING_BYTES'],
    ['6F 03 4F 02 AA', 'TLV_TRUNCATED'], // child overruns its parent
    ['6F 04 4F 01 AA BB', 'TLV_TRUNCATED'], // garbage inside a constructed value
  ];
  for (const [hex, c] of cases) {
    assert.throws(() => parseTlv(fromHex(hex)), code(c), `${hex} → ${c}`);
  }
  assert.throws(() => parseTlv(fromHex('4F00'), { maxDepth: 0 }), code('TLV_BAD_OPTION'));
  // a constructed value stays strict even when the caller is lenient
  assert.throws(
    () => parseTlv(fromHex('6F 04 4F 01 AA BB'), { strict: false }),
    code('TLV_TRUNCATED'),
  );
});

test('nesting bombs stop at the depth limit, even in lenient mode', () => {
  let b: Uint8Array = fromHex('04 00');
  for (let i = 0; i < 40; i++) b = encodeTlv(0x30, b);
  assert.throws(() => parseTlv(b), code('TLV_TOO_DEEP'));
  assert.throws(() => parseTlvAll(b, { strict: false }), code('TLV_TOO_DEEP'));
  // the innermost 04 00 has 40 ancestors
  assert.equal(parseTlv(b, { maxDepth: 40 }).tag, 0x30);
  assert.throws(() => parseTlv(b, { maxDepth: 39 }), code('TLV_TOO_DEEP'));
  assert.throws(() => parseTlv(b, { children: 'try' }), code('TLV_TOO_DEEP'));
  // a deep but legal chain of 2-byte headers: 10,000 levels is refused quickly
  const deep = new Uint8Array(20000);
  for (let i = 0; i < 10000; i++) {
    deep[2 * i] = 0x30;
    deep[2 * i + 1] = 0x81; // truncated long length: never read that far
  }
  assert.throws(() => parseTlv(deep), ApduError);
});

test('encoding refuses bad tags and lengths', () => {
  for (const t of [0x1f, 0x5f, 0xdf80, 0x5f8101 - 0x80, 0x4f01, 0xdf81, -1, 1.5, 0x1_0000_0000]) {
    assert.throws(() => encodeTlv(t, new Uint8Array(0)), code('TLV_BAD_TAG'), String(t));
  }
  assert.throws(() => encodeTlvConstructed(0x4f, []), code('TLV_BAD_TAG'));
  assert.throws(() => encodeTlvLength(-1), code('TLV_BAD_LENGTH'));
  assert.throws(() => encodeTlvLength(2 ** 32), code('TLV_BAD_LENGTH'));
  assert.equal(toHex(encodeTlvConstructed(0x6f, [])), '6f00');
});

test('findTag, findAllTags, findPath and formatTlv', () => {
  const nodes = parseTlvAll(
    encodeTlvConstructed(0x61, [
      { tag: 0x4f, value: fromHex('D392100031000101010A') },
      { tag: 0xa5, children: [{ tag: 0x4f, value: fromHex('0102') }] },
    ]),
  );
  assert.equal(findAllTags(nodes, 0x4f).length, 2);
  assert.equal(toHex(findTag(nodes, 0x4f)!.value), 'd392100031000101010a');
  assert.equal(toHex(findPath(nodes, [0x61, 0xa5, 0x4f])!.value), '0102');
  assert.equal(findPath(nodes, [0x61, 0x4f, 0x4f]), undefined);
  assert.equal(findTag(nodes, 0x50), undefined);
  assert.equal(
    formatTlv(nodes, 4),
    ['61 (18)', '  4F (10) D3921000…', '  A5 (4)', '    4F (2) 0102'].join('\n'),
  );
});

test('peekTlvHeader: length from the first bytes, undefined while too short', () => {
  const cert = fromHex('30 82 05 1A 30 82');
  assert.deepEqual(peekTlvHeader(cert), {
    tag: 0x30,
    constructed: true,
    headerLength: 4,
    length: 0x51a,
  });
  assert.deepEqual(peekTlvHeader(fromHex('FF 20 7E DF')), {
    tag: 0xff20,
    constructed: true,
    headerLength: 3,
    length: 0x7e,
  });
  for (const short of ['', '30', '30 82', '30 82 05', 'DF', 'DF 81']) {
    assert.equal(peekTlvHeader(fromHex(short)), undefined, short);
  }
  assert.equal(peekTlvHeader(fromHex('00 00 4F 01'), 2)?.tag, 0x4f);
  assert.throws(() => peekTlvHeader(fromHex('30 80')), code('TLV_INDEFINITE_LENGTH'));
  assert.throws(() => peekTlvHeader(fromHex('30 85')), code('TLV_BAD_LENGTH'));
  assert.throws(() => peekTlvHeader(fromHex('5F 80')), code('TLV_BAD_TAG'));
  assert.throws(() => peekTlvHeader(fromHex('30 00'), -1), code('TLV_BAD_OPTION'));
});

test('a constructed object with 200,000 children encodes and parses (no argument spread)', () => {
  const kids = Array.from({ length: 200_000 }, () => Uint8Array.of(0x02, 0x01, 0x07));
  const b = encodeTlvConstructed(0x30, kids);
  assert.equal(b.length, 5 + 600_000); // 30 83 09 27 C0
  assert.equal(parseTlv(b).children?.length, 200_000);
});

test('nodes serialise to JSON with hex tags and values', () => {
  const n = parseTlv(fromHex('FF20 07 DF21 01 AA DF22 00'));
  assert.equal(
    JSON.stringify(n),
    '{"tag":"FF20","children":[{"tag":"DF21","value":"AA"},{"tag":"DF22","value":""}]}',
  );
});

test('peekTlvHeader on exactly the header bytes, as a reader has them after its first READ BINARY', () => {
  assert.deepEqual(peekTlvHeader(fromHex('30 82 05 1A')), {
    tag: 0x30,
    constructed: true,
    headerLength: 4,
    length: 0x51a,
  });
  assert.deepEqual(peekTlvHeader(fromHex('FF 20 7E')), {
    tag: 0xff20,
    constructed: true,
    headerLength: 3,
    length: 0x7e,
  });
  assert.deepEqual(peekTlvHeader(fromHex('5A 00')), {
    tag: 0x5a,
    constructed: false,
    headerLength: 2,
    length: 0,
  });
  assert.deepEqual(peekTlvHeader(fromHex('4F 84 01 00 00 00')), {
    tag: 0x4f,
    constructed: false,
    headerLength: 6,
    length: 0x1000000,
  });
  assert.equal(peekTlvHeader(fromHex('4F 84 01 00 00')), undefined);
  assert.equal(peekTlvHeader(fromHex('4F 01'), 2), undefined, 'offset at the end');
  assert.equal(peekTlvHeader(fromHex('4F 01'), 5), undefined, 'offset past the end');
  assert.throws(() => peekTlvHeader(fromHex('4F 01'), 0.5), code('TLV_BAD_OPTION'));
  assert.throws(() => peekTlvHeader(fromHex('5F 81 81 81 01')), code('TLV_BAD_TAG'));
});

test('tags: 80 is refused only as the first subsequent byte; 4 bytes at most', () => {
  const n = parseTlv(fromHex('5F 81 80 01 01 AA'));
  assert.equal(n.tag, 0x5f818001);
  assert.equal(n.headerLength, 5);
  assert.equal(toHex(n.value), 'aa');
  assert.equal(toHex(tagBytes(0x5f818001)), '5f818001');
  assert.equal(tagNumberOf(0x5f818001), (1 << 14) | 1);
  assert.equal(tagNumberOf(0x5f01), 1);
  assert.equal(tagNumberOf(0xdf21), 33);
  assert.equal(tagNumberOf(0xff10), 16);
  assert.equal(tagClassOf(0xdf21), 'private');
  assert.equal(tagClassOf(0x5f818001), 'application');
  assert.equal(tagClassOf(0x9f8101), 'context');
  assert.equal(isConstructedTag(0xff10), true);
  assert.equal(isConstructedTag(0xdf21), false);
  assert.equal(isConstructedTag(0x7f218101), true);
  assert.equal(tagHex(0x5f818001), '5F818001');
  assert.equal(tagHex(0x9f8101), '9F8101');
  // The bit 8 rule of subsequent bytes, both ways, at every position.
  for (const bad of [0x5f0101, 0x5f8181, 0x5f81, 0x5f810101, 0x5f818181]) {
    assert.throws(() => tagBytes(bad), code('TLV_BAD_TAG'), tagHex(bad));
  }
  assert.throws(() => parseTlv(fromHex('5F 81 81 81 01 00')), /longer than 4 bytes/);
  assert.throws(() => parseTlv(fromHex('5F 80 01 00')), /subsequent byte 80/);
});

test('depth: maxDepth 1 takes children but not grandchildren; an empty value at the limit is fine', () => {
  const child = fromHex('6F 03 4F 01 AA');
  assert.equal(parseTlv(child, { maxDepth: 1 }).children?.length, 1);
  const grandchild = fromHex('6F 05 A5 03 4F 01 AA');
  assert.throws(() => parseTlv(grandchild, { maxDepth: 1 }), code('TLV_TOO_DEEP'));
  assert.throws(() => parseTlv(grandchild, { maxDepth: 1 }), /deeper than 1/);
  assert.equal(parseTlv(grandchild, { maxDepth: 2 }).children?.[0]?.children?.length, 1);
  // An empty constructed value has no children to nest.
  const emptyAtLimit = parseTlv(fromHex('6F 02 A5 00'), { maxDepth: 1 });
  assert.deepEqual(emptyAtLimit.children?.[0]?.children, []);
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => parseTlv(child, { maxDepth: bad }), code('TLV_BAD_OPTION'), String(bad));
  }
  // The default is 32 ancestors.
  let b: Uint8Array = fromHex('04 00');
  for (let i = 0; i < 32; i++) b = encodeTlv(0x30, b);
  assert.equal(parseTlv(b).tag, 0x30);
  assert.throws(() => parseTlv(encodeTlv(0x30, b)), code('TLV_TOO_DEEP'));
});

test("children: 'try' keeps a constructed value that is not data objects; opaque tags stay bytes", () => {
  const odd = fromHex('6F 02 FF FF');
  assert.throws(() => parseTlv(odd), code('TLV_TRUNCATED'));
  const kept = parseTlv(odd, { children: 'try' });
  assert.equal(kept.children, undefined);
  assert.equal(toHex(kept.value), 'ffff');
  assert.equal(parseTlv(fromHex('6F 03 4F 01 AA'), { children: 'try' }).children?.length, 1);
  const myNumber = fromHex('FF 10 03 31 32 33');
  assert.throws(() => parseTlv(myNumber), ApduError);
  const opaque = parseTlv(myNumber, { opaque: MYNA_OPAQUE_TAGS });
  assert.equal(opaque.children, undefined);
  assert.equal(toHex(opaque.value), '313233');
  assert.deepEqual([...MYNA_OPAQUE_TAGS], [0xff10]);
});

test('lengths: the 84 form, every byte of a long length, the value exactly to the end', () => {
  const n = parseTlv(fromHex('4F 84 00 00 00 02 AA BB'));
  assert.deepEqual([n.headerLength, toHex(n.value), n.end], [6, 'aabb', 8]);
  assert.equal(parseTlv(fromHex('4F 82 00 01 AA')).value.length, 1);
  assert.equal(parseTlv(concat(fromHex('4F 82 01 02'), new Uint8Array(0x102))).value.length, 0x102);
  assert.equal(
    parseTlv(concat(fromHex('4F 83 01 00 02'), new Uint8Array(0x10002))).value.length,
    0x10002,
  );
  assert.throws(
    () => parseTlv(fromHex('4F 02 AA')),
    /value of 2 bytes at offset 2 but only 1 remain/,
  );
  assert.throws(() => parseTlv(fromHex('4F 86 00')), /length byte 86 at offset 1/);
  assert.throws(() => parseTlv(fromHex('4F 80 00')), /indefinite length \(80\) at offset 1/);
  assert.throws(
    () => parseTlv(fromHex('4F 01 AA BB CC')),
    /2 bytes after the data object at offset 3/,
  );
  assert.equal(toHex(encodeTlvLength(0xffffffff)), '84ffffffff');
  assert.equal(toHex(encodeTlvLength(0xffffff)), '83ffffff');
  assert.equal(toHex(encodeTlvLength(0xffff)), '82ffff');
  assert.equal(toHex(encodeTlvLength(0)), '00');
  assert.throws(() => encodeTlvLength(1.5), code('TLV_BAD_LENGTH'));
});

test('node offsets and ends in a sequence; padding inside a constructed value', () => {
  const [a, b] = parseTlvAll(fromHex('4F 01 AA 5F24 02 0102'));
  assert.deepEqual([a!.offset, a!.headerLength, a!.end], [0, 2, 3]);
  assert.deepEqual([b!.offset, b!.headerLength, b!.end], [3, 3, 8]);
  const padded = parseTlv(fromHex('6F 06 00 4F 01 AA 00 00'), { padding: true });
  assert.deepEqual(
    padded.children?.map((c) => [tagHex(c.tag), c.offset]),
    [['4F', 3]],
  );
  assert.throws(() => parseTlv(fromHex('00 00'), { padding: true }), code('TLV_EMPTY'));
  assert.throws(() => parseTlv(fromHex('4F 01 AA 00 5A')), code('TLV_TRAILING_BYTES'));
  assert.throws(
    () => parseTlv(fromHex('4F 01 AA 00 5A'), { padding: true }),
    code('TLV_TRAILING_BYTES'),
  );
  assert.equal(parseTlv(fromHex('4F 01 AA 5A'), { strict: false }).tag, 0x4f);
  // Lenient: the good objects before garbage, none after the first that fails.
  assert.deepEqual(
    parseTlvAll(fromHex('4F 01 AA 5A 05 01 4F 01 BB'), { strict: false }).map((n) => tagHex(n.tag)),
    ['4F'],
  );
});

test('encodeTlvNode: children re-encoded, a value as given, nothing as empty', () => {
  assert.equal(toHex(encodeTlvNode({ tag: 0x4f })), '4f00');
  assert.equal(toHex(encodeTlvNode({ tag: 0x4f, value: fromHex('AA') })), '4f01aa');
  assert.equal(
    toHex(
      encodeTlvNode({
        tag: 0x6f,
        children: [{ tag: 0x4f, value: fromHex('AA') }, fromHex('5000')],
      }),
    ),
    '6f054f01aa5000',
  );
  assert.equal(toHex(encodeTlv(0x4f, fromHex('AA'), fromHex('BB'))), '4f02aabb');
  assert.equal(toHex(encodeTlv(0x4f)), '4f00');
  assert.throws(() => encodeTlvConstructed(0x5f, []), code('TLV_BAD_TAG'));
  assert.throws(() => encodeTlvConstructed(0x4f, []), /primitive, not constructed/);
});

test('findTag and findPath on a single node; formatTlv cuts long values with …', () => {
  const root = parseTlv(fromHex('6F 07 4F 01 AA A5 02 50 00'));
  assert.equal(findTag(root, 0x6f), root);
  assert.equal(findTag(root, 0x50)?.value.length, 0);
  assert.equal(findAllTags(root, 0x6f).length, 1);
  assert.equal(findPath(root, [0x6f, 0xa5, 0x50])?.tag, 0x50);
  assert.equal(findPath(root, [0x6f, 0x4f, 0x50]), undefined, 'a primitive has no children');
  assert.equal(findPath(root, []), undefined);
  assert.equal(formatTlv(parseTlv(fromHex('4F 03 010203')), 3), '4F (3) 010203');
  assert.equal(formatTlv(parseTlv(fromHex('4F 03 010203')), 2), '4F (3) 0102…');
  assert.equal(
    formatTlv(parseTlv(concat(fromHex('4F 21'), new Uint8Array(33)))),
    `4F (33) ${'00'.repeat(32)}…`,
  );
});

test('error texts say what and where', () => {
  const msg = (f: () => unknown, re: RegExp) => assert.throws(f, re, String(re));
  // Inside a constructed value the parent's end bounds the child's tag and length.
  msg(() => parseTlv(fromHex('6F 01 5F 01 00')), /tag truncated at offset 2/);
  msg(() => parseTlv(fromHex('6F 01 4F 01')), /length missing at offset 3/);
  msg(() => parseTlv(fromHex('4F 82 01')), /length field truncated at offset 2/);
  msg(() => parseTlv(fromHex('4F FF')), /length byte FF at offset 1/);
  msg(() => parseTlv(new Uint8Array(0)), /no data object in the input/);
  msg(
    () => parseTlv(fromHex('4F 00'), { maxDepth: 0 }),
    /maxDepth must be a positive integer, got 0/,
  );
  msg(() => peekTlvHeader(fromHex('4F 00'), -1), /offset must be a natural number, got -1/);
  msg(() => tagBytes(1.5), /tag 1.5 is not 1 to 4 bytes/);
  msg(() => tagBytes(0x5f), /tag 5F: high-tag form with no subsequent byte/);
  msg(() => tagBytes(0x4f01), /tag 4F01: subsequent bytes after a low-tag first byte/);
  msg(() => tagBytes(0x5f8001), /tag 5F8001: first subsequent byte 80/);
  msg(() => tagBytes(0x5f0101), /tag 5F0101: bit 8 of the subsequent bytes is wrong/);
  msg(() => encodeTlvLength(-1), /length -1 cannot be encoded/);
});

test('tag numbers at the edges of the 1-to-4-byte range', () => {
  // Universal 0 (end-of-contents) is a tag X.690 can write; negative numbers are not.
  assert.equal(toHex(tagBytes(0)), '00');
  for (const bad of [-2, -0x20, 0x1f81818101]) {
    assert.throws(() => tagBytes(bad), code('TLV_BAD_TAG'), String(bad));
  }
  assert.equal(tagHex(0x04), '04');
  assert.equal(tagHex(0x9f8101), '9F8101');
  assert.equal(tagHex(0), '00');
});
