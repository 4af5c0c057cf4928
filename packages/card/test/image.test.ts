import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Card,
  CardImageError,
  emptyCardImage,
  newPin,
  parseCardImage,
  parseCardImageJson,
  pinMatches,
  readEf,
  serializeCardImage,
  withEf,
  withPin,
} from '@myna-ap/card';

const ascii = (s: string) => new TextEncoder().encode(s);

test('an image survives JSON round trip unchanged', () => {
  let img = emptyCardImage(new Date('2026-01-02T03:04:05Z'));
  img = withEf(img, 'jpki', 0x000a, Uint8Array.of(0x30, 0x82, 0x01));
  img = withPin(img, 'jpki', 0x0018, newPin(ascii('1234'), 3));
  const back = parseCardImageJson(serializeCardImage(img));
  assert.deepEqual(back, img);
  assert.deepEqual(readEf(back, 'jpki', 0x000a), Uint8Array.of(0x30, 0x82, 0x01));
  assert.equal(readEf(back, 'jpki', 0x0001), undefined);
  assert.equal(back.jpki.files['000A'], '308201');
});

test('PIN objects keep no clear PIN and match only the right one', () => {
  const p = newPin(ascii('1234'), 3);
  assert.ok(!JSON.stringify(p).includes('31323334'));
  assert.equal(pinMatches(p, ascii('1234')), true);
  assert.equal(pinMatches(p, ascii('1235')), false);
  assert.equal(pinMatches(p, ascii('12345')), false);
  assert.equal(pinMatches(p, new Uint8Array(0)), false);
});

test('bad images are refused with a typed error', () => {
  const good = JSON.parse(serializeCardImage(emptyCardImage())) as Record<string, unknown>;
  const bad: unknown[] = [
    null,
    42,
    [],
    { ...good, format: 'other' },
    { ...good, jpki: { files: { '1': '00' }, pins: {} } },
    { ...good, jpki: { files: { '0001': 'XYZ' }, pins: {} } },
    { ...good, jpki: { files: { '0001': 'abc' }, pins: {} } },
    {
      ...good,
      jpki: {
        files: {},
        pins: { '0018': { salt: '00', digest: '00'.repeat(32), maxTries: 3, triesLeft: 4 } },
      },
    },
    { ...good, common: undefined },
    { ...good, freeAreas: null },
    { ...good, freeAreas: { local: {}, extended: {} } },
  ];
  for (const b of bad) {
    assert.throws(
      () => parseCardImage(b),
      (e: unknown) => e instanceof CardImageError && e.code === 'CARD_IMAGE_INVALID',
      JSON.stringify(b)?.slice(0, 80),
    );
  }
  assert.throws(
    () => parseCardImage({ ...good, version: 2 }),
    (e: unknown) => e instanceof CardImageError && e.code === 'CARD_IMAGE_UNSUPPORTED',
  );
  assert.throws(
    () => parseCardImageJson('{not json'),
    (e: unknown) => e instanceof CardImageError && /JSON/.test(e.text.ja),
  );
});

test('Card.update replaces the image atomically and counts generations', () => {
  const card = new Card(emptyCardImage());
  const first = card.image;
  assert.equal(card.generation, 0);
  card.update((img) => withEf(img, 'common', 1, Uint8Array.of(1)));
  assert.equal(card.generation, 1);
  assert.notEqual(card.image, first);
  card.update((img) => img);
  assert.equal(card.generation, 1, 'returning the same image is not a change');
  const before = card.image;
  assert.throws(() =>
    card.update(() => {
      throw new Error('torn');
    }),
  );
  assert.equal(card.image, before, 'a failing update leaves the old image');
  assert.equal(card.generation, 1);
});

test('a failing applet answers 6F 00 and the card carries on', () => {
  const card = new Card(emptyCardImage());
  const aid = Uint8Array.from(Buffer.from('F000000001', 'hex')) as never;
  card.addApplet({
    aid,
    label: 'broken',
    select: () => ({ data: new Uint8Array(0), sw: 0x9000 }),
    deselect: () => {},
    process: () => {
      throw new Error('bug');
    },
  });
  assert.deepEqual(
    card.transmit(Uint8Array.from(Buffer.from('00A4040C05F000000001', 'hex'))),
    Uint8Array.of(0x90, 0x00),
  );
  assert.deepEqual(card.transmit(Uint8Array.of(0x00, 0xb0, 0, 0, 1)), Uint8Array.of(0x6f, 0x00));
  assert.deepEqual(card.transmit(Uint8Array.of(0x00)), Uint8Array.of(0x67, 0x00));
  assert.deepEqual(
    card.transmit(Uint8Array.from(Buffer.from('00A4040C05F000000002', 'hex'))),
    Uint8Array.of(0x6a, 0x82),
  );
});
