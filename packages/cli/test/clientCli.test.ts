/**
 * `myna client add|list|revoke` against a real server on a random port: the
 * secret printed once works at POST /v1/oauth/token and its token reads the feed;
 * after `myna client revoke` the token and the secret are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, TEST_CONFIG } from '@myna-ap/loader';
import { ADD_MAEBASHI, myna } from './cliRun.ts';

test('CLI: client add shows the secret once, list hides it, revoke stops its token', async () => {
  const home = mkdtempSync(join(tmpdir(), 'myna-cli-client-'));
  const s = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin password',
  });
  const base = { MYNA_HOME: home, MYNA_LANG: 'en', MYNA_TOKEN: undefined, MYNA_SERVER: s.url };
  try {
    const li = await myna(['login', '--user', 'admin'], {
      ...base,
      MYNA_PASSWORD: 'platform admin password',
    });
    assert.equal(li.code, 0, li.err);
    const prov = await myna(ADD_MAEBASHI, base);
    assert.equal(prov.code, 0, prov.err);

    const missing = await myna(['client', 'add', '--provider', 'MAEBASHI'], base);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--name/);
    const unknown = await myna(['client', 'add', '--provider', 'NOPE', '--name', 'x'], base);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /NOT_FOUND/);

    const add = await myna(['client', 'add', '--provider', 'MAEBASHI', '--name', 'マイタク'], base);
    assert.equal(add.code, 0, add.err);
    const id = /client_id:\s+(cl_[0-9a-f]{24})/.exec(add.out)?.[1];
    const secret = /client_secret:\s+(mynacs_\S+)/.exec(add.out)?.[1];
    assert.ok(id && secret, add.out);
    assert.match(add.out, /not shown again/);

    // A client that signs JWTs: registered with its public key, it gets no secret;
    // a private key given by mistake is refused.
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = join(home, 'system.pem');
    writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const keyed = await myna(
      ['client', 'add', '--provider', 'MAEBASHI', '--name', '署名システム', '--public-key', pub],
      base,
    );
    assert.equal(keyed.code, 0, keyed.err);
    assert.match(keyed.out, /private_key_jwt/);
    assert.match(keyed.out, /audience: .*\/v1\/oauth\/token/);
    assert.doesNotMatch(keyed.out, /client_secret/);
    const priv = join(home, 'private.pem');
    writeFileSync(priv, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const wrong = await myna(
      ['client', 'add', '--provider', 'MAEBASHI', '--name', 'x', '--public-key', priv],
      base,
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /CLIENT_KEY_REFUSED/);
    assert.match(wrong.err, /private key/);

    const list = await myna(['client', 'list'], base);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`${id}\\s+MAEBASHI\\s+マイタク`));
    assert.ok(!list.out.includes(secret));

    const token = async () =>
      fetch(`${s.url}/v1/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
    const tr = await token();
    assert.equal(tr.status, 200);
    const { access_token } = (await tr.json()) as { access_token: string };
    const feed = () =>
      fetch(`${s.url}/v1/feed`, { headers: { authorization: `Bearer ${access_token}` } });
    assert.equal((await feed()).status, 200);

    const usage = await myna(['client', 'revoke'], base);
    assert.equal(usage.code, 2);
    const rev = await myna(['client', 'revoke', id], { ...base, MYNA_LANG: 'ja' });
    assert.equal(rev.code, 0, rev.err);
    assert.match(rev.out, /失効させました/);
    assert.equal((await feed()).status, 401);
    assert.equal((await token()).status, 401);
    const again = await myna(['client', 'revoke', id], base);
    assert.equal(again.code, 1);
    assert.match(again.err, /CLIENT_REVOKED/);
    assert.match((await myna(['client', 'list', '--json'], base)).out, /"revokedAt": "20/);
  } finally {
    await s.close();
    rmSync(home, { recursive: true, force: true });
  }
});
