/**
 * A JPKI revocation for loss marks the card lost in the feed by itself: revoked
 * with @myna-ap/pki's issuer, read from its directory by RevocationLog, taken in
 * by the watch; once per serial (a card's second certificate, a reader started
 * again, a card found in between); the same transition rules as a call-center
 * report; the reasons that leave the card alone; records that are not ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transmit } from '@myna-ap/apdu';
import type { Card } from '@myna-ap/card';
import { JpkiIssuer, RevocationLog } from '@myna-ap/pki';
import { loadOnCard } from '../src/cardops/load.ts';
import { buildServer } from '../src/http/server.ts';
import { readFeed, setCardStatus } from '../src/store/feed.ts';
import {
  applyJpkiRevocations,
  watchJpkiRevocations,
  type JpkiRevocationRecord,
} from '../src/store/jpkiRevocations.ts';
import { cardStatusForRevocation } from '../src/domain/jpkiRevocation.ts';
import { LoaderError } from '../src/errors.ts';
import type { CardId } from '../src/domain/ids.ts';
import { T, cardIdOf, newCard, world } from './cardWorld.ts';

const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const serialOf = (der: Uint8Array) =>
  new X509Certificate(der).serialNumber.toLowerCase().replace(/^(00)+/, '');
const holder = {
  name: '番号 花子',
  address: '東京都千代田区千代田1番1号',
  birthDate: '1990-01-01',
  sex: '2' as const,
};

/** A JPKI issuer in a directory, certificates linked to `cardId`. */
async function issuerWith(...cardIds: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'myna-loader-jpki-'));
  const issuer = await JpkiIssuer.init(dir);
  const certs = [];
  for (const cardId of cardIds) {
    const c = await issuer.issueCardCertificates({
      authPublicKey: rsa(),
      signPublicKey: rsa(),
      holder,
      cardId,
    });
    certs.push({ auth: serialOf(c.auth), sign: serialOf(c.sign) });
  }
  return { dir, issuer, certs };
}

test('a revocation for loss makes the card lost in the feed, once; its providers are told', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const card = await newCard();
  const cardId = cardIdOf(card) as CardId;
  const out = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent: { method: 'counter_form' },
  });
  assert.equal(out.results[0]?.status, 'loaded');
  const { dir, certs } = await issuerWith(cardId);
  const watch = watchJpkiRevocations(w.ctx, () => new RevocationLog(dir).readNew(), {
    intervalMs: 3_600_000, // the test ticks itself
  });
  t.after(() => watch.stop());
  // One reader for the whole test, as the server keeps: each record handed over once.
  const log = new RevocationLog(dir);
  const tick = async () => applyJpkiRevocations(w.ctx, await log.readNew());
  assert.deepEqual(await tick(), [], 'nothing revoked yet');

  // `myna pki revoke` in another process: the issuer opened again from its directory.
  const pki = await JpkiIssuer.open(dir);
  await pki.revoke(certs[0]!.auth, 'lost');
  const first = await tick();
  assert.equal(first.length, 1);
  assert.equal(first[0]?.outcome, 'applied');
  assert.equal(first[0]?.change?.status, 'lost');
  assert.equal(first[0]?.change?.source, 'jpki_revocation');
  assert.deepEqual(first[0]?.change?.notified, ['CHIYODA']);

  // Through the API, as a business system reads it: GET /v1/feed?since=0.
  const app = buildServer(w.ctx);
  t.after(() => app.close());
  const feedOf = async () => {
    const r = await app.inject({
      method: 'GET',
      url: '/v1/feed?since=0',
      headers: { authorization: `Bearer ${w.tokens.admin}` },
    });
    assert.equal(r.statusCode, 200, r.body);
    return (
      JSON.parse(r.body) as {
        events: {
          cardId: string;
          status: string;
          previous: string;
          source: string;
          cardAps: { userId: string }[];
        }[];
      }
    ).events;
  };
  assert.deepEqual(
    (await feedOf()).map((e) => [e.cardId, e.status, e.previous, e.source, e.cardAps[0]?.userId]),
    [[cardId, 'lost', 'active', 'jpki_revocation', out.results[0]?.userId]],
  );

  // The sign certificate revoked for the same loss: the card is lost already.
  await pki.revoke(certs[0]!.sign, 'lost');
  assert.deepEqual(
    (await tick()).map((o) => o.outcome),
    ['CARD_STATUS_UNCHANGED'],
  );
  assert.equal((await feedOf()).length, 1, 'once');

  // Found: the issuer makes it active. The same revocations read again (a restart) change nothing.
  await setCardStatus(w.ctx, w.platform, cardId, { status: 'active', source: 'issuer' });
  assert.deepEqual(
    (await watch.tick()).map((o) => o.outcome),
    ['seen', 'seen'],
  );
  assert.equal((await readFeed(w.ctx, w.platform, 0, 10)).items.at(-1)?.status, 'active');

  // Audited: by the system, with the certificate and the reason, never an operator.
  const audit = await w.db.query<{ actor: string; detail: { note: string; source: string } }>(
    "SELECT actor, detail FROM audit_log WHERE action = 'card.status' ORDER BY seq",
  );
  assert.equal(audit.rows[0]?.actor, 'system');
  assert.equal(audit.rows[0]?.detail.source, 'jpki_revocation');
  assert.match(audit.rows[0]!.detail.note, new RegExp(`JPKI auth ${certs[0]!.auth} .*\\(lost\\)`));
});

