/**
 * Round trips per load (issue 10): a card job's steps are scripts, so a load costs
 * the round trips the protocol needs, not one per APDU. The least for one card AP
 * is 2 after the job starts: the host must see the card's challenge (INITIALIZE
 * UPDATE) before it can answer it (EXTERNAL AUTHENTICATE), and everything else —
 * who the card is and its expiry, the PIN check, the INSTALL — rides with one of the two. Counted
 * over the HTTP relay for each card AP type; a relay that answers one APDU per
 * exchange still finishes the same load, in one round trip per APDU.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '@myna-ap/apdu';
import { Card } from '@myna-ap/card';
import { COMMON_EF } from '@myna-ap/profile';
import { buildServer } from '../src/http/server.ts';
import { ApiClient, relayJob, type CardTransmit, type JobReply } from '../src/clientEntry.ts';
import { T, newCard, world, type World } from './cardWorld.ts';
import { HOLDER_PIN, assertAgreement } from './agreement.ts';

/** The protocol's least round trips for a load of one card AP onto a card met for the first time. */
const MINIMUM_ROUNDS = 2;

let w: World;
let base: string;
let close: () => Promise<void>;

before(async () => {
  w = await world();
  const app = buildServer(w.ctx);
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  close = async () => {
    await app.close();
    await w.db.close();
  };
});
after(() => close());

const tx =
  (card: Card): CardTransmit =>
  async (b) =>
    card.transmit(b);
const pin = new TextDecoder().decode(HOLDER_PIN);

const items = () =>
  ({
    C: { cardApId: w.aps.C },
    A: { cardApId: w.aps.A, pin },
    D: { cardApId: w.aps.D },
    custom: { cardApId: w.aps.custom, area: 'extended' as const, pin },
  }) as const;

for (const type of ['C', 'A', 'D', 'custom'] as const) {
  test(`a type ${type} load is ${MINIMUM_ROUNDS} round trips after the job starts, the protocol's least`, async () => {
    const card = await newCard();
    let apdus = 0;
    const counted: CardTransmit = async (b) => {
      apdus++;
      return card.transmit(b);
    };
    const steps: JobReply[] = [];
    const j = await relayJob(
      new ApiClient(base, w.tokens.op),
      counted,
      {
        op: 'load',
        terminalId: T,
        cardAps: [items()[type]],
        consent: { method: 'counter_form' },
      },
      { onStep: (s) => steps.push(s) },
    );
    assert.equal(j.state, 'done', JSON.stringify(j.error));
    const r = j.result as { results: { status: string }[] };
    assert.deepEqual(
      r.results.map((x) => x.status),
      ['loaded'],
    );
    assert.equal(steps.length, MINIMUM_ROUNDS, 'exchanges');
    assert.equal(j.rounds, MINIMUM_ROUNDS, 'scripts the server sent');
    assert.equal(j.apdus, apdus, 'every command sent reached the card');
    assert.ok(apdus >= 9, `a load is still ${apdus} APDUs, carried in ${MINIMUM_ROUNDS} scripts`);
    await assertAgreement(w.db, w.ctx.keys, card, `type ${type}`, { readBack: true });
  });
}

test('an expired card is refused in the first round trip: its expiry rides in the first script', async () => {
  // 2026-05-31 is the day before the world's clock (2026-06-01 JST).
  const card = await newCard();
  const img = structuredClone(card.image);
  const common = img.common as { files: Record<string, string> };
  common.files[COMMON_EF.expiry.toString(16).padStart(4, '0')] = toHex(
    new TextEncoder().encode('20260531'),
  );
  const expired = Card.fromImage(img);
  const steps: JobReply[] = [];
  const j = await relayJob(
    new ApiClient(base, w.tokens.op),
    tx(expired),
    {
      op: 'load',
      terminalId: T,
      cardAps: [items().C],
      consent: { method: 'counter_form' },
    },
    { onStep: (s) => steps.push(s) },
  );
  assert.equal(j.state, 'failed');
  assert.equal(j.error?.code, 'CARD_EXPIRED');
  assert.equal(j.rounds, 1, 'refused on the answers of the first script');
  assert.equal(steps.length, 1, 'exchanges');
  assert.deepEqual(expired.image.freeAreas, img.freeAreas, 'nothing written to the card');
});

test('a relay that answers one APDU per exchange finishes the same load, one round trip per APDU', async () => {
  const card = await newCard();
  const client = new ApiClient(base, w.tokens.op);
  let j = await client.call('startJob', {
    body: {
      op: 'load',
      terminalId: T,
      cardAps: [{ cardApId: w.aps.C }],
      consent: { method: 'counter_form' },
    },
  });
  let exchanges = 0;
  while (j.state === 'running' && j.command !== undefined) {
    const response = Buffer.from(card.transmit(Buffer.from(j.command, 'hex'))).toString('hex');
    j = await client.call('exchange', { params: { id: j.id }, body: { seq: j.seq, response } });
    exchanges++;
  }
  assert.equal(j.state, 'done', JSON.stringify(j.error));
  assert.equal(j.rounds, MINIMUM_ROUNDS, 'still two scripts');
  assert.equal(exchanges, j.apdus, 'one exchange per APDU');
  await assertAgreement(w.db, w.ctx.keys, card, 'one APDU per exchange', { readBack: true });
});

test('answers that do not fit the script are refused, and the job goes on', async () => {
  const card = await newCard();
  const client = new ApiClient(base, w.tokens.op);
  const j = await client.call('startJob', {
    body: {
      op: 'load',
      terminalId: T,
      cardAps: [{ cardApId: w.aps.C }],
      consent: { method: 'counter_form' },
    },
  });
  const n = j.script!.length;
  const tooMany = Array.from({ length: n + 1 }, () => '9000');
  const afterEnd = ['6A82', '9000'];
  for (const responses of [tooMany, afterEnd]) {
    const r = await fetch(`${base}/v1/jobs/${j.id}/exchange`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.tokens.op}`, 'content-type': 'application/json' },
      body: JSON.stringify({ seq: j.seq, responses }),
    });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { code: string }).code, 'JOB_ANSWERS_INVALID');
  }
  const done = await relayJob(client, tx(card), { op: 'diagnose', terminalId: T }).catch(
    (e: unknown) => e,
  );
  assert.ok(!(done instanceof Error), String(done));
  // The first job still waits for its first script, untouched.
  const again = await client.call('getJob', { params: { id: j.id } });
  assert.equal(again.seq, j.seq);
  assert.equal(again.script?.length, n);
  await client.call('cancelJob', { params: { id: j.id } });
});
