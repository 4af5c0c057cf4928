import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApduError,
  CLA_CHAINING,
  chainCommand,
  command,
  concat,
  encodeCommand,
  encodeResponse,
  exchange,
  fromHex,
  getResponseCommand,
  parseCommand,
  response,
  toHex,
  type ApduTransmit,
} from '@myna-ap/apdu';

const code = (c: string) => (e: unknown) => e instanceof ApduError && e.code === c;

/**
 * A T=0-style card (what some real cards do, unlike our emulator): it answers READ
 * BINARY of `content` with 61 xx and hands the data out through GET RESPONSE; an Le
 * that is not the exact remaining length of a short EF gets 6C xx.
 */
function t0Card(content: Uint8Array, log: string[]): ApduTransmit {
  let pending: Uint8Array = new Uint8Array(0);
  return (bytes) => {
    const c = parseCommand(bytes);
    log.push(toHex(bytes));
    if (c.ins === 0xb0) {
      if (content.length < 256 && c.ne !== content.length) {
        return encodeResponse(response(0x6c00 | content.length));
      }
      pending = content;
      const first = Math.min(pending.length, 256);
      return encodeResponse(response(0x6100 | (first & 0xff)));
    }
    if (c.ins === 0xc0) {
      const n = Math.min(c.ne ?? 256, pending.length);
      const out = pending.subarray(0, n);
      pending = pending.subarray(n);
      const left = pending.length;
      const sw = left === 0 ? 0x9000 : 0x6100 | (Math.min(left, 256) & 0xff);
      return encodeResponse(response(sw, out));
    }
    return encodeResponse(response(0x6d00));
  };
}

test('61 xx: GET RESPONSE rounds gather the whole response', async () => {
  const content = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
  const log: string[] = [];
  const r = await exchange(t0Card(content, log), command({ ins: 0xb0, ne: 256 }));
  assert.equal(r.sw, 0x9000);
  assert.equal(toHex(r.data), toHex(content));
  assert.deepEqual(log, ['00b0000000', '00c0000000', '00c0000000', '00c0000058']);
});

test('6C xx: the command is sent again with the exact Le', async () => {
  const log: string[] = [];
  const r = await exchange(t0Card(fromHex('0102030405'), log), command({ ins: 0xb0, ne: 256 }));
  assert.equal(toHex(r.data), '0102030405');
  assert.equal(log[1], '00b0000005');
});

test('GET RESPONSE keeps the logical channel; a card stuck on 61 xx is refused', async () => {
  assert.equal(toHex(encodeCommand(getResponseCommand(0x03, 0x6110))), '03c0000010');
  assert.equal(toHex(encodeCommand(getResponseCommand(0x80, 0x6100))), '00c0000000');
  const stuck: ApduTransmit = () => fromHex('6100');
  await assert.rejects(
    exchange(stuck, command({ ins: 0xb0, ne: 1 })),
    code('RESPONSE_CHAIN_TOO_LONG'),
  );
  await assert.rejects(
    exchange(stuck, command({ ins: 0xb0, ne: 1 }), { maxGetResponses: 2 }),
    code('RESPONSE_CHAIN_TOO_LONG'),
  );
});

test('command chaining: parts with CLA b5, the last one with Le; errors stop the chain', async () => {
  const data = Uint8Array.from({ length: 600 }, (_, i) => i % 251);
  const cmd = command({ ins: 0xd6, data, ne: 2 });
  const parts = chainCommand(cmd, 255);
  assert.deepEqual(
    parts.map((p) => [p.cla, p.data.length, p.ne]),
    [
      [CLA_CHAINING, 255, undefined],
      [CLA_CHAINING, 255, undefined],
      [0, 90, 2],
    ],
  );
  assert.equal(toHex(concat(...parts.map((p) => p.data))), toHex(data));
  assert.deepEqual(chainCommand(command({ ins: 0xd6, data: data.subarray(0, 10) })).length, 1);
  assert.throws(
    () => chainCommand(command({ cla: 0x80, ins: 0xe2, data }), 255),
    code('APDU_BAD_FIELD'),
  );
  assert.throws(
    () => chainCommand(command({ cla: 0x10, ins: 0xd6, data }), 255),
    code('APDU_BAD_FIELD'),
  );
  assert.throws(() => chainCommand(cmd, 0), code('APDU_BAD_FIELD'));

  // a card that assembles the chain and answers with the total length
  let got: Uint8Array[] = [];
  const card: ApduTransmit = (bytes) => {
    const c = parseCommand(bytes);
    got.push(c.data);
    if ((c.cla & CLA_CHAINING) !== 0) return fromHex('9000');
    const n = concat(...got).length;
    got = [];
    return Uint8Array.of(n >> 8, n & 0xff, 0x90, 0x00);
  };
  const r = await exchange(card, cmd, { maxCommandData: 255 });
  assert.equal(toHex(r.data), '0258');
  const refusing: ApduTransmit = () => fromHex('6884');
  assert.equal((await exchange(refusing, cmd, { maxCommandData: 255 })).sw, 0x6884);
});
