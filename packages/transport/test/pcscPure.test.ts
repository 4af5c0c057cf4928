import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TransportError,
  chooseReader,
  mapPcscError,
  routeHasQuickack,
  type ReaderInfo,
} from '../src/index.ts';

const r = (index: number, name: string, present: boolean): ReaderInfo => ({
  index,
  name,
  present,
  exclusive: false,
  atr: present ? Uint8Array.of(0x3b) : undefined,
});
const readers = [
  r(0, 'Virtual PCD 00 00', false),
  r(1, 'Virtual PCD 00 01', true),
  r(2, 'SONY FeliCa RC-S300', false),
];

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof TransportError, String(e));
    return e.code;
  }
  return 'no error';
};

test('chooseReader: by index, exact name, unique part, or first with a card', () => {
  assert.equal(chooseReader(readers).index, 1);
  assert.equal(chooseReader(readers, 0).index, 0);
  assert.equal(chooseReader(readers, '2').index, 2);
  assert.equal(chooseReader(readers, 'Virtual PCD 00 00').index, 0);
  assert.equal(chooseReader(readers, 'felica').index, 2);
  assert.equal(
    code(() => chooseReader(readers, 'Virtual')),
    'READER_NOT_FOUND',
  ); // ambiguous
  assert.equal(
    code(() => chooseReader(readers, 7)),
    'READER_NOT_FOUND',
  );
  assert.equal(
    code(() => chooseReader(readers, 'nope')),
    'READER_NOT_FOUND',
  );
  assert.equal(
    code(() => chooseReader([])),
    'READER_NOT_FOUND',
  );
  assert.equal(
    code(() => chooseReader([readers[0]!])),
    'NO_CARD',
  );
});

test('mapPcscError turns binding messages into typed errors', () => {
  const m = (msg: string, during: 'connect' | 'transmit') =>
    (mapPcscError(new Error(msg), 'R', during) as TransportError).code;
  assert.equal(m('PC/SC service not running', 'connect'), 'PCSC_NOT_RUNNING');
  assert.equal(m('PC/SC service stopped', 'transmit'), 'PCSC_NOT_RUNNING');
  assert.equal(m('Card was removed', 'transmit'), 'CARD_REMOVED');
  assert.equal(m('No smart card present', 'connect'), 'NO_CARD');
  assert.equal(m('Sharing violation', 'connect'), 'CARD_IN_USE');
  assert.equal(m('Unknown reader', 'connect'), 'READER_NOT_FOUND');
  assert.equal(m('Reader unavailable', 'transmit'), 'CARD_REMOVED');
  assert.equal(m('Insufficient buffer', 'transmit'), 'PCSC_ERROR');
  const e = mapPcscError('weird', 'R', 'transmit') as TransportError;
  assert.equal(e.code, 'PCSC_ERROR');
  assert.match(e.text.ja, /PC\/SC エラー/);
});

test('routeHasQuickack reads `ip route` output', () => {
  const base = 'local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1';
  assert.equal(routeHasQuickack(base + ' \n'), false);
  assert.equal(routeHasQuickack(base + ' quickack 1 \n'), true);
  assert.equal(routeHasQuickack('local 127.0.0.0/8 dev lo quickack 1\n' + base), false);
  assert.equal(routeHasQuickack(''), false);
});
