import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APDU_ERROR_CODES,
  ApduError,
  aesCbcEncrypt,
  aesCmac,
  checkMac,
  chainCommand,
  command,
  encodeTlv,
  exchange,
  fromHex,
  parseCommand,
  parseResponse,
  parseTlv,
  unpad80,
} from '@myna-ap/apdu';

/** One input per code: every code the package declares is reachable from its API. */
const TRIGGERS: Record<string, () => unknown> = {
  BAD_HEX: () => fromHex('zz'),
  APDU_TOO_SHORT: () => parseCommand(fromHex('00A4')),
  APDU_BAD_LENGTH: () => parseCommand(fromHex('00A4040C05D392')),
  APDU_TOO_LONG: () => command({ ins: 0xd6, data: new Uint8Array(65536) }),
  APDU_BAD_FIELD: () => chainCommand(command({ ins: 0xd6, data: new Uint8Array(9) }), 0),
  RESPONSE_TOO_SHORT: () => parseResponse(fromHex('90')),
  RESPONSE_BAD_SW: () => parseResponse(fromHex('0000'), { strict: true }),
  TLV_TRUNCATED: () => parseTlv(fromHex('4F02AA')),
  TLV_BAD_TAG: () => parseTlv(fromHex('5F800100')),
  TLV_BAD_LENGTH: () => parseTlv(fromHex('4F85')),
  TLV_TRAILING_BYTES: () => parseTlv(fromHex('4F00AA')),
  TLV_INDEFINITE_LENGTH: () => parseTlv(fromHex('30800000')),
  TLV_TOO_DEEP: () => parseTlv(fromHex('30 04 30 02 30 00'), { maxDepth: 1 }),
  TLV_EMPTY: () => parseTlv(new Uint8Array(0)),
  TLV_BAD_OPTION: () => parseTlv(fromHex('4F00'), { maxDepth: 0 }),
  SM_BAD_PADDING: () => unpad80(new Uint8Array(16)),
  SM_BAD_MAC: () => checkMac(new Uint8Array(16), new Uint8Array(8).fill(1)),
  SM_BAD_FORMAT: () => aesCbcEncrypt(new Uint8Array(16), new Uint8Array(16), new Uint8Array(5)),
  SM_BAD_KEY: () => aesCmac(new Uint8Array(5), new Uint8Array(0)),
};

test('every declared ApduError code is reachable, and only declared codes exist', async () => {
  const seen = new Set<string>();
  for (const [want, f] of Object.entries(TRIGGERS)) {
    assert.throws(f, (e: unknown) => e instanceof ApduError && e.code === want, want);
    seen.add(want);
  }
  // the async one: a card that never stops answering 61 xx
  await assert.rejects(
    exchange(() => fromHex('6100'), command({ ins: 0xb0, ne: 1 })),
    (e: unknown) => e instanceof ApduError && e.code === 'RESPONSE_CHAIN_TOO_LONG',
  );
  seen.add('RESPONSE_CHAIN_TOO_LONG');
  assert.deepEqual([...seen].sort(), [...APDU_ERROR_CODES].sort());
});

test('ApduError is an Error with a stable name, code and message', () => {
  try {
    encodeTlv(0x1f, new Uint8Array(0));
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof Error && e instanceof ApduError);
    assert.equal(e.name, 'ApduError');
    assert.equal(e.code, 'TLV_BAD_TAG');
    assert.match(e.message, /tag 1F/);
  }
});
