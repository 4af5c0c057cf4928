import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader, classifyVpcdPayload, frame } from '../src/vpcdProtocol.ts';

const b = (...x: number[]) => Uint8Array.from(x);

test('frame prefixes a 2-byte big-endian length', () => {
  assert.deepEqual(frame(b(0x90, 0x00)), b(0, 2, 0x90, 0x00));
  assert.deepEqual(frame(new Uint8Array(0)), b(0, 0));
  assert.equal(frame(new Uint8Array(300))[0], 1);
  assert.equal(frame(new Uint8Array(300))[1], 44);
  assert.throws(() => frame(new Uint8Array(65536)), RangeError);
});

test('FrameReader reassembles messages split and joined at any byte', () => {
  const stream = new Uint8Array([...frame(b(4)), ...frame(b(0, 0xa4, 4, 0x0c)), ...frame(b(1))]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const r = new FrameReader();
    const got = [...r.push(stream.slice(0, cut)), ...r.push(stream.slice(cut))];
    assert.deepEqual(got, [b(4), b(0, 0xa4, 4, 0x0c), b(1)], `cut at ${cut}`);
    assert.equal(r.pending, 0);
  }
  // byte by byte
  const r = new FrameReader();
  const got: Uint8Array[] = [];
  for (const x of stream) got.push(...r.push(b(x)));
  assert.equal(got.length, 3);
});

test('FrameReader holds an incomplete message back', () => {
  const r = new FrameReader();
  assert.deepEqual(r.push(b(0, 5, 1, 2)), []);
  assert.equal(r.pending, 4);
  assert.deepEqual(r.push(b(3, 4)), []);
  assert.deepEqual(r.push(b(5, 0)), [b(1, 2, 3, 4, 5)]);
  assert.equal(r.pending, 1);
});

test('classifyVpcdPayload: 1 byte is a control code, longer is an APDU', () => {
  assert.deepEqual(classifyVpcdPayload(b(0)), { kind: 'powerOff' });
  assert.deepEqual(classifyVpcdPayload(b(1)), { kind: 'powerOn' });
  assert.deepEqual(classifyVpcdPayload(b(2)), { kind: 'reset' });
  assert.deepEqual(classifyVpcdPayload(b(4)), { kind: 'getAtr' });
  assert.deepEqual(classifyVpcdPayload(b(3)), { kind: 'unknownControl', code: 3 });
  assert.deepEqual(classifyVpcdPayload(b(0, 0xb0)), { kind: 'apdu', apdu: b(0, 0xb0) });
  assert.deepEqual(classifyVpcdPayload(b()), { kind: 'apdu', apdu: b() });
});
