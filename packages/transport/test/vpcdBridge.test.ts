/**
 * The bridge against a vpcd peer written here from the protocol (a TCP server
 * that sends what vpcd sends). The real vpcd is exercised in pcsc.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { FrameReader, TransportError, VpcdBridge, frame } from '../src/index.ts';
import { SELECT_ECHO, echoCard } from './helpers.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A vpcd stand-in: accepts one card connection at a time and lets the test talk to it. */
async function fakeVpcd(port = 0): Promise<{
  server: Server;
  port: number;
  next: () => Promise<{
    ask: (p: Uint8Array) => Promise<Uint8Array>;
    send: (p: Uint8Array) => void;
    socket: Socket;
  }>;
}> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return {
    server,
    port: addr.port,
    async next() {
      const [socket] = (await once(server, 'connection')) as [Socket];
      const reader = new FrameReader();
      const queue: Uint8Array[] = [];
      const waiting: Array<(m: Uint8Array) => void> = [];
      socket.on('data', (d: Buffer) => {
        for (const m of reader.push(d)) {
          const w = waiting.shift();
          if (w) w(m);
          else queue.push(m);
        }
      });
      const recv = () =>
        new Promise<Uint8Array>((r) => {
          const m = queue.shift();
          if (m) r(m);
          else waiting.push(r);
        });
      return {
        socket,
        send: (p) => socket.write(frame(p)),
        ask: (p) => {
          socket.write(frame(p));
          return recv();
        },
      };
    },
  };
}

test('bridge answers ATR requests and APDUs, and ignores power control', async () => {
  const vpcd = await fakeVpcd();
  const { card, resets } = echoCard();
  const states: string[] = [];
  const bridge = new VpcdBridge(card, { port: vpcd.port, onState: (s) => states.push(s) });
  const conn = vpcd.next();
  await bridge.start(2000);
  const peer = await conn;
  peer.send(Uint8Array.of(1)); // power on: no answer expected
  assert.equal(hex(await peer.ask(Uint8Array.of(4))), '3be000ff8131fe4514');
  assert.equal(hex(await peer.ask(SELECT_ECHO)), '9000');
  assert.equal(hex(await peer.ask(Uint8Array.of(0, 0x10, 0, 0, 2, 1, 2))), '01029000');
  const r0 = resets();
  peer.send(Uint8Array.of(2)); // reset
  assert.equal(hex(await peer.ask(Uint8Array.of(0, 0x10, 0, 0, 1, 1))), '6985');
  assert.ok(resets() > r0);
  peer.send(Uint8Array.of(9)); // unknown control code: ignored, connection stays
  assert.equal(hex(await peer.ask(Uint8Array.of(0xff, 0, 0, 0))), '6e00');
  assert.equal(bridge.apduCount, 4);
  bridge.stop();
  await once(peer.socket, 'close');
  assert.deepEqual(states, ['connecting', 'connected', 'stopped']);
  vpcd.server.close();
});

test('a response too long for a vpcd frame becomes 67 00', async () => {
  const vpcd = await fakeVpcd();
  const { card } = echoCard();
  const bridge = new VpcdBridge(card, { port: vpcd.port });
  const conn = vpcd.next();
  await bridge.start(2000);
  const peer = await conn;
  await peer.ask(SELECT_ECHO);
  // Case 2 extended, Ne = 65536: 65538 bytes cannot be framed.
  assert.equal(hex(await peer.ask(Uint8Array.of(0, 0xb0, 0, 0, 0, 0, 0))), '6700');
  assert.equal((await peer.ask(Uint8Array.of(0, 0xb0, 0, 0, 0, 0xff, 0xfd))).length, 65535);
  bridge.stop();
  vpcd.server.close();
});

test('bridge reconnects when vpcd restarts, and the card lost power meanwhile', async () => {
  const vpcd = await fakeVpcd();
  const { card } = echoCard();
  const states: string[] = [];
  const bridge = new VpcdBridge(card, {
    port: vpcd.port,
    reconnectDelayMs: 10,
    onState: (s) => states.push(s),
  });
  const conn = vpcd.next();
  await bridge.start(2000);
  const peer = await conn;
  assert.equal(hex(await peer.ask(SELECT_ECHO)), '9000');
  const again = vpcd.next();
  peer.socket.destroy(); // vpcd went away
  const peer2 = await again;
  assert.equal(hex(await peer2.ask(Uint8Array.of(0, 0x10, 0, 0, 1, 1))), '6985');
  assert.equal(hex(await peer2.ask(Uint8Array.of(4))), '3be000ff8131fe4514');
  assert.deepEqual(states.slice(0, 5), [
    'connecting',
    'connected',
    'disconnected',
    'connecting',
    'connected',
  ]);
  bridge.stop();
  vpcd.server.close();
});

test('start rejects with VPCD_UNREACHABLE when nothing listens', async () => {
  const vpcd = await fakeVpcd();
  const port = vpcd.port;
  vpcd.server.close();
  await once(vpcd.server, 'close');
  const { card } = echoCard();
  const bridge = new VpcdBridge(card, { port, reconnectDelayMs: 5 });
  const e = await bridge.start(200).catch((x: unknown) => x);
  assert.ok(e instanceof TransportError);
  assert.equal(e.code, 'VPCD_UNREACHABLE');
  assert.match(e.text.ja, /vpcd/);
  assert.equal(bridge.state, 'stopped');
  await assert.rejects(bridge.start(10));
});
