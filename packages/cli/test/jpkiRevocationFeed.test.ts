/**
 * `myna serve --jpki DIR`'s poll of the issuer's revocations, end to end: the
 * card's certificates issued linked to it, `myna pki revoke --reason lost` in
 * the issuer's directory, and the status feed (`myna feed --json`, GET
 * /v1/feed?since=0) shows the card lost by jpki_revocation — once, though both
 * certificates are revoked — with no call-center report. `--jpki-poll` refused
 * without --jpki or below 1 second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transmit } from '@myna-ap/apdu';
import { JpkiIssuer } from '@myna-ap/pki';
import { MemoryKeyStore, TEST_CONFIG, loadOnCard, startServer } from '@myna-ap/loader';
import { T, cardIdOf, newCard, world } from '@myna-ap/loader/testing';
import { jpkiRevocations } from '../src/commands/jpkiCheck.ts';
import { myna } from './cliRun.ts';

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('myna pki revoke --reason lost: the card is lost in the feed by itself, once', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'myna-jpki-feed-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const pkiDir = join(home, 'pki');
  assert.equal((await myna(['pki', 'init', '--dir', pkiDir], { MYNA_LANG: 'en' })).code, 0);
  const warnings: string[] = [];
  const keys = new MemoryKeyStore('test');
  // As `myna serve --jpki DIR --jpki-poll 1` wires it.
  const s = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin pw',
    keys,
    jpkiRevocations: jpkiRevocations(pkiDir, 1, (l) => warnings.push(l)),
  });
  t.after(() => s.close());
  const base = { MYNA_HOME: home, MYNA_LANG: 'en', MYNA_TOKEN: undefined, MYNA_SERVER: s.url };

  // 千代田区's card AP on the card; the card's certificates issued for that card.
  const w = await world({ db: s.db, keys });
  const card = await newCard();
  const io: Transmit = (b) => card.transmit(b);
  const loaded = await loadOnCard(w.ctx, w.op, io, {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent: { method: 'counter_form' },
  });
  assert.equal(loaded.results[0]?.status, 'loaded');
  const cardId = cardIdOf(card);
  const issuer = await JpkiIssuer.open(pkiDir);
  const certs = await issuer.issueCardCertificates({
    authPublicKey: rsa(),
    signPublicKey: rsa(),
    holder: { name: '番号 花子', address: '東京都千代田区', birthDate: '1990-01-01', sex: '2' },
    cardId,
  });
  const serial = (der: Uint8Array) => new X509Certificate(der).serialNumber;

  const li = await myna(['login', '--user', 'admin'], {
    ...base,
    MYNA_PASSWORD: 'platform admin pw',
  });
  assert.equal(li.code, 0, li.err);
  const feed = async () => {
    const f = await myna(['feed', '--json', '--since', '0'], base);
    assert.equal(f.code, 0, f.err);
    return (JSON.parse(f.out) as { events: { cardId: string; status: string; source: string }[] })
      .events;
  };
  assert.deepEqual(await feed(), []);

  const r = await myna(
    ['pki', 'revoke', '--dir', pkiDir, '--serial', serial(certs.auth), '--reason', 'lost'],
    base,
  );
  assert.equal(r.code, 0, r.err);
  let events = await feed();
  for (let i = 0; i < 50 && events.length === 0; i++) {
    await sleep(200);
    events = await feed();
  }
  assert.deepEqual(
    events.map((e) => [e.cardId, e.status, e.source]),
    [[cardId, 'lost', 'jpki_revocation']],
  );

  // The sign certificate of the same loss: read on the next poll, no second event.
  const r2 = await myna(
    ['pki', 'revoke', '--dir', pkiDir, '--serial', serial(certs.sign), '--reason', 'lost'],
    base,
  );
  assert.equal(r2.code, 0, r2.err);
  const seen = async () =>
    (await s.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jpki_revocations')).rows[0]?.n;
  for (let i = 0; i < 50 && (await seen()) !== 2; i++) await sleep(200);
  assert.equal(await seen(), 2);
  assert.equal((await feed()).length, 1, 'once');
  assert.deepEqual(warnings, []);
});

test('--jpki-poll needs --jpki and at least 1 second', async () => {
  const home = mkdtempSync(join(tmpdir(), 'myna-jpki-poll-'));
  try {
    const env = { MYNA_HOME: home, MYNA_LANG: 'en' };
    const alone = await myna(['serve', '--port', '0', '--jpki-poll', '5'], env);
    assert.equal(alone.code, 2);
    assert.match(alone.err, /--jpki-poll is whole seconds, 1 or more, with --jpki/);
    assert.equal((await myna(['pki', 'init', '--dir', join(home, 'pki')], env)).code, 0);
    const zero = await myna(
      ['serve', '--port', '0', '--jpki', join(home, 'pki'), '--jpki-poll', '0'],
      env,
    );
    assert.equal(zero.code, 2);
    const bad = await myna(
      ['serve', '--port', '0', '--jpki', join(home, 'pki'), '--jpki-poll', 'soon'],
      env,
    );
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--jpki-poll must be a whole number/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
