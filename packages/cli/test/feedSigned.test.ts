/**
 * The signed daily list from the command line, as a business system's batch job
 * runs it: `myna feed certificate --out` (pinned once), `myna feed daily --signed
 * --out` (the list and its .p7s), `myna feed verify` offline — valid, then refused
 * for a changed file, a missing signature and bad arguments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryKeyStore, TEST_CONFIG, loadOnCard, startServer, type CardId } from '@myna-ap/loader';
import { setCardStatus, T, cardIdOf, newCard, world } from '@myna-ap/loader/testing';
import { myna } from './cliRun.ts';

const todayJst = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);

test('CLI: feed certificate, feed daily --signed, feed verify (valid, changed, missing)', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'myna-feed-signed-'));
  const keys = new MemoryKeyStore('test');
  const s = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin pw',
    keys,
  });
  t.after(async () => {
    await s.close();
    rmSync(home, { recursive: true, force: true });
  });
  const env = { MYNA_HOME: home, MYNA_LANG: 'en', MYNA_TOKEN: undefined, MYNA_SERVER: s.url };
  const w = await world({ db: s.db, keys });
  const card = await newCard();
  const loaded = await loadOnCard(w.ctx, w.op, (b) => card.transmit(b), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent: { method: 'counter_form' },
  });
  assert.equal(loaded.results[0]?.status, 'loaded');
  await setCardStatus(s.ctx, w.platform, cardIdOf(card) as CardId, {
    status: 'lost',
    source: 'call_center',
  });
  const li = await myna(['login', '--user', 'admin'], {
    ...env,
    MYNA_PASSWORD: 'platform admin pw',
  });
  assert.equal(li.code, 0, li.err);

  const pem = join(home, 'platform.pem');
  const cert = await myna(['feed', 'certificate', '--out', pem], env);
  assert.equal(cert.code, 0, cert.err);
  assert.match(cert.err, /myna-ap status feed signer.*SHA-256 [0-9a-f]{64} — written to/);
  assert.match(readFileSync(pem, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
  // The key and certificate were made on that first request, beside the key file.
  assert.ok(existsSync(join(home, 'keys', 'feed-signer.der')));

  const list = join(home, 'list.csv');
  const daily = await myna(
    ['feed', 'daily', '--date', todayJst(), '--signed', '--csv', '--out', list],
    env,
  );
  assert.equal(daily.code, 0, daily.err);
  assert.match(daily.err, /its signature to .*list\.csv\.p7s/);
  // The platform's list: every card, no user IDs (those are for each provider's own list).
  assert.match(readFileSync(list, 'utf8'), new RegExp(`\\r\\n${cardIdOf(card)},lost,call_center,`));

  const ok = await myna(['feed', 'verify', list, '--certificate', pem], env);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /signature valid, signed at \d{4}-/);

  writeFileSync(list, readFileSync(list, 'utf8').replace(',lost,', ',active,'));
  const changed = await myna(['feed', 'verify', list, '--certificate', pem], env);
  assert.equal(changed.code, 1);
  assert.match(changed.err, /CMS_BAD_SIGNATURE/);

  const ja = await myna(['feed', 'verify', list, '--certificate', pem], {
    ...env,
    MYNA_LANG: 'ja',
  });
  assert.match(ja.err, /署名がファイルと一致しない/);

  const noSig = await myna(
    ['feed', 'verify', list, '--certificate', pem, '--signature', join(home, 'none.p7s')],
    env,
  );
  assert.equal(noSig.code, 2);
  assert.match(noSig.err, /cannot read .*none\.p7s/);
  const notCert = await myna(['feed', 'verify', list, '--certificate', list], env);
  assert.equal(notCert.code, 2);
  assert.match(notCert.err, /is not a certificate/);
  const noOut = await myna(['feed', 'daily', '--signed'], env);
  assert.equal(noOut.code, 2);
  assert.match(noOut.err, /--signed writes two files/);
});
