/**
 * 有効期限: a load onto an expired card is refused with the date, before any
 * user ID is spent or anything is written. The rule itself is pure and tested in
 * cardValidityRule.test.ts (fast: mutation testing runs it once per mutant).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex, type Transmit } from '@myna-ap/apdu';
import { Card } from '@myna-ap/card';
import { COMMON_EF } from '@myna-ap/profile';
import { LoaderError } from '../src/errors.ts';
import { loadOnCard } from '../src/cardops/load.ts';
import { listInstances } from '../src/store/instances.ts';
import { T, cardIdOf, newCard, world } from './cardWorld.ts';

const consent = { method: 'counter_form' as const };
const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);

/** The same card with another 有効期限 in its 共通カードAP (raw bytes, any content). */
function withExpiry(card: Card, expiry: string): Card {
  const img = structuredClone(card.image);
  const common = img.common as { files: Record<string, string> };
  common.files[COMMON_EF.expiry.toString(16).padStart(4, '0')] = toHex(
    new TextEncoder().encode(expiry),
  );
  return Card.fromImage(img);
}

const code = (c: string) => (e: unknown) => e instanceof LoaderError && e.code === c;

test('a load onto an expired card is refused with the date; nothing is reserved', async (t) => {
  const w = await world(); // 2026-06-01 10:00 JST
  t.after(() => w.db.close());
  const expired = withExpiry(await newCard(), '20260531');
  const before = structuredClone(expired.image);
  await assert.rejects(
    loadOnCard(w.ctx, w.op, tx(expired), {
      terminalId: T,
      items: [{ cardApId: w.aps.C }],
      consent,
    }),
    (e: unknown) =>
      code('CARD_EXPIRED')(e) && (e as LoaderError).detail?.['expiry'] === '2026-05-31',
  );
  assert.deepEqual(await listInstances(w.ctx, w.op, cardIdOf(expired)), [], 'no user ID spent');
  assert.deepEqual(expired.image.freeAreas, before.freeAreas, 'nothing written to the card');

  // Its last day is still a day of validity.
  const lastDay = withExpiry(await newCard(), '20260601');
  const out = await loadOnCard(w.ctx, w.op, tx(lastDay), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  assert.deepEqual(
    out.results.map((r) => r.status),
    ['loaded'],
  );

  // A card whose expiry is not a date is refused as unreadable.
  const garbled = withExpiry(await newCard(), '2026XX01');
  await assert.rejects(
    loadOnCard(w.ctx, w.op, tx(garbled), {
      terminalId: T,
      items: [{ cardApId: w.aps.C }],
      consent,
    }),
    code('CARD_DATA_INVALID'),
  );
});
