/**
 * A renewal at the counter, end to end through the CLI: `myna serve`'s server with
 * the JPKI issuer directory (the old → new card links), `myna card create
 * --replaces OLD`, the provider's `myna ap carry-over ID --allow`, and `myna
 * carry-over --card NEW` carrying the old card's card AP with a new user ID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_CONFIG, saveCredentials, seedDemo, startServer } from '@myna-ap/loader';
import { jpkiRevocations } from '../src/commands/jpkiCheck.ts';
import { myna } from './cliRun.ts';

test('CLI: card create --replaces links the renewal; carry-over loads the old card APs with new user IDs once', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'myna-carry-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const pki = join(home, 'pki');
  const base = {
    MYNA_HOME: home,
    MYNA_LANG: 'en',
    MYNA_TOKEN: undefined,
    MYNA_SERVER: undefined,
    MYNA_TERMINAL: undefined,
    MYNA_CARDAP_PIN: undefined,
  };
  const holder = ['--name', '番号 太郎', '--birth', '1980-04-01', '--municipality', '131016'];
  const oldCard = join(home, 'old.json');
  const made = await myna(['card', 'create', '--out', oldCard, '--pki', pki, ...holder], base);
  assert.equal(made.code, 0, made.err);

  const s = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin password',
    jpkiRevocations: jpkiRevocations(pki, 0.2, () => {}),
  });
  t.after(() => s.close());
  const info = await seedDemo(s.ctx, join(home, 'demo.json'));
  await saveCredentials(
    {
      server: s.url,
      token: info.login.token,
      login: info.operator,
      expiresAt: info.login.expiresAt,
    },
    { MYNA_HOME: home },
  );

  const load = await myna(['load', '--card', oldCard], base);
  assert.equal(load.code, 0, load.err);
  const oldUserId = /user ID ([0-9A-F]{26})/.exec(load.out)?.[1];
  assert.ok(oldUserId, load.out);

  // The renewal: a card file that is not a card, then the real old card.
  const newCard = join(home, 'new.json');
  const notACard = await myna(
    [
      'card',
      'create',
      '--out',
      newCard,
      '--pki',
      pki,
      '--replaces',
      join(home, 'demo.json'),
      ...holder,
    ],
    base,
  );
  assert.notEqual(notACard.code, 0);
  const renewed = await myna(
    ['card', 'create', '--out', newCard, '--pki', pki, '--replaces', oldCard, ...holder],
    base,
  );
  assert.equal(renewed.code, 0, renewed.err);
  assert.match(renewed.out, /replaces .*old\.json/);
  const links = (await readFile(join(pki, 'cards.jsonl'), 'utf8')).trim().split('\n');
  const link = JSON.parse(links.at(-1)!) as { card: string; replacesCard?: string };
  assert.ok(link.replacesCard, 'the issuer recorded the old card');
  // The old card's two certificates are revoked (superseded), and so the old card is void.
  assert.match(renewed.out, /old auth certificate [0-9a-f]+: revoked \(replaced/);
  assert.match(renewed.out, /old sign certificate [0-9a-f]+: revoked \(replaced/);
  const revocations = (await readFile(join(pki, 'revocations.jsonl'), 'utf8')).trim().split('\n');
  assert.deepEqual(
    revocations.map((l) => (JSON.parse(l) as { reason: string }).reason),
    ['replaced', 'replaced'],
  );
  const oldStatus = async () =>
    (
      await s.db.query<{ status: string }>('SELECT status FROM cards WHERE card_id = $1', [
        link.replacesCard,
      ])
    ).rows[0]?.status;
  for (let i = 0; i < 100 && (await oldStatus()) !== 'revoked'; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await oldStatus(), 'revoked', 'the feed has the old card revoked by itself');

  // Until the provider allows it, its card AP is named and not carried, with what to do.
  const refused = await myna(['carry-over', '--card', newCard], base);
  assert.equal(refused.code, 1, refused.out + refused.err);
  assert.match(
    refused.out,
    /not carried .*ask.* provider to load it again \[CARRY_OVER_NOT_ALLOWED\]/,
  );
  const allow = await myna(['ap', 'carry-over', info.cardApId, '--allow'], base);
  assert.equal(allow.code, 0, allow.err);

  const carried = await myna(['carry-over', '--card', newCard], base);
  assert.equal(carried.code, 0, carried.out + carried.err);
  assert.match(carried.out, new RegExp(`from card ${link.replacesCard}`));
  const newUserId = new RegExp(`user ID ([0-9A-F]{26}) \\(was ${oldUserId};`).exec(
    carried.out,
  )?.[1];
  assert.ok(newUserId, carried.out);
  assert.notEqual(newUserId, oldUserId, "a new user ID, never the old card's");
  const read = await myna(['read', '--card', newCard, '--aid', info.aid], base);
  assert.equal(read.code, 0, read.err);
  assert.match(read.out, new RegExp(`user ID: ${newUserId}`));
  // The old card keeps its own card AP (it may still be in someone's hand until returned).
  const readOld = await myna(['read', '--card', oldCard, '--aid', info.aid], base);
  assert.match(readOld.out, new RegExp(`user ID: ${oldUserId}`));

  const again = await myna(['carry-over', '--card', newCard], base);
  // A re-run (after an interruption, say) finds it done: success, and nothing loaded twice.
  assert.equal(again.code, 0, again.out + again.err);
  assert.match(again.out, /already carried over .*\[ALREADY_CARRIED_OVER\]/);
  assert.doesNotMatch(again.out, /^ {2}carried /m);
  // A card that replaced nothing has nothing to carry over.
  const fresh = await myna(['carry-over', '--card', oldCard], base);
  assert.equal(fresh.code, 1);
  assert.match(fresh.out + fresh.err, /CARD_SUCCESSION_UNKNOWN/);
});
