import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessChannel, TransportError } from '../src/index.ts';
import { SELECT_ECHO, echoCard } from './helpers.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('in-process channel carries APDUs to the card and back', async () => {
  const { card } = echoCard();
  const ch = new InProcessChannel(card);
  assert.equal(hex(ch.atr), '3be000ff8131fe4514');
  assert.equal(ch.maxResponseLength, 65536);
  assert.equal(hex(await ch.transmit(SELECT_ECHO)), '9000');
  assert.equal(hex(await ch.transmit(Uint8Array.of(0, 0x10, 0, 0, 2, 0xca, 0xfe))), 'cafe9000');
  // An unknown AID is refused as a real card does, and a garbled APDU gets 67 00.
  assert.equal(hex(await ch.transmit(Uint8Array.of(0, 0xa4, 4, 0x0c, 5, 1, 2, 3, 4, 5))), '6a82');
  assert.equal(hex(await ch.transmit(Uint8Array.of(0, 0x10, 0, 0, 9, 1))), '6700');
  assert.equal(hex(await ch.transmit(Uint8Array.of(0))), '6700');
});

test('in-process channel: the caller may reuse its buffer', async () => {
  const { card } = echoCard();
  const ch = new InProcessChannel(card);
  await ch.transmit(SELECT_ECHO);
  const cmd = Uint8Array.of(0, 0x10, 0, 0, 1, 0x11);
  const res = await ch.transmit(cmd);
  cmd[5] = 0x22;
  assert.equal(hex(res), '119000');
});

test('removing the card fails transmits with CARD_REMOVED and fires events', async () => {
  const { card, resets } = echoCard();
  const ch = new InProcessChannel(card);
  const seen: string[] = [];
  const offRemoved = ch.on('removed', () => seen.push('removed'));
  ch.on('present', () => seen.push('present'));
  await ch.transmit(SELECT_ECHO);
  const before = resets();
  ch.remove();
  assert.ok(resets() > before, 'the card lost power');
  await assert.rejects(ch.transmit(SELECT_ECHO), (e: TransportError) => e.code === 'CARD_REMOVED');
  await assert.rejects(ch.reset(), (e: TransportError) => e.code === 'CARD_REMOVED');
  ch.insert(card);
  // Power was lost: the applet is no longer selected.
  assert.equal(hex(await ch.transmit(Uint8Array.of(0, 0x10, 0, 0, 1, 1))), '6985');
  offRemoved();
  ch.remove();
  assert.deepEqual(seen, ['removed', 'present']);
});

test('reset deselects; close makes every later call fail with CHANNEL_CLOSED', async () => {
  const { card } = echoCard();
  const ch = new InProcessChannel(card);
  await ch.transmit(SELECT_ECHO);
  await ch.reset();
  assert.equal(hex(await ch.transmit(Uint8Array.of(0, 0x10, 0, 0, 1, 1))), '6985');
  await ch.close();
  await ch.close();
  const e = await ch.transmit(SELECT_ECHO).catch((x: unknown) => x);
  assert.ok(e instanceof TransportError);
  assert.equal(e.code, 'CHANNEL_CLOSED');
  assert.match(e.text.ja, /閉じ/);
});
