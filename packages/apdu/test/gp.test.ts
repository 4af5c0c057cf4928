import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EXTENDED_SD_AID,
  LOCAL_SD_AID,
  TEST_AREA_MASTER_KEYS,
  cardApModuleAid,
  cardApTypeFromCode,
  concat,
  deleteCommand,
  encodeCommand,
  encodeGpTlv,
  fromHex,
  getCapacityCommand,
  getStatusCommand,
  installCommands,
  parseCapacity,
  parseGetStatus,
  parseGpTlvs,
  resetPinCommands,
  toHex,
  type CardApInstallSpec,
} from '../src/index.ts';

const hex = (c: Parameters<typeof encodeCommand>[0]) => toHex(encodeCommand(c));

test('AIDs and module AIDs', () => {
  assert.equal(toHex(LOCAL_SD_AID), 'f04d594e41534401');
  assert.equal(toHex(EXTENDED_SD_AID), 'f04d594e41534402');
  assert.equal(toHex(cardApModuleAid('D')), 'f04d594e4143410d');
  assert.equal(cardApTypeFromCode(0x0f), 'custom');
  assert.equal(cardApTypeFromCode(0x0b), undefined);
  // the published test keys are distinct per area and per role
  assert.notDeepEqual(TEST_AREA_MASTER_KEYS.local.enc, TEST_AREA_MASTER_KEYS.extended.enc);
  assert.notDeepEqual(TEST_AREA_MASTER_KEYS.local.enc, TEST_AREA_MASTER_KEYS.local.mac);
});

test('DELETE, GET STATUS and GET DATA bytes', () => {
  assert.equal(
    hex(deleteCommand(fromHex('d392f00099000001'))),
    '80e40000' + '0a' + '4f08d392f00099000001',
  );
  assert.equal(hex(getStatusCommand()), '80f24002024f0000');
  assert.equal(hex(getStatusCommand(true)), '80f24003024f0000');
  assert.equal(hex(getCapacityCommand()), '80caff2100');
  const [perso, store] = resetPinCommands(fromHex('d392f00099000001'), fromHex('35363738'), 5);
  assert.equal(hex(perso!), '80e620000e' + '0000' + '08d392f00099000001' + '000000');
  assert.equal(hex(store!), '80e2800009' + '860435363738' + '870105');
});

const spec: CardApInstallSpec = {
  aid: fromHex('d392f00099000001'),
  type: 'C',
  size: 33,
  providerId: fromHex('4c4942'),
  userId: fromHex('00112233445566778899aabbcc'),
  data: fromHex('8101ff'),
};

test('INSTALL of a small card AP is one command, byte for byte', () => {
  const cmds = installCommands(spec);
  assert.equal(cmds.length, 1);
  const c9 = '81020021' + '82034c4942' + '830d00112233445566778899aabbcc' + '88038101ff';
  const params = 'c9' + (c9.length / 2).toString(16).padStart(2, '0') + c9;
  const data =
    '07f04d594e414341' +
    '08f04d594e4143410c' +
    '08d392f00099000001' +
    '0100' +
    (params.length / 2).toString(16).padStart(2, '0') +
    params +
    '00';
  assert.equal(hex(cmds[0]!), '80e60c00' + (data.length / 2).toString(16).padStart(2, '0') + data);
});

test('a large install is INSTALL with 8F + numbered STORE DATA blocks, last flagged', () => {
  const big: CardApInstallSpec = {
    ...spec,
    type: 'D',
    size: 255,
    keys: { enc: new Uint8Array(16), mac: new Uint8Array(16) },
    pin: fromHex('31323334'),
    data: new Uint8Array(240).fill(1),
  };
  const cmds = installCommands(big, 100);
  const stream = concat(...cmds.slice(1).map((c) => c.data));
  // ELF AID (1+7), module AID (1+8), application AID (1+8), privileges (1+1): Lparams at 28
  const d = cmds[0]!.data;
  const params = parseGpTlvs(d.subarray(29, 29 + d[28]!));
  assert.equal(params[0]!.tag, 0xc9);
  const c9 = parseGpTlvs(params[0]!.value);
  const len = c9.find((t) => t.tag === 0x8f)!.value;
  assert.equal((len[0]! << 8) | len[1]!, stream.length);
  cmds.slice(1).forEach((c, i) => {
    assert.equal(c.ins, 0xe2);
    assert.equal(c.p2, i);
    assert.equal(c.p1, i === cmds.length - 2 ? 0x80 : 0x00);
    assert.ok(c.data.length <= 100);
  });
  assert.deepEqual(
    parseGpTlvs(stream).map((t) => t.tag),
    [0x83, 0x84, 0x85, 0x86, 0x88],
  );
});

test('bad specs are GpError', () => {
  assert.throws(() => installCommands({ ...spec, aid: new Uint8Array(3) }), {
    code: 'GP_BAD_SPEC',
  });
  assert.throws(() => installCommands({ ...spec, size: 0 }), { code: 'GP_BAD_SPEC' });
  assert.throws(() => installCommands(spec, 10), { code: 'GP_BAD_SPEC' });
});

test('TLV parser refuses malformed input with typed errors', () => {
  assert.deepEqual(
    parseGpTlvs(fromHex('9f700107df2002aabb')).map((t) => t.tag),
    [0x9f70, 0xdf20],
  );
  assert.deepEqual(parseGpTlvs(encodeGpTlv(0x88, new Uint8Array(300)))[0]!.value.length, 300);
  for (const [bad, code] of [
    ['00', 'TLV_BAD_TAG'],
    ['9f', 'TLV_TRUNCATED'],
    ['81', 'TLV_TRUNCATED'],
    ['8103aabb', 'TLV_TRUNCATED'],
    ['8183000000', 'TLV_BAD_LENGTH'],
    ['8182ff', 'TLV_TRUNCATED'],
    ['9f8101', 'TLV_BAD_TAG'],
  ] as const) {
    assert.throws(() => parseGpTlvs(fromHex(bad)), { code }, bad);
  }
});

test('GET STATUS and capacity parsers', () => {
  const entry = encodeGpTlv(
    0xe3,
    concat(
      encodeGpTlv(0x4f, fromHex('d392f00099000001')),
      encodeGpTlv(0x9f70, fromHex('07')),
      encodeGpTlv(0xdf20, fromHex('0a')),
      encodeGpTlv(0xdf21, fromHex('00ff')),
      encodeGpTlv(0xdf22, fromHex('4c4942')),
    ),
  );
  const [e] = parseGetStatus(entry);
  assert.equal(e!.type, 'A');
  assert.equal(e!.size, 255);
  assert.throws(() => parseGetStatus(fromHex('e300')), { code: 'GP_BAD_RESPONSE' });
  assert.throws(() => parseGetStatus(fromHex('e305')), { code: 'GP_BAD_RESPONSE' });
  assert.throws(() => parseGetStatus(fromHex('4f00')), { code: 'GP_BAD_RESPONSE' });
  const cap = fromHex('ff2116' + '81020003' + '820400000100' + 'c00400000b40' + 'c10400000a40');
  assert.deepEqual(parseCapacity(cap), { cardAps: 3, free: 256, total: 2880, used: 2624 });
  assert.throws(() => parseCapacity(fromHex('ff2100')), { code: 'GP_BAD_RESPONSE' });
  assert.throws(() => parseCapacity(fromHex('ff')), { code: 'GP_BAD_RESPONSE' });
});
