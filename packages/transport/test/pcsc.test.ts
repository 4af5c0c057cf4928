/**
 * Through the real stack: pcscd (started here unless running), vsmartcard's
 * vpcd driver, our VpcdBridge, and the `smartcard` binding. All pcscd-based
 * tests of this package live in this one file; startPcscStack also takes a
 * machine-wide lock against other packages' pcscd tests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PcscChannel,
  TransportError,
  listReaders,
  pcscSkipReason,
  startPcscStack,
  type PcscStack,
  type VpcdBridge,
} from '../src/index.ts';
import { SELECT_ECHO, echoCard } from './helpers.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const skip = await pcscSkipReason();
const codeOf = (e: unknown) => (e instanceof TransportError ? e.code : String(e));

describe('PC/SC through pcscd + vpcd', { skip }, () => {
  let stack: PcscStack;
  let bridge: VpcdBridge;
  const { card, resets } = echoCard();

  before(async () => {
    stack = await startPcscStack();
    bridge = await stack.insert(card, 0);
  });
  after(async () => {
    await stack?.stop();
  });

  test('readers list the virtual card with its ATR', async () => {
    const rs = await listReaders();
    const r0 = rs.find((r) => r.name === 'Virtual PCD 00 00');
    assert.ok(r0, JSON.stringify(rs.map((r) => r.name)));
    assert.equal(r0.present, true);
    assert.equal(hex(r0.atr!), '3be000ff8131fe4514');
    assert.equal(rs.find((r) => r.name === 'Virtual PCD 00 01')?.present, false);
  });

  test('exclusive channel: APDUs, extended Le, reset; a second opener is refused', async (t) => {
    const ch = await PcscChannel.open({ reader: 'Virtual PCD 00 00', maxResponseLength: 65535 });
    try {
      assert.equal(hex(ch.atr), '3be000ff8131fe4514');
      assert.equal(hex(await ch.transmit(SELECT_ECHO)), '9000');
      assert.equal(hex(await ch.transmit(Uint8Array.of(0, 0x10, 0, 0, 3, 1, 2, 3))), '0102039000');
      // Extended Le through pcscd and vpcd: 4000 bytes in one APDU.
      const big = await ch.transmit(Uint8Array.of(0, 0xb0, 0, 0, 0, 0x0f, 0xa0));
      assert.equal(big.length, 4002);
      assert.equal(hex(big.subarray(4000)), '9000');
      // Concurrent callers are served one at a time, in order.
      const rs = await Promise.all(
        [1, 2, 3, 4].map((x) => ch.transmit(Uint8Array.of(0, 0x10, 0, 0, 1, x))),
      );
      assert.deepEqual(rs.map(hex), ['019000', '029000', '039000', '049000']);

      const other = await PcscChannel.open({ reader: 0, busyTimeoutMs: 100 }).catch((e) => e);
      assert.equal(codeOf(other), 'CARD_IN_USE');

      const r0 = resets();
      await ch.reset();
      assert.ok(resets() > r0, 'the card saw the reset');
      assert.equal(hex(await ch.transmit(Uint8Array.of(0, 0x10, 0, 0, 1, 1))), '6985');

      // Round-trip figure for the log (benchmarks measure properly; never asserted).
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const s = performance.now();
        await ch.transmit(SELECT_ECHO);
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      t.diagnostic(
        `median APDU round trip ${times[10]!.toFixed(3)} ms, quickack ${stack.quickack.state}`,
      );
    } finally {
      await ch.close();
    }
    await ch.close(); // idempotent
    assert.equal(codeOf(await ch.transmit(SELECT_ECHO).catch((e) => e)), 'CHANNEL_CLOSED');
  });

  test('shared mode lets two programs in at once', async () => {
    const a = await PcscChannel.open({ reader: 0, share: 'shared' });
    const b = await PcscChannel.open({ reader: 0, share: 'shared' });
    try {
      assert.equal(hex(await a.transmit(SELECT_ECHO)), '9000');
      assert.equal(hex(await b.transmit(Uint8Array.of(0, 0x10, 0, 0, 1, 9))), '099000');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('empty reader, unknown reader', async () => {
    assert.equal(codeOf(await PcscChannel.open({ reader: 1 }).catch((e) => e)), 'NO_CARD');
    const e = await PcscChannel.open({ reader: 'no such reader' }).catch((x) => x);
    assert.equal(codeOf(e), 'READER_NOT_FOUND');
    assert.match((e as TransportError).text.ja, /Virtual PCD 00 00/);
  });

  test('card pulled out mid-session: removed event, CARD_REMOVED, then back in', async () => {
    const ch = await PcscChannel.open({ reader: 0 });
    const removed = new Promise<void>((r) => ch.on('removed', r));
    await ch.transmit(SELECT_ECHO);
    await stack.eject(bridge);
    await removed;
    assert.equal(codeOf(await ch.transmit(SELECT_ECHO).catch((e) => e)), 'CARD_REMOVED');
    await ch.close();
    bridge = await stack.insert(card, 0);
    const again = await PcscChannel.open({ reader: 0 });
    // The card lost power while out: nothing is selected any more.
    assert.equal(hex(await again.transmit(Uint8Array.of(0, 0x10, 0, 0, 1, 1))), '6985');
    await again.close();
  });

  test('pcscd restarts: the bridge reconnects and the card is back; present/removed events', async (t) => {
    if (!stack.startedPcscd) return t.skip('pcscd was already running before this test');
    const ch = await PcscChannel.open({ reader: 0 });
    const seen: string[] = [];
    ch.on('removed', () => seen.push('removed'));
    await stack.restartPcscd();
    assert.equal(bridge.state, 'connected');
    // The old handle died with the old pcscd: a typed error, not a hang or a raw binding error.
    const stale = await ch.transmit(SELECT_ECHO).catch((e) => e);
    assert.ok(stale instanceof TransportError, String(stale));
    t.diagnostic(`stale handle after restart: ${stale.code} (${stale.message})`);
    await ch.close();
    assert.deepEqual(seen, ['removed']);
    const again = await PcscChannel.open({ reader: 0 });
    const present = new Promise<void>((r) => again.on('present', r));
    const removed = new Promise<void>((r) => again.on('removed', r));
    assert.equal(hex(await again.transmit(SELECT_ECHO)), '9000');
    await stack.eject(bridge);
    await removed;
    bridge = await stack.insert(card, 0);
    await present;
    await again.close();
  });

  test('pcscd gone: PCSC_NOT_RUNNING with a message in both languages', async (t) => {
    if (!stack.startedPcscd) return t.skip('pcscd was already running before this test');
    await stack.stop();
    const e = await listReaders().catch((x) => x);
    assert.equal(codeOf(e), 'PCSC_NOT_RUNNING');
    assert.match((e as TransportError).text.ja, /pcscd/);
    assert.equal(codeOf(await PcscChannel.open().catch((x) => x)), 'PCSC_NOT_RUNNING');
  });
});
