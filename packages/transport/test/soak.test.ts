/**
 * Long runs (MYNA_SOAK=1, `npm run soak`): the vpcd bridge under random frames,
 * and many random APDUs through the real pcscd + vpcd stack, checked byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes, randomInt } from 'node:crypto';
import {
  FrameReader,
  PcscChannel,
  VpcdBridge,
  frame,
  pcscSkipReason,
  startPcscStack,
} from '../src/index.ts';
import { SELECT_ECHO, echoCard } from './helpers.ts';

const soak = process.env.MYNA_SOAK === '1';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('bridge: 20 000 random frames, every APDU answered, in order', { skip: !soak }, async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const { card } = echoCard();
  const bridge = new VpcdBridge(card, { port });
  const conn = once(server, 'connection');
  await bridge.start(2000);
  const [socket] = (await conn) as [Socket];
  const reader = new FrameReader();
  const answers: Uint8Array[] = [];
  socket.on('data', (d: Buffer) => answers.push(...reader.push(d)));
  let expected = 0;
  const expectAtr: number[] = [];
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < 20_000; i++) {
    const n = randomInt(0, 6) === 0 ? 1 : randomInt(0, 300);
    const payload = n === 1 ? Uint8Array.of(randomInt(0, 8)) : new Uint8Array(randomBytes(n));
    if (n !== 1) expected++;
    else if (payload[0] === 4) {
      expectAtr.push(expected);
      expected++;
    }
    chunks.push(frame(payload));
  }
  // Sent in random slices, as TCP may deliver them.
  const all = Buffer.concat(chunks);
  for (let o = 0; o < all.length;) {
    const n = randomInt(1, 2000);
    socket.write(all.subarray(o, o + n));
    o += n;
  }
  const deadline = Date.now() + 30_000;
  while (answers.length < expected && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(answers.length, expected);
  for (const i of expectAtr) assert.equal(hex(answers[i]!), '3be000ff8131fe4514');
  for (const a of answers) assert.ok(a.length >= 2, 'every answer ends in a status word');
  bridge.stop();
  server.close();
});

const skip = soak ? await pcscSkipReason() : 'MYNA_SOAK not set';

test(
  'PC/SC: 5 000 random APDUs through pcscd + vpcd, checked byte for byte',
  { skip },
  async () => {
    const stack = await startPcscStack();
    try {
      const { card } = echoCard();
      await stack.insert(card, 0);
      const ch = await PcscChannel.open({ reader: 0, maxResponseLength: 65535 });
      try {
        assert.equal(hex(await ch.transmit(SELECT_ECHO)), '9000');
        for (let i = 0; i < 5000; i++) {
          if (i % 2 === 0) {
            const data = new Uint8Array(randomBytes(randomInt(1, 256)));
            const res = await ch.transmit(Uint8Array.of(0, 0x10, 0, 0, data.length, ...data));
            assert.equal(hex(res), hex(data) + '9000');
          } else {
            const ne = randomInt(1, 5000);
            const res = await ch.transmit(Uint8Array.of(0, 0xb0, 0, 0, 0, ne >> 8, ne & 0xff));
            assert.equal(res.length, ne + 2);
          }
        }
      } finally {
        await ch.close();
      }
    } finally {
      await stack.stop();
    }
  },
);
