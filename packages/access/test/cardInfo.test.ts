import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Card, emptyCardImage } from '@myna-ap/card';
import { AID, FIXED_PIN } from '@myna-ap/profile';
import { InProcessChannel } from '@myna-ap/transport';
import {
  AccessError,
  CardSession,
  readAuthCertificate,
  readCardExpiry,
  readCardIdentity,
  readPinTriesLeft,
  selectApplication,
} from '../src/index.ts';
import { PIN, freshCard, issued } from './fixture.ts';

/** A relayed pipe: only transmit, counting APDUs. */
function pipe(card: Card) {
  const ch = new InProcessChannel(card);
  let sent = 0;
  return {
    link: { transmit: (b: Uint8Array) => (sent++, ch.transmit(b)) },
    sent: () => sent,
  };
}

test('the card’s identity: serial and municipality code in 3 APDUs, expiry in one more', async () => {
  const { image } = await issued();
  const card = await freshCard();
  const p = pipe(card);
  const s = new CardSession(p.link);
  const id = await readCardIdentity(s, { municipality: true });
  assert.equal(id.serialHex, image.common.files['0001']!.toUpperCase());
  assert.equal(
    id.municipalityCode,
    Buffer.from(image.common.files['0002']!, 'hex').toString('latin1'),
  );
  assert.equal(p.sent(), 3);
  assert.match((await readCardExpiry(s)) ?? '', /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(p.sent(), 4);
  assert.equal((await readCardIdentity(p.link, { municipality: false })).municipalityCode, null);
});

test('PIN tries by an empty VERIFY spend nothing; a wrong PIN shows', async () => {
  const card = await freshCard();
  const p = pipe(card);
  assert.equal(await selectApplication(p.link, AID.jpki), true);
  const auth = FIXED_PIN.jpki_auth;
  assert.equal(await readPinTriesLeft(p.link, auth.ref), auth.tries);
  assert.equal(await readPinTriesLeft(p.link, auth.ref), auth.tries, 'still all tries');
  const wrong = String((Number(PIN) + 1) % 10000).padStart(4, '0');
  const r = await p.link.transmit(
    Uint8Array.of(0x00, 0x20, 0x00, 0x80 | auth.ref, 4, ...new TextEncoder().encode(wrong)),
  );
  assert.equal(r[r.length - 2], 0x63);
  assert.equal(await readPinTriesLeft(p.link, auth.ref), auth.tries - 1);
});

test('the auth certificate by SFI, the whole DER, in 256-byte reads', async () => {
  const { image } = await issued();
  const card = await freshCard();
  const p = pipe(card);
  await selectApplication(p.link, AID.jpki);
  const der = await readAuthCertificate(p.link);
  assert.equal(Buffer.from(der).toString('hex'), image.jpki.files['000A']);
  assert.equal(p.sent(), 1 + Math.ceil(der.length / 256), 'no SELECT EF: the first read is by SFI');
});

test('not a My Number Card: NOT_MYNA_CARD; an absent application is false', async () => {
  const card = new Card(emptyCardImage());
  const p = pipe(card);
  assert.equal(await selectApplication(p.link, AID.common), false);
  await assert.rejects(readCardIdentity(p.link, { municipality: true }), (e) => {
    assert.ok(e instanceof AccessError);
    assert.equal(e.code, 'NOT_MYNA_CARD');
    assert.match(e.text.ja, /共通カードAP/);
    return true;
  });
});
