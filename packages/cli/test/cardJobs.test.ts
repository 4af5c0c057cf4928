/**
 * The card verbs of the CLI end to end: a real server (seeded with the demo),
 * emulated card files, `myna load | read --aid | diagnose | delete | move-in`,
 * a batch of cards, and a type A card AP read back with its key package.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCardFile } from '@myna-ap/card';
import { ApiClient, TEST_CONFIG, saveCredentials, seedDemo, startServer } from '@myna-ap/loader';
import { newCard } from '@myna-ap/loader/testing';
import { myna } from './cliRun.ts';

test('CLI: load (auto-load), read back, diagnose, delete, a batch, a type A card AP with its key package', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'myna-cardcli-'));
  const s = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin password',
  });
  t.after(async () => {
    await s.close();
    rmSync(home, { recursive: true, force: true });
  });
  const info = await seedDemo(s.ctx, join(home, 'demo.json'));
  const env = { MYNA_HOME: home };
  await saveCredentials(
    {
      server: s.url,
      token: info.login.token,
      login: info.operator,
      expiresAt: info.login.expiresAt,
    },
    env,
  );
  const base = {
    MYNA_HOME: home,
    MYNA_LANG: 'en',
    MYNA_TOKEN: undefined,
    MYNA_SERVER: undefined,
    MYNA_TERMINAL: undefined,
    MYNA_CARDAP_PIN: undefined,
  };
  const c1 = join(home, 'c1.json');
  await saveCardFile(c1, await newCard());

  // The terminal's preset loads the demo card AP; the terminal is the operator's only one.
  const load = await myna(['load', '--card', c1], base);
  assert.equal(load.code, 0, load.err);
  const userId = /user ID ([0-9A-F]{26})/.exec(load.out)?.[1];
  assert.ok(userId, load.out);
  const read = await myna(['read', '--card', c1, '--aid', info.aid], base);
  assert.equal(read.code, 0, read.err);
  assert.match(read.out, new RegExp(`user ID: ${userId}`));
  assert.match(read.out, /"MYNA-LB"/);
  const twice = await myna(['load', '--card', c1], base);
  assert.equal(twice.code, 1);
  assert.match(twice.out, /ALREADY_LOADED/);
  const diag = await myna(['diagnose', '--card', c1], base);
  assert.equal(diag.code, 0, diag.out + diag.err);
  assert.match(diag.out, /No fault found/);
  const diagJa = await myna(['diagnose', '--card', c1], { ...base, MYNA_LANG: 'ja' });
  assert.match(diagJa.out, /異常はありません/);
  const del = await myna(['delete', '--card', c1, '--ap', info.cardApId], base);
  assert.equal(del.code, 0, del.err);
  assert.match(del.out, /deleted\s+ap_/);
  const gone = await myna(['read', '--card', c1, '--aid', info.aid], base);
  assert.equal(gone.code, 1);
  assert.match(gone.err, /no card AP/);
  const move = await myna(['move-in', '--card', c1, '--to', '102016'], base);
  assert.equal(move.code, 1);
  assert.match(move.err, /MOVE_IN_NOT_THIS_MUNICIPALITY/);
  assert.equal((await myna(['load'], base)).code, 2);
  assert.equal((await myna(['load', '--card', c1, '--ap', 'nope'], base)).code, 2);

  // A batch of prepared cards (一括搭載); a broken file is reported and the batch goes on.
  const dir = join(home, 'batch');
  mkdirSync(dir);
  for (const n of [1, 2, 3]) await saveCardFile(join(dir, `card-${n}.json`), await newCard());
  writeFileSync(join(dir, 'card-4.json'), '{ not a card');
  const batch = await myna(
    ['load', '--cards-dir', dir, '--ap', info.cardApId, '--note', '申請書 2026-12'],
    base,
  );
  assert.equal(batch.code, 1, 'one card failed');
  assert.match(batch.out, /\[3\/4\] .*card-3\.json: loaded 1\/1/);
  assert.match(batch.out, /\[4\/4\] .*card-4\.json: failed/);
  assert.match(batch.out, /closed: 3 cards, 3 loaded, 0 refused, 0 cut short/);

  // --cards-dir takes card files of any name, and names the file that is not a card.
  const anyName = join(home, 'any-name');
  mkdirSync(anyName);
  await saveCardFile(join(anyName, 'alice'), await newCard());
  await saveCardFile(join(anyName, 'bob.card'), await newCard());
  writeFileSync(join(anyName, 'notes.txt'), 'shopping list');
  const named = await myna(['load', '--cards-dir', anyName, '--ap', info.cardApId], base);
  assert.equal(named.code, 1, named.out + named.err);
  assert.match(named.out, /\[1\/3\] .*alice: loaded 1\/1/);
  assert.match(named.out, /\[2\/3\] .*bob\.card: loaded 1\/1/);
  assert.match(named.out, /\[3\/3\] .*notes\.txt: failed: .*notes\.txt is not a card file/);
  const empty = join(home, 'empty');
  mkdirSync(empty);
  const none = await myna(['load', '--cards-dir', empty, '--ap', info.cardApId], base);
  assert.equal(none.code, 1);
  assert.match(none.err, /empty holds no card files/);

  // A type A card AP: requested, approved by the platform, loaded with the holder's PIN.
  const platform = (
    await new ApiClient(s.url).call('login', {
      body: { login: 'admin', password: 'platform admin password' },
    })
  ).token;
  const req = await myna(
    [
      'ap',
      'request',
      '--provider',
      info.providerId,
      '--name',
      '職員証',
      '--type',
      'A',
      '--area',
      'extended',
      '--size',
      '64',
      '--pin-tries',
      '3',
      '--json',
    ],
    base,
  );
  assert.equal(req.code, 0, req.err);
  const apA = JSON.parse(req.out).id as string;
  const ok = await myna(['ap', 'approve', apA, '--json'], { ...base, MYNA_TOKEN: platform });
  assert.equal(ok.code, 0, ok.err);
  const aidA = JSON.parse(ok.out).aid as string;
  const c2 = join(home, 'c2.json');
  await saveCardFile(c2, await newCard());
  const noPin = await myna(['load', '--card', c2, '--ap', apA], base);
  assert.match(noPin.out, /CARDAP_PIN_REQUIRED/);
  const la = await myna(['load', '--card', c2, '--ap', apA], { ...base, MYNA_CARDAP_PIN: '4321' });
  assert.equal(la.code, 0, la.out + la.err);
  const pkg = join(home, 'keys.json');
  const keys = await myna(['ap', 'keys', apA, '--out', pkg], base);
  assert.equal(keys.code, 0, keys.err);
  assert.equal(statSync(pkg).mode & 0o777, 0o600);
  assert.equal((await myna(['ap', 'keys', apA, '--out', pkg], base)).code, 1, 'never overwrites');
  assert.match(
    (await myna(['ap', 'keys', info.cardApId, '--out', join(home, 'c.json')], base)).err,
    /CARDAP_HAS_NO_KEYS/,
  );
  const noKeys = await myna(['read', '--card', c2, '--aid', aidA], base);
  assert.match(noKeys.err, /key package/);
  const wrong = await myna(['read', '--card', c2, '--aid', aidA, '--keys', pkg], {
    ...base,
    MYNA_CARDAP_PIN: '0000',
  });
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /2 tries left/);
  // The wrong try was counted in the card file: the next wrong one leaves 1.
  const wrong2 = await myna(['read', '--card', c2, '--aid', aidA, '--keys', pkg], {
    ...base,
    MYNA_CARDAP_PIN: '0000',
  });
  assert.match(wrong2.err, /1 try left/);
  // A third wrong try locks it; the right PIN no longer helps until the provider resets it.
  const keyed = (pin: string) =>
    myna(['read', '--card', c2, '--aid', aidA, '--keys', pkg], { ...base, MYNA_CARDAP_PIN: pin });
  await keyed('0000');
  assert.match((await keyed('4321')).err, /locked/);
  const noNewPin = await myna(['pin-reset', '--card', c2, '--ap', apA], base);
  assert.match(noNewPin.err, /CARDAP_PIN_REQUIRED/);
  const reset = await myna(['pin-reset', '--card', c2, '--ap', apA], {
    ...base,
    MYNA_CARDAP_PIN: '4321',
  });
  assert.equal(reset.code, 0, reset.err);
  assert.match(reset.out, /is reset, 3 tries/);
  const typeC = await myna(['pin-reset', '--card', c2, '--ap', info.cardApId], base);
  assert.match(typeC.err, /CARDAP_HAS_NO_PIN/);
  const good = await myna(['read', '--card', c2, '--aid', aidA, '--keys', pkg], {
    ...base,
    MYNA_CARDAP_PIN: '4321',
  });
  assert.equal(good.code, 0, good.err);
  assert.match(good.out, /type A/);
  assert.match(good.out, new RegExp(`user ID: ${/user ID ([0-9A-F]{26})/.exec(la.out)?.[1]}`));
});
