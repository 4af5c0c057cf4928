/**
 * GET /v1/batches: the provider's bulk loading batches (一括搭載), newest first, a
 * page at a time; another provider's batches are never listed and never usable
 * as a page's cursor; a bad page size is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PW, MAEBASHI_BODY, PW, fixture } from './helpers.ts';

test('batches: newest first, paged, only the provider’s own', async (t) => {
  let clock = Date.parse('2026-06-01T10:00:00+09:00');
  // Each batch a minute after the last, so "newest first" is a fact of the clock.
  const f = await fixture(() => new Date((clock += 60_000)));
  t.after(() => f.close());
  const platform = await f.loginAs('admin', ADMIN_PW);
  /** A provider with a terminal, an administrator, an auditor and one approved card AP. */
  const provider = async (id: string, municipalityCode: string) => {
    const p = await f.call(
      'POST',
      '/v1/providers',
      { ...MAEBASHI_BODY, id, municipalityCode },
      platform,
    );
    assert.equal(p.status, 201, JSON.stringify(p.json));
    const terminal = `${id.toLowerCase()}-counter`;
    await f.call(
      'POST',
      '/v1/terminals',
      { id: terminal, providerId: id, name: terminal },
      platform,
    );
    const tokens: Record<string, string> = {};
    for (const role of ['administrator', 'auditor'] as const) {
      const login = `${id.toLowerCase()}-${role}`;
      const o = await f.call(
        'POST',
        '/v1/operators',
        { login, displayName: role, role, providerId: id, password: PW, terminals: [terminal] },
        platform,
      );
      assert.equal(o.status, 201, JSON.stringify(o.json));
      tokens[role] = await f.loginAs(login, PW);
    }
    const ap = await f.call(
      'POST',
      '/v1/card-aps',
      { providerId: id, name: `${id} 図書館`, type: 'C', areas: ['extended'], size: 33 },
      tokens.administrator,
    );
    assert.equal(
      (await f.call('POST', `/v1/card-aps/${ap.json.id}/approve`, {}, platform)).status,
      200,
    );
    const open = async () => {
      const b = await f.call(
        'POST',
        '/v1/batches',
        { terminalId: terminal, cardApIds: [ap.json.id] },
        tokens.administrator,
      );
      assert.equal(b.status, 201, JSON.stringify(b.json));
      return b.json.id as string;
    };
    return { admin: tokens.administrator!, auditor: tokens.auditor!, open };
  };
  const x = await provider('XTOWN', '102016');
  const y = await provider('YTOWN', '131016');
  const xIds: string[] = [];
  for (let i = 0; i < 5; i++) {
    xIds.push(await x.open());
    if (i === 1) await y.open();
  }
  const yOnly = await y.open();

  const first = await f.call('GET', '/v1/batches?limit=2', undefined, x.admin);
  assert.equal(first.status, 200, JSON.stringify(first.json));
  assert.deepEqual(
    first.json.batches.map((b: { id: string }) => b.id),
    [xIds[4], xIds[3]],
  );
  assert.equal(first.json.next, xIds[3]);
  assert.deepEqual(
    {
      state: first.json.batches[0].state,
      cards: first.json.batches[0].cards,
      loaded: first.json.batches[0].loaded,
    },
    { state: 'open', cards: 0, loaded: 0 },
  );
  // Walk the pages: every batch of X once, newest first, then null.
  const seen: string[] = [];
  let before: string | null = null;
  do {
    const page: { status: number; json: { batches: { id: string }[]; next: string | null } } =
      await f.call(
        'GET',
        `/v1/batches?limit=2${before ? `&before=${before}` : ''}`,
        undefined,
        x.admin,
      );
    assert.equal(page.status, 200);
    seen.push(...page.json.batches.map((b) => b.id));
    before = page.json.next;
  } while (before);
  assert.deepEqual(seen, [...xIds].reverse());
  // The auditor reads them too; the default page holds them all.
  const all = await f.call('GET', '/v1/batches', undefined, x.auditor);
  assert.equal(all.status, 200);
  assert.equal(all.json.batches.length, 5);
  assert.equal(all.json.next, null);
  assert.doesNotMatch(JSON.stringify(all.json), new RegExp(yOnly));

  // Y's batch as X's cursor: not found, as a made-up id.
  const foreign = await f.call('GET', `/v1/batches?before=${yOnly}`, undefined, x.admin);
  assert.equal(foreign.status, 404, JSON.stringify(foreign.json));
  for (const bad of ['limit=0', 'limit=101', 'limit=ten', 'before=nope', 'page=2']) {
    const r = await f.call('GET', `/v1/batches?${bad}`, undefined, x.admin);
    assert.equal(r.status, 400, bad);
    assert.equal(r.json.code, 'VALIDATION', bad);
    assert.ok(r.json.message.ja && r.json.message.en, bad);
  }
  assert.equal((await f.call('GET', '/v1/batches')).status, 401);
  // Y's administrator sees Y's two.
  const ys = await f.call('GET', '/v1/batches', undefined, y.admin);
  assert.equal(ys.json.batches.length, 2);
  assert.equal(ys.json.batches[0].id, yOnly);
});
