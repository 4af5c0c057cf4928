/**
 * The status feed's CLI verbs end to end against a real server on a random port:
 * `myna card status` (platform), `myna feed` (once, --json, --follow until
 * Ctrl-C), `myna feed daily` (table, --csv to stdout and --out FILE), `myna notices`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/main.ts';
import type { Transmit } from '@myna-ap/apdu';
import { MemoryKeyStore, TEST_CONFIG, loadOnCard, startServer, type CardId } from '@myna-ap/loader';
// The resident system's side of a status change has no public entry point yet.
import { setCardStatus } from '@myna-ap/loader/testing';
import { T, cardIdOf, newCard, world } from '@myna-ap/loader/testing';

type Env = Record<string, string | undefined>;

/** Runs `myna args`; `out` fills while it runs (for --follow). */
function start(args: string[], env: Env) {
  const out: string[] = [];
  const err: string[] = [];
  const saved: Env = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const done = main(args, { out: (l) => out.push(l), err: (l) => err.push(l) }).finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  return { out, err, done };
}

async function myna(args: string[], env: Env) {
  const r = start(args, env);
  const code = await r.done;
  return { code, out: r.out.join('\n'), err: r.err.join('\n') };
}

/** Today in Japan (the server's clock is the real one). */
const todayJst = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);

test('CLI: card status, feed (once, --json, --follow), feed daily (--csv, --out), notices', async () => {
  const home = mkdtempSync(join(tmpdir(), 'myna-feed-cli-'));
  const keys = new MemoryKeyStore('test');
  const s = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin pw',
    keys,
  });
  const base: Env = { MYNA_HOME: home, MYNA_LANG: 'en', MYNA_TOKEN: undefined, MYNA_SERVER: s.url };
  try {
    // 千代田区 loads its type C card AP onto a card (in process, over the server's database).
    const w = await world({ db: s.db, keys });
    const card = await newCard();
    const io: Transmit = (b) => card.transmit(b);
    const loaded = await loadOnCard(w.ctx, w.op, io, {
      terminalId: T,
      items: [{ cardApId: w.aps.C }],
      consent: { method: 'counter_form' },
    });
    const userId = loaded.results[0]!.userId!;
    const cardId = cardIdOf(card);

    const li = await myna(['login', '--user', 'admin'], {
      ...base,
      MYNA_PASSWORD: 'platform admin pw',
    });
    assert.equal(li.code, 0, li.err);
    // The call center's report, recorded by the platform.
    const lost = await myna(
      ['card', 'status', cardId, '--set', 'lost', '--source', 'call_center', '--note', 'case 7'],
      base,
    );
    assert.equal(lost.code, 0, lost.err);
    assert.match(
      lost.out,
      new RegExp(`card ${cardId}: active → lost \\(feed seq 1\\); providers told: CHIYODA`),
    );
    const bad = await myna(
      ['card', 'status', cardId, '--set', 'stolen', '--source', 'issuer'],
      base,
    );
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--set is one of lost, suspended, revoked, active/);
    const refused = await myna(
      ['card', 'status', cardId, '--set', 'active', '--source', 'call_center'],
      { ...base, MYNA_LANG: 'ja' },
    );
    assert.equal(refused.code, 1);
    assert.match(refused.err, /利用可に戻せません.*\[CARD_STATUS_SOURCE\]/);
    assert.equal(
      (await myna(['card', 'status', '--set', 'lost', '--source', 'issuer'], base)).code,
      2,
    );

    const f = await myna(['feed'], base);
    assert.equal(f.code, 0, f.err);
    assert.match(f.out, new RegExp(`^1\\s+\\S+\\s+${cardId}\\s+active→lost\\s+call_center`, 'm'));
    assert.match(f.err, /next time: myna feed --since 1/);
    const j = JSON.parse((await myna(['feed', '--json', '--since', '0'], base)).out);
    assert.deepEqual(
      j.events.map((e: { seq: number; status: string }) => [e.seq, e.status]),
      [[1, 'lost']],
    );
    assert.equal(j.next, 1);
    assert.equal((await myna(['feed', '--since', '-1'], base)).code, 2);

    // The provider's administrator: its notices and its daily list with the user ID.
    const asChiyoda = { ...base, MYNA_HOME: join(home, 'chiyoda') };
    const li2 = await myna(['login', '--user', 'chiyoda-admin2'], {
      ...asChiyoda,
      MYNA_PASSWORD: 'operator password 1',
    });
    assert.equal(li2.code, 0, li2.err);
    const n = await myna(['notices'], asChiyoda);
    assert.equal(n.code, 0, n.err);
    assert.match(
      n.out,
      new RegExp(
        `card_status\\s+${cardId}\\s+${w.aps.C}\\s+${userId}\\s+active→lost \\(call_center\\)`,
      ),
    );
    assert.match(n.err, /next time: myna notices --after 1/);
    const denied = await myna(
      ['card', 'status', cardId, '--set', 'active', '--source', 'issuer'],
      asChiyoda,
    );
    assert.match(denied.err, /FORBIDDEN/);

    const day = todayJst();
    const dt = await myna(['feed', 'daily', '--date', day], asChiyoda);
    assert.equal(dt.code, 0, dt.err);
    assert.match(dt.out, new RegExp(`${cardId}\\s+lost\\s+call_center\\s+\\S+\\s+1\\s+${userId}`));
    assert.match(dt.err, /is not over yet/);
    const csv = await myna(['feed', 'daily', '--date', day, '--csv'], asChiyoda);
    assert.equal(csv.code, 0, csv.err);
    const file = join(home, 'status.csv');
    assert.equal(
      (await myna(['feed', 'daily', '--date', day, '--csv', '--out', file], asChiyoda)).code,
      0,
    );
    const bytes = readFileSync(file, 'utf8');
    assert.equal(csv.out + '\n', bytes, 'stdout carries the same CRLF records as the file');
    assert.match(
      bytes,
      new RegExp(
        `^card_id,status,source,changed_at,seq,changes,card_ap_id,aid,user_id\r\n${cardId},lost,call_center,[^,]+,1,1,${w.aps.C},[0-9A-F]+,${userId}\r\n$`,
      ),
    );
    assert.equal((await myna(['feed', 'daily', '--date', '2026-02-30'], asChiyoda)).code, 1);
    assert.equal((await myna(['feed', 'daily', '--date', 'tomorrow'], asChiyoda)).code, 2);

    // --follow prints what comes, until Ctrl-C.
    const follow = start(['feed', '--follow', '--interval', '1', '--since', '1'], asChiyoda);
    await setCardStatus(w.ctx, w.platform, cardId as CardId, {
      status: 'active',
      source: 'issuer',
    });
    for (let i = 0; i < 200 && !follow.out.some((l) => l.includes('lost→active')); i++)
      await new Promise((r) => setTimeout(r, 100));
    process.emit('SIGINT');
    assert.equal(await follow.done, 0, follow.err.join('\n'));
    assert.match(
      follow.out.join('\n'),
      new RegExp(`^2\\s+\\S+\\s+${cardId}\\s+lost→active\\s+issuer\\s+${userId}$`, 'm'),
    );
    assert.ok(!follow.out.some((l) => /active→lost/.test(l)), 'nothing before --since');
    assert.match(follow.err.join('\n'), /next time: myna feed --since 2/);
  } finally {
    await s.close();
    rmSync(home, { recursive: true, force: true });
  }
});
