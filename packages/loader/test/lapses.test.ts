/**
 * 失効 reaches the status feed by itself: the resident record's events make a
 * lapsed card revoked, the providers with card APs on it are told, a second run
 * changes nothing, a standing card is left alone, and loads to it are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transmit } from '@myna-ap/apdu';
import type { Card } from '@myna-ap/card';
import { loadOnCard } from '../src/cardops/load.ts';
import { readFeed } from '../src/store/feed.ts';
import { applyResidentRecord } from '../src/store/lapses.ts';
import type { CardId } from '../src/domain/ids.ts';
import { T, cardIdOf, newCard, world } from './cardWorld.ts';

const consent = { method: 'counter_form' as const };
const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);

test('a lapsed card reaches the feed as revoked by its issuer; its providers are told once', async (t) => {
  const w = await world(); // 2026-06-01 10:00 JST
  t.after(() => w.db.close());
  const card = await newCard();
  const cardId = cardIdOf(card) as CardId;
  const out = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  assert.equal(out.results[0]?.status, 'loaded');

  // Moved out on 4/10 with no move-in by 5/10: lapsed on 5/11.
  const events = [{ kind: 'move_out' as const, date: '2026-04-01', plannedDate: '2026-04-10' }];
  const r = await applyResidentRecord(w.ctx, w.platform, cardId, events);
  assert.deepEqual(r.lapse, { on: '2026-05-11', reason: 'no_move_in' });
  assert.equal(r.change?.status, 'revoked');
  assert.equal(r.change?.previous, 'active');
  assert.equal(r.change?.source, 'issuer');
  assert.deepEqual(r.change?.notified, ['CHIYODA']);

  const feed = await readFeed(w.ctx, w.admin, 0, 10); // 千代田区, the provider told
  assert.deepEqual(
    feed.items.map((e) => [e.cardId, e.status, e.source, e.cardAps?.[0]?.userId]),
    [[cardId, 'revoked', 'issuer', out.results[0]?.userId]],
  );
  const audit = await w.db.query<{ detail: { note: string } }>(
    "SELECT detail FROM audit_log WHERE action = 'card.status'",
  );
  assert.match(audit.rows[0]!.detail.note, /失効 no_move_in: 2026-05-11に失効/);

  // Run again: nothing new.
  const again = await applyResidentRecord(w.ctx, w.platform, cardId, events);
  assert.deepEqual(again.lapse, r.lapse);
  assert.equal(again.change, undefined);
  assert.equal((await readFeed(w.ctx, w.platform, 0, 10)).items.length, 1);

  // Nothing more goes onto it.
  const next = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.A, pin: new TextEncoder().encode('4321') }],
    consent,
  });
  assert.equal(next.results[0]?.error?.code, 'CARD_NOT_ACTIVE');
  assert.match(next.results[0]?.error?.message.en ?? '', /revoked/);
});

test('a standing card is left alone; bad dates record nothing; only the platform may apply', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const cardId = cardIdOf(await newCard()) as CardId;
  const inTime = [
    { kind: 'move_out' as const, date: '2026-04-01', plannedDate: '2026-04-10' },
    { kind: 'move_in' as const, date: '2026-04-15', movedOn: '2026-04-12' },
    { kind: 'card_presented' as const, date: '2026-04-20' },
  ];
  assert.deepEqual(await applyResidentRecord(w.ctx, w.platform, cardId, inTime), { lapse: null });
  await assert.rejects(
    applyResidentRecord(w.ctx, w.platform, cardId, [{ kind: 'died', date: '2026-02-30' }]),
    { code: 'VALIDATION' },
  );
  await assert.rejects(
    applyResidentRecord(w.ctx, w.op, cardId, [{ kind: 'died', date: '2026-05-30' }]),
    { code: 'FORBIDDEN' },
  );
  assert.equal((await readFeed(w.ctx, w.platform, 0, 10)).items.length, 0);
});
