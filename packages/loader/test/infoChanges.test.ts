/**
 * 記載事項変更 told to the providers: a `card_info_change` notice per card AP on
 * the card (what changed, never the new values), the audit row with the sign
 * certificates, nothing for a card without card APs, bad reports refused whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transmit } from '@myna-ap/apdu';
import type { Card } from '@myna-ap/card';
import { loadOnCard } from '../src/cardops/load.ts';
import { buildServer } from '../src/http/server.ts';
import { listNotices } from '../src/store/feed.ts';
import { recordInfoChange } from '../src/store/infoChanges.ts';
import type { CardId, TerminalId } from '../src/domain/ids.ts';
import { LoaderError } from '../src/errors.ts';
import { T, cardIdOf, newCard, world } from './cardWorld.ts';

const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);

test('the providers with card APs on the card are told what changed; the audit row keeps the certificates', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const card = await newCard();
  const cardId = cardIdOf(card);
  const out = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent: { method: 'counter_form' },
  });
  assert.equal(out.results[0]?.status, 'loaded');
  const app = buildServer(w.ctx);
  t.after(() => app.close());
  const post = (body: Record<string, unknown>, id = cardId) =>
    app.inject({
      method: 'POST',
      url: `/v1/cards/${id}/info-changes`,
      headers: { authorization: `Bearer ${w.tokens.op}` },
      payload: body,
    });
  const good = {
    terminalId: T,
    changed: ['address'],
    oldSignSerial: '0A1B',
    newSignSerial: '7F00',
  };
  const r = await post(good);
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual((JSON.parse(r.body) as { notified: string[] }).notified, ['CHIYODA']);

  const notices = await listNotices(w.ctx, w.admin, 0, 10);
  const change = notices.items.filter((n) => n.kind === 'card_info_change');
  assert.equal(change.length, 1);
  assert.equal(change[0]?.cardId, cardId);
  assert.deepEqual(change[0]?.detail, {
    changed: ['address'],
    cardApId: w.aps.C,
    aid: change[0]?.detail.aid,
    userId: out.results[0]?.userId,
  });
  const audit = await w.db.query<{ actor: string; detail: Record<string, unknown> }>(
    "SELECT actor, detail FROM audit_log WHERE action = 'card.info_change'",
  );
  assert.equal(audit.rows[0]?.actor, w.op.operatorId);
  assert.equal(audit.rows[0]?.detail.oldSignSerial, '0a1b');
  assert.equal(audit.rows[0]?.detail.newSignSerial, '7f00');

  // Refused whole: nothing changed, an unknown field, a value, a field twice, a bad serial.
  for (const bad of [
    { ...good, changed: [] },
    { ...good, changed: ['birthDate'] },
    { ...good, changed: ['address', 'address'] },
    { ...good, address: '北海道札幌市' },
    { ...good, newSignSerial: 'xyz' },
    { changed: ['name'], oldSignSerial: '0A', newSignSerial: '0B' },
  ]) {
    const b = await post(bad);
    assert.equal(b.statusCode, 400, JSON.stringify(bad));
  }
  assert.equal(
    (await listNotices(w.ctx, w.admin, 0, 10)).items.filter((n) => n.kind === 'card_info_change')
      .length,
    1,
  );
});

test('a card without card APs tells no one; only a municipality’s counter operator at its terminal', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const cardId = cardIdOf(await newCard()) as CardId;
  const report = {
    terminalId: T,
    changed: ['name', 'address'] as const,
    oldSignSerial: '01',
    newSignSerial: '02',
  };
  const r = await recordInfoChange(w.ctx, w.admin, cardId, {
    ...report,
    changed: ['name', 'address'],
  });
  assert.deepEqual(r.notified, []);
  assert.deepEqual(r.changed, ['address', 'name']);
  const code = async (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof LoaderError ? e.code : String(e)),
    );
  assert.equal(
    await code(recordInfoChange(w.ctx, w.platform, cardId, { ...report, changed: ['name'] })),
    'FORBIDDEN',
  );
  assert.equal(
    await code(
      recordInfoChange(w.ctx, w.op, cardId, {
        ...report,
        changed: ['name'],
        terminalId: 'elsewhere' as TerminalId,
      }),
    ),
    'FORBIDDEN',
  );
});
