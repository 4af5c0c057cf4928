/**
 * The loader's CLI verbs end to end: a real server on a random port, `myna`
 * commands run in-process against it, credentials saved 0600 in MYNA_HOME.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, TEST_CONFIG } from '@myna-ap/loader';
import { ADD_MAEBASHI, myna } from './cliRun.ts';

test('CLI: login, provider add/list/show, terminal, operator add/list, ap request/approve/list', async () => {
  const home = mkdtempSync(join(tmpdir(), 'myna-cli-'));
  const s = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin password',
  });
  const base = { MYNA_HOME: home, MYNA_LANG: 'en', MYNA_TOKEN: undefined, MYNA_SERVER: s.url };
  try {
    const notIn = await myna(['provider', 'list'], base);
    assert.equal(notIn.code, 1);
    assert.match(notIn.err, /not logged in/);
    const wrong = await myna(['login', '--user', 'admin'], { ...base, MYNA_PASSWORD: 'nope' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /LOGIN_FAILED/);
    const li = await myna(['login', '--user', 'admin'], {
      ...base,
      MYNA_PASSWORD: 'platform admin password',
    });
    assert.equal(li.code, 0, li.err);
    assert.equal(statSync(join(home, 'credentials.json')).mode & 0o777, 0o600);

    const add = await myna(ADD_MAEBASHI, base);
    assert.equal(add.code, 0, add.err);
    assert.match(add.out, /AID range F04D594E4150[0-9A-F]{4}00/);
    const bad = await myna(
      [
        'provider',
        'add',
        '--id',
        'X',
        '--name',
        'x',
        '--kind',
        'municipality',
        '--municipality-code',
        '102017',
        '--basis-ref',
        'r',
        '--basis-date',
        '2018-04-01',
        '--contact',
        'c',
      ],
      base,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.err, /MUNICIPALITY_CODE_INVALID/);
    const ja = await myna(['provider', 'show', 'NOPE'], { ...base, MYNA_LANG: 'ja' });
    assert.match(ja.err, /見つかりません/);
    assert.match(
      (await myna(['provider', 'list'], base)).out,
      /MAEBASHI\s+municipality\s+102016\s+active/,
    );
    assert.match(
      (await myna(['provider', 'show', 'MAEBASHI'], base)).out,
      /legal basis:\s+ordinance 前橋市条例第1号/,
    );
    const json = JSON.parse((await myna(['provider', 'list', '--json'], base)).out);
    assert.equal(json[0].id, 'MAEBASHI');

    assert.equal(
      (
        await myna(
          ['terminal', 'add', '--id', 'counter-1', '--provider', 'MAEBASHI', '--name', '窓口1'],
          base,
        )
      ).code,
      0,
    );
    const noPw = await myna(
      [
        'operator',
        'add',
        '--login',
        'mae-admin',
        '--role',
        'administrator',
        '--provider',
        'MAEBASHI',
      ],
      { ...base, MYNA_NEW_PASSWORD: undefined },
    );
    assert.equal(noPw.code, 2);
    const opAdd = await myna(
      [
        'operator',
        'add',
        '--login',
        'mae-admin',
        '--name',
        '前橋 管理者',
        '--role',
        'administrator',
        '--provider',
        'MAEBASHI',
        '--terminal',
        'counter-1',
      ],
      { ...base, MYNA_NEW_PASSWORD: 'operator password 1' },
    );
    assert.equal(opAdd.code, 0, opAdd.err);
    assert.match(
      (await myna(['operator', 'list'], base)).out,
      /mae-admin\s+administrator\s+MAEBASHI\s+counter-1/,
    );
    const opId = JSON.parse((await myna(['operator', 'list', '--json'], base)).out).find(
      (o: { login: string }) => o.login === 'mae-admin',
    ).id as string;
    assert.equal((await myna(['operator', 'unlock', opId], base)).code, 0);
    assert.equal((await myna(['operator', 'disable', opId], base)).code, 0);
    assert.match(
      (await myna(['operator', 'list'], base)).out,
      /mae-admin\s+administrator\s+MAEBASHI\s+counter-1\s+disabled/,
    );
    assert.equal((await myna(['operator', 'enable', opId], base)).code, 0);
    assert.match((await myna(['operator', 'unlock', 'op_nope'], base)).err, /VALIDATION/);

    // The provider's administrator requests; the platform approves.
    const asMae = { ...base, MYNA_TOKEN: undefined };
    assert.equal(
      (
        await myna(['login', '--user', 'mae-admin'], {
          ...asMae,
          MYNA_PASSWORD: 'operator password 1',
        })
      ).code,
      0,
    );
    const req = await myna(
      [
        'ap',
        'request',
        '--provider',
        'MAEBASHI',
        '--name',
        '図書館',
        '--type',
        'C',
        '--area',
        'extended',
        '--json',
      ],
      asMae,
    );
    assert.equal(req.code, 0, req.err);
    const apId = JSON.parse(req.out).id as string;
    const denied = await myna(['ap', 'approve', apId], asMae);
    assert.equal(denied.code, 1);
    assert.match(denied.err, /FORBIDDEN/);
    const tooBig = await myna(
      [
        'ap',
        'request',
        '--provider',
        'MAEBASHI',
        '--name',
        'x',
        '--type',
        'C',
        '--area',
        'extended',
        '--size',
        '40',
      ],
      asMae,
    );
    assert.match(tooBig.err, /CARDAP_TOO_LARGE/);
    assert.equal(
      (await myna(['ap', 'request', '--provider', 'MAEBASHI', '--name', 'x', '--type', 'C'], asMae))
        .code,
      2,
    );

    const adminLogin = await myna(['login', '--user', 'admin'], {
      ...base,
      MYNA_PASSWORD: 'platform admin password',
    });
    assert.equal(adminLogin.code, 0);
    const ok = await myna(['ap', 'approve', apId], base);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /AID F04D594E4150[0-9A-F]{4}00, 33 bytes, version 1/);
    assert.match(
      (await myna(['ap', 'list', '--status', 'approved'], base)).out,
      new RegExp(`${apId}\\s+MAEBASHI\\s+C\\s+approved`),
    );
    assert.equal((await myna(['logout'], base)).code, 0);
    assert.match((await myna(['ap', 'list'], base)).err, /not logged in/);
  } finally {
    await s.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('CLI: serve refuses a bad port and a bad DATABASE_URL with clear messages', async () => {
  const home = mkdtempSync(join(tmpdir(), 'myna-cli-'));
  try {
    const r = await myna(['serve', '--port', 'abc'], { MYNA_HOME: home, MYNA_LANG: 'en' });
    assert.equal(r.code, 2);
    assert.match(r.err, /--port must be a whole number/);
    const u = await myna(['serve', '--port', '0'], {
      MYNA_HOME: home,
      MYNA_LANG: 'en',
      DATABASE_URL: 'mysql://x',
    });
    assert.equal(u.code, 1);
    assert.match(u.err, /DATABASE_URL_INVALID/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
