/**
 * A holder's PIN reset at the counter in the audit log: who, where, which card,
 * which PIN, how far it got — never the PIN (the route refuses a body with one);
 * only a municipality's operators at their own terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServer } from '../src/http/server.ts';
import { recordPinReset } from '../src/store/pinResets.ts';
import { createProvider } from '../src/store/providers.ts';
import { createOperator, login, authenticate } from '../src/store/operators.ts';
import { createTerminal } from '../src/store/terminals.ts';
import { providerId, type CardId, type TerminalId } from '../src/domain/ids.ts';
import { LoaderError } from '../src/errors.ts';
import { T, world } from './cardWorld.ts';

const CARD = '00112233445566778899AABBCCDDEEFF';
const KEY_ID = 'A1'.repeat(16);

test('each step is an audit row of the operator: card, terminal, PIN kind, outcome; no PIN field is taken', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const app = buildServer(w.ctx);
  t.after(() => app.close());
  const post = (body: Record<string, unknown>, token = w.tokens.op, card = CARD.toLowerCase()) =>
    app.inject({
      method: 'POST',
      url: `/v1/cards/${card}/pin-resets`,
      headers: { authorization: `Bearer ${token}` },
      payload: body,
    });
  const r1 = await post({ terminalId: T, which: 'auth', outcome: 'confirmed', cardKeyId: KEY_ID });
  assert.equal(r1.statusCode, 200, r1.body);
  const r2 = await post({ terminalId: T, which: 'auth', outcome: 'reset' });
  assert.equal(r2.statusCode, 200, r2.body);
  const r3 = await post({
    terminalId: T,
    which: 'sign',
    outcome: 'failed',
    error: 'ISSUER_AUTH_FAILED',
  });
  assert.equal(r3.statusCode, 200, r3.body);
  assert.deepEqual(
    (JSON.parse(r2.body) as { cardId: string; which: string; outcome: string }).cardId,
    CARD,
  );

  const rows = await w.db.query<{ actor: string; target: string; detail: Record<string, unknown> }>(
    "SELECT actor, target, detail FROM audit_log WHERE action = 'card.pin_reset' ORDER BY seq",
  );
  assert.deepEqual(
    rows.rows.map((r) => [r.actor, r.target, r.detail]),
    [
      [
        w.op.operatorId,
        CARD,
        { cardId: CARD, terminalId: T, which: 'auth', outcome: 'confirmed', cardKeyId: KEY_ID },
      ],
      [w.op.operatorId, CARD, { cardId: CARD, terminalId: T, which: 'auth', outcome: 'reset' }],
      [
        w.op.operatorId,
        CARD,
        {
          cardId: CARD,
          terminalId: T,
          which: 'sign',
          outcome: 'failed',
          error: 'ISSUER_AUTH_FAILED',
        },
      ],
    ],
  );

  // A PIN or security code has no place in the request: refused, nothing written.
  for (const extra of [{ pin: '1234' }, { newPin: '1234' }, { securityCode: '5678' }]) {
    const r = await post({ terminalId: T, which: 'auth', outcome: 'reset', ...extra });
    assert.equal(r.statusCode, 400, r.body);
    assert.equal((JSON.parse(r.body) as { code: string }).code, 'VALIDATION');
  }
  for (const bad of [
    { terminalId: T, which: 'pin_a', outcome: 'reset' },
    { terminalId: T, which: 'auth', outcome: 'done' },
    { terminalId: T, which: 'auth', outcome: 'reset', cardKeyId: 'xyz' },
    { terminalId: T, which: 'auth', outcome: 'failed', error: 'not a code' },
    { which: 'auth', outcome: 'reset' },
  ]) {
    const r = await post(bad);
    assert.equal(r.statusCode, 400, JSON.stringify(bad));
  }
  assert.equal(
    (await post({ terminalId: T, which: 'auth', outcome: 'reset' }, w.tokens.op, 'zz')).statusCode,
    400,
  );
  const after = await w.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_log WHERE action = 'card.pin_reset'",
  );
  assert.equal(after.rows[0]?.n, 3);
  const all = await w.db.query<{ detail: unknown }>('SELECT detail FROM audit_log');
  assert.ok(!JSON.stringify(all.rows).includes('5678'));
});

test('only at the operator’s own terminal of a municipality; not the platform', async (t) => {
  const w = await world();
  t.after(() => w.db.close());
  const cardId = CARD as CardId;
  const report = { terminalId: T, which: 'auth' as const, outcome: 'reset' as const };
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (e) {
      if (e instanceof LoaderError) return e.code;
      throw e;
    }
  };
  assert.equal(await code(recordPinReset(w.ctx, w.admin, cardId, report)), 'ok');
  assert.equal(await code(recordPinReset(w.ctx, w.platform, cardId, report)), 'FORBIDDEN');
  assert.equal(
    await code(
      recordPinReset(w.ctx, w.op, cardId, { ...report, terminalId: 'counter-9' as TerminalId }),
    ),
    'FORBIDDEN',
  );

  // A private provider's counter operator: not a municipality's counter.
  const shop = await createProvider(w.ctx, w.platform, {
    id: providerId('SHOP'),
    name: '商店街',
    kind: 'private',
    legalBasis: { kind: 'conformity', reference: '法基準適合性確認', date: '2020-04-01' },
    contact: { name: '事務局' },
  });
  await createOperator(w.ctx, w.platform, {
    login: 'shop-admin',
    displayName: '管理者',
    role: 'administrator',
    providerId: shop.id,
    password: 'operator password 1',
    terminals: [],
  });
  const shopAdmin0 = await authenticate(
    w.ctx,
    (await login(w.ctx, 'shop-admin', 'operator password 1')).token,
  );
  await createTerminal(w.ctx, shopAdmin0, {
    id: 'shop-1' as TerminalId,
    providerId: shop.id,
    name: '店頭',
    autoLoad: [],
  });
  await createOperator(w.ctx, shopAdmin0, {
    login: 'shop-op',
    displayName: '店員',
    role: 'loading_operator',
    providerId: shop.id,
    password: 'operator password 1',
    terminals: ['shop-1' as TerminalId],
  });
  const shopOp = await authenticate(
    w.ctx,
    (await login(w.ctx, 'shop-op', 'operator password 1')).token,
  );
  assert.equal(
    await code(
      recordPinReset(w.ctx, shopOp, cardId, { ...report, terminalId: 'shop-1' as TerminalId }),
    ),
    'MUNICIPALITY_COUNTER_ONLY',
  );
  const rows = await w.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_log WHERE action = 'card.pin_reset'",
  );
  assert.equal(rows.rows[0]?.n, 1);
});
