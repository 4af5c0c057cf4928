/**
 * The server over HTTP: the admin's routes (JSON and the Japanese-first page), the
 * door terminals' routes with their tokens, an entry opened and refused with its
 * message in both languages, the log verified, and bad input refused with a clear
 * message in both languages and nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entries, verifyLog } from '../src/store.ts';
import { AUTH, startStaffEntry, type StaffEntry } from './world.ts';

const TOUCH = '0102030405060708090A0B0C0D';
const PIN = 'A1A2A3A4A5A6A7A8A9AAABACAD';
const AIDS = ['F04D594E4150000110', 'F04D594E4150000111'];

async function json(r: Response, status: number): Promise<Record<string, unknown>> {
  const body = (await r.json()) as Record<string, unknown>;
  assert.equal(r.status, status, JSON.stringify(body));
  return body;
}

async function withServer(f: (s: StaffEntry) => Promise<void>) {
  const s = await startStaffEntry({ aids: AIDS });
  try {
    await f(s);
  } finally {
    await s.close();
  }
}

async function setUp(s: StaffEntry): Promise<{ office: string; server: string }> {
  await json(
    await s.admin('POST', '/staff', {
      staffNo: 'S001',
      name: '徳島 一郎',
      touchUserId: TOUCH,
      pinUserId: PIN,
    }),
    201,
  );
  await json(
    await s.admin('POST', '/doors', { doorId: 'OFFICE', name: '執務室', level: 'low' }),
    201,
  );
  await json(
    await s.admin('POST', '/doors', { doorId: 'SERVER', name: 'サーバ室', level: 'secure' }),
    201,
  );
  for (const doorId of ['OFFICE', 'SERVER'])
    await json(
      await s.admin('POST', '/permissions', {
        staffNo: 'S001',
        doorId,
        days: [1, 2, 3, 4, 5],
        from: '08:00',
        to: '20:00',
      }),
      201,
    );
  const office = (
    await json(await s.admin('POST', '/terminals', { terminalId: 'door-1', doorId: 'OFFICE' }), 201)
  ).token as string;
  const server = (
    await json(await s.admin('POST', '/terminals', { terminalId: 'door-2', doorId: 'SERVER' }), 201)
  ).token as string;
  return { office, server };
}

test('a door terminal: its door, an entry opened, refusals with their message, all logged', () =>
  withServer(async (s) => {
    const t = await setUp(s);
    assert.deepEqual(await json(await s.door(t.server, 'GET', '/door'), 200), {
      doorId: 'SERVER',
      name: 'サーバ室',
      level: 'secure',
    });
    const open = await json(
      await s.door(t.office, 'POST', '/entries', { touchUserId: TOUCH }),
      200,
    );
    assert.deepEqual(
      [open.opened, open.code, open.staffNo, (open.message as { ja: string }).ja],
      [true, 'OPENED', 'S001', '徳島 一郎 さん、どうぞ'],
    );
    const noPin = await json(
      await s.door(t.server, 'POST', '/entries', { touchUserId: TOUCH }),
      403,
    );
    assert.equal(noPin.code, 'PIN_NEEDED');
    const wrong = await json(
      await s.door(t.server, 'POST', '/entries', {
        touchUserId: TOUCH,
        pinFailure: { code: 'PIN_WRONG', triesLeft: 2 },
      }),
      403,
    );
    assert.equal(wrong.triesLeft, 2);
    assert.deepEqual(wrong.message, {
      ja: 'PINが違います。入室できません（残り 2 回）',
      en: 'wrong PIN: entry refused (2 tries left)',
    });
    const locked = await json(
      await s.door(t.server, 'POST', '/entries', {
        touchUserId: TOUCH,
        pinFailure: { code: 'PIN_LOCKED', triesLeft: 0 },
      }),
      403,
    );
    assert.match((locked.message as { ja: string }).ja, /ロックされています/);
    await json(
      await s.door(t.server, 'POST', '/entries', { touchUserId: TOUCH, pinUserId: PIN }),
      200,
    );
    s.setNow(new Date('2026-06-06T10:00:00+09:00')); // a Saturday
    assert.equal(
      (await json(await s.door(t.office, 'POST', '/entries', { touchUserId: TOUCH }), 403)).code,
      'OUTSIDE_HOURS',
    );

    const log = await json(await s.admin('GET', '/log'), 200);
    assert.deepEqual(log.verdict, { ok: true, rows: 6 });
    assert.deepEqual(
      (log.entries as { code: string }[]).map((e) => e.code),
      ['OPENED', 'PIN_NEEDED', 'PIN_WRONG', 'PIN_LOCKED', 'OPENED', 'OUTSIDE_HOURS'],
    );
    assert.deepEqual(await json(await s.admin('GET', '/log/verify'), 200), { ok: true, rows: 6 });
    // The admin page: Japanese first, the staff, the doors, the log checked.
    const page = await (await fetch(s.url + '/', { headers: { authorization: AUTH } })).text();
    assert.match(page, /<html lang="ja">/);
    assert.match(page, /徳島 一郎/);
    assert.match(page, /月火水木金 08:00–20:00/);
    assert.match(page, /改ざんなし（6 件）/);
  }));

test('the admin page by form: a page answers, errors too', () =>
  withServer(async (s) => {
    const ok = await s.form('/doors', { doorId: 'LOBBY', name: 'ロビー', level: 'low' });
    assert.equal(ok.status, 201);
    assert.match(await ok.text(), /扉 LOBBY を登録しました/);
    const bad = await s.form('/doors', { doorId: 'LOBBY', name: 'ロビー', level: 'low' });
    assert.equal(bad.status, 409);
    const html = await bad.text();
    assert.match(html, /その扉IDは登録済みです/);
    assert.match(html, /that door ID is already used/);
    const granted = await s.form('/staff', {
      staffNo: 'S9',
      name: '鳴門 花子',
      touchUserId: TOUCH,
      pinUserId: PIN,
    });
    assert.equal(granted.status, 201);
    const perm = await s.form('/permissions', {
      staffNo: 'S9',
      doorId: 'LOBBY',
      days: '1,3,5',
      from: '09:00',
      to: '17:00',
    });
    assert.match(await perm.text(), /月水金 09:00–17:00/);
  }));

test('bad input: a clear code in both languages, nothing written', () =>
  withServer(async (s) => {
    const t = await setUp(s);
    const before = (await entries(s.db)).length;
    const cases: [string, 'admin' | 'door', string, unknown, number, string][] = [
      [
        'no such staff field',
        'admin',
        '/staff',
        { staffNo: '', name: 'x', touchUserId: TOUCH, pinUserId: PIN },
        400,
        'STAFF_INVALID',
      ],
      [
        'a bad user ID',
        'admin',
        '/staff',
        { staffNo: 'S2', name: 'x', touchUserId: 'XYZ', pinUserId: PIN },
        400,
        'BAD_REQUEST',
      ],
      [
        'a card AP in use',
        'admin',
        '/staff',
        { staffNo: 'S2', name: 'x', touchUserId: TOUCH, pinUserId: 'C1C2C3C4C5C6C7C8C9CACBCCCD' },
        409,
        'CARD_IN_USE',
      ],
      [
        'a bad level',
        'admin',
        '/doors',
        { doorId: 'X', name: 'x', level: 'high' },
        400,
        'DOOR_INVALID',
      ],
      [
        'bad hours',
        'admin',
        '/permissions',
        { staffNo: 'S001', doorId: 'OFFICE', days: [1], from: '9', to: '17:00' },
        400,
        'RULE_INVALID',
      ],
      [
        'unknown staff',
        'admin',
        '/permissions',
        { staffNo: 'S404', doorId: 'OFFICE', days: [1], from: '09:00', to: '17:00' },
        404,
        'STAFF_UNKNOWN',
      ],
      [
        'a terminal for no door',
        'admin',
        '/terminals',
        { terminalId: 'door-9', doorId: 'NOPE' },
        404,
        'DOOR_UNKNOWN',
      ],
      ['a bad touch user ID', 'door', '/entries', { touchUserId: '12' }, 400, 'BAD_REQUEST'],
      [
        'a made-up PIN failure',
        'door',
        '/entries',
        { touchUserId: TOUCH, pinFailure: { code: 'PIN_OK', triesLeft: 3 } },
        400,
        'BAD_REQUEST',
      ],
      [
        'a PIN failure and a PIN card AP',
        'door',
        '/entries',
        { touchUserId: TOUCH, pinUserId: PIN, pinFailure: { code: 'PIN_WRONG', triesLeft: 1 } },
        400,
        'BAD_REQUEST',
      ],
      ['not an object', 'door', '/entries', 'hello', 400, 'BAD_REQUEST'],
    ];
    for (const [what, who, path, body, status, code] of cases) {
      const r =
        who === 'admin'
          ? await s.admin('POST', path, body)
          : await s.door(t.office, 'POST', path, body);
      const b = await json(r, status);
      assert.equal(b.code, code, what);
      const m = b.message as { ja: string; en: string };
      assert.ok(m.ja.length > 0 && m.en.length > 0 && m.ja !== m.en, `${what}: both languages`);
    }
    assert.equal((await entries(s.db)).length, before, 'no entry was logged by bad input');
    assert.deepEqual(await verifyLog(s.db), { ok: true, rows: 0 });

    // Who may call: no token, a wrong token, the admin's password on a door route.
    for (const r of [
      await fetch(s.url + '/entries', { method: 'POST' }),
      await s.door('not-a-token', 'POST', '/entries', { touchUserId: TOUCH }),
      await s.door('not-a-token', 'GET', '/door'),
    ])
      assert.equal((await json(r, 401)).code, 'TERMINAL_AUTH');
    const noAuth = await fetch(s.url + '/log');
    assert.equal(noAuth.status, 401);
    assert.match(noAuth.headers.get('www-authenticate') ?? '', /Basic/);
    assert.equal((await json(await s.door(t.office, 'GET', '/log'), 401)).code, 'STAFF_AUTH');
    assert.equal((await json(await s.admin('GET', '/nowhere'), 404)).code, 'NOT_FOUND');
    assert.equal((await json(await s.admin('POST', '/feed/poll'), 502)).code, 'LOADER_FEED_FAILED');
  }));
