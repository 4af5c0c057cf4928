/**
 * `myna card change-address` end to end: a card made by `myna card create` with
 * an issuer on disk, the operator logged in at the counter; the card file
 * rewritten, the old sign certificate in the issuer's revocations (info-change),
 * the loader's audit row (card.info_change: what changed, the serials, never the
 * address itself); secrets from stdin; not logged in: the card untouched.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MynaClient } from '@myna-ap/access';
import { loadCardFile } from '@myna-ap/card';
import { InProcessChannel } from '@myna-ap/transport';
import { T } from '@myna-ap/loader/testing';
import { myna } from './cliRun.ts';
import { counterServer, type Counter } from './counterServer.ts';

let counter: Counter | undefined;
after(() => counter?.close());
const MOVED = '大阪府大阪市北区中之島1丁目3番20号';

async function madeCard(c: Counter) {
  const dir = await mkdtemp(join(tmpdir(), 'myna-change-'));
  const card = join(dir, 'holder.card');
  const pki = join(dir, 'pki');
  const r = await myna(
    ['card', 'create', '--out', card, '--pki', pki, '--birth', '1990-02-03', '--pin', '2580'],
    c.env,
  );
  assert.equal(r.code, 0, r.err);
  const code = /security code (\d+)/.exec(r.out)?.[1];
  const sign = /sign password: (\S+)/.exec(r.out)?.[1];
  assert.ok(code && sign, r.out);
  return { dir, card, pki, code, sign, done: () => rm(dir, { recursive: true, force: true }) };
}

const audit = async (c: Counter) =>
  (
    await c.server.db.query<{ target: string; detail: Record<string, unknown> }>(
      "SELECT target, detail FROM audit_log WHERE action = 'card.info_change' ORDER BY seq",
    )
  ).rows;

test('an address change at the counter: card, issuer and loader agree', async () => {
  const c = (counter ??= await counterServer());
  const k = await madeCard(c);
  try {
    const before = await readFile(k.card, 'utf8');
    const argv = ['card', 'change-address', '--card', k.card, '--pki', k.pki];
    const env = { MYNA_SECURITY_CODE: k.code, MYNA_TEXT_PIN: '2580', MYNA_SIGN_PASSWORD: k.sign };
    // no new address: refused before the card
    const none = await myna([...argv, '--birth', '1990-02-03'], { ...c.env, ...env });
    assert.equal(none.code, 2);
    // not logged in: refused, the card untouched
    const out = await myna([...argv, '--birth', '1990-02-03', '--address', MOVED], {
      ...c.env,
      ...env,
      MYNA_HOME: join(k.dir, 'nobody'),
    });
    assert.notEqual(out.code, 0);
    assert.equal(await readFile(k.card, 'utf8'), before);
    const r = await myna([...argv, '--birth', '1990-02-03', '--address', MOVED, '--terminal', T], {
      ...c.env,
      ...env,
    });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /TEST card issuer keys/);
    const client = new MynaClient(new InProcessChannel(await loadCardFile(k.card)));
    assert.equal((await client.readBasicInfo('2580')).address, MOVED);
    const rows = await audit(c);
    const row = rows.at(-1)!;
    assert.deepEqual(row.detail.changed, ['address']);
    assert.equal(row.detail.terminalId, T);
    const revoked = (await readFile(join(k.pki, 'revocations.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { serial: string; reason: string });
    assert.deepEqual(revoked, [
      { ...revoked[0]!, serial: row.detail.oldSignSerial, reason: 'info-change' },
    ]);
    assert.ok(!JSON.stringify(rows).includes('中之島'), 'the new address is not in the audit log');
    assert.ok(!`${r.out}${r.err}`.includes(k.sign), 'no secret printed');
  } finally {
    await k.done();
  }
});