test('the same rules as a call-center report; reasons that leave the card; unlinked and bad records', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const [a, b, c] = [await newCard(), await newCard(), await newCard()].map(
    (x) => cardIdOf(x) as CardId,
  );
  const { dir, issuer, certs } = await issuerWith(a!, b!, c!);
  const stray = await issuer.issueCardCertificates({
    authPublicKey: rsa(),
    signPublicKey: rsa(),
    holder,
  });
  const log = new RevocationLog(dir);

  // A revoked card (失効) stays revoked: a loss reported after it is refused, kept as the outcome.
  await setCardStatus(w.ctx, w.platform, a!, { status: 'revoked', source: 'issuer' });
  await issuer.revoke(certs[0]!.auth, 'lost');
  // 記載事項変更 and the holder's own request leave the card as it is.
  await issuer.revoke(certs[1]!.sign, 'info-change');
  await issuer.revoke(certs[1]!.auth, 'holder-request');
  // A key of the card may be known: suspended; then death: revoked.
  await issuer.revoke(certs[2]!.auth, 'key-compromise');
  await issuer.revoke(certs[2]!.sign, 'death');
  // A certificate the issuer linked to no card.
  await issuer.revoke(serialOf(stray.auth), 'lost');
  const got = await applyJpkiRevocations(w.ctx, await log.readNew());
  assert.deepEqual(
    got.map((o) => [o.cardId, o.outcome, o.change?.status]),
    [
      [a, 'CARD_REVOKED', undefined],
      [b, 'no_status', undefined],
      [b, 'no_status', undefined],
      [c, 'applied', 'suspended'],
      [c, 'applied', 'revoked'],
      [undefined, 'unlinked', undefined],
    ],
  );
  const feed = await readFeed(w.ctx, w.platform, 0, 10);
  assert.deepEqual(
    feed.items.map((e) => [e.cardId, e.status, e.source]),
    [
      [a, 'revoked', 'issuer'],
      [c, 'suspended', 'jpki_revocation'],
      [c, 'revoked', 'jpki_revocation'],
    ],
  );
  const rows = await w.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jpki_revocations');
  assert.equal(rows.rows[0]?.n, 6);

  // A record that is not one is refused before anything of it is written.
  const good: JpkiRevocationRecord = {
    serial: 'ab12',
    kind: 'auth',
    reason: 'lost',
    revokedAt: '2026-06-01T00:00:00Z',
    cardId: b,
  };
  for (const bad of [
    { ...good, serial: 'AB12' },
    { ...good, serial: '' },
    { ...good, kind: 'root' as 'auth' },
    { ...good, revokedAt: 'yesterday' },
    { ...good, cardId: 'not-hex' },
  ]) {
    await assert.rejects(
      applyJpkiRevocations(w.ctx, [bad]),
      (e: unknown) => e instanceof LoaderError && e.code === 'VALIDATION',
      JSON.stringify(bad),
    );
  }
  assert.equal(
    (await w.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jpki_revocations')).rows[0]?.n,
    6,
  );
});

test('the watch polls by itself, drops a record that is not one and retries after a failed read', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const cardId = cardIdOf(await newCard());
  let calls = 0;
  const errors: unknown[] = [];
  const queue: JpkiRevocationRecord[][] = [
    [{ serial: 'zz', kind: 'auth', reason: 'lost', revokedAt: '2026-06-01T00:00:00Z', cardId }],
  ];
  const watch = watchJpkiRevocations(
    w.ctx,
    async () => {
      calls++;
      if (calls === 2) throw new Error('issuer directory unreadable');
      return queue.shift() ?? [];
    },
    { intervalMs: 20, onError: (e) => errors.push(e) },
  );
  t.after(() => watch.stop());
  queue.push([
    { serial: '0abc', kind: 'sign', reason: 'lost', revokedAt: '2026-06-01T00:00:00Z', cardId },
  ]);
  while (calls < 4) await new Promise((r) => setTimeout(r, 20));
  await watch.stop();
  assert.ok(errors.some((e) => e instanceof LoaderError && e.code === 'VALIDATION'));
  assert.ok(errors.some((e) => e instanceof Error && /unreadable/.test(e.message)));
  const feed = await readFeed(w.ctx, w.platform, 0, 10);
  assert.deepEqual(
    feed.items.map((e) => [e.cardId, e.status, e.source]),
    [[cardId, 'lost', 'jpki_revocation']],
  );
});

test('which card status each pki reason calls for', () => {
  assert.equal(cardStatusForRevocation('lost'), 'lost');
  assert.equal(cardStatusForRevocation('key-compromise'), 'suspended');
  assert.equal(cardStatusForRevocation('death'), 'revoked');
  assert.equal(cardStatusForRevocation('info-change'), undefined);
  assert.equal(cardStatusForRevocation('holder-request'), undefined);
  assert.equal(cardStatusForRevocation('replaced'), 'revoked', 'a renewed card voids the old one');
  assert.equal(cardStatusForRevocation('toString'), undefined);
  assert.equal(cardStatusForRevocation(''), undefined);
});
