/**
 * HTTPS and reverse proxies (issue 10): `myna serve --tls-cert/--tls-key` serves
 * the API and the console over TLS, with the session cookie marked Secure; behind a
 * proxy named by --trust-proxy the forwarded scheme counts (Secure cookie) and an
 * unnamed proxy's headers do not. Bad TLS files are refused before the server starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate, login, oneTimeLogin } from '@myna-ap/loader';
import { startLoader } from '../src/commands/serve.ts';
import { myna } from './cliRun.ts';

/** A self-signed certificate for localhost and 127.0.0.1, made by OpenSSL. */
function makeCert(dir: string, name: string, days = 2): { cert: string; key: string } | undefined {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
      .concat(['-keyout', key, '-out', cert, '-days', String(days), '-subj', '/CN=localhost'])
      .concat(['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']),
    { encoding: 'utf8' },
  );
  if (r.error) return undefined;
  assert.equal(r.status, 0, r.stderr);
  return { cert, key };
}

function get(url: string, ca: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(
        url,
        {
          ca,
          method: body ? 'POST' : 'GET',
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
}

test('myna serve over HTTPS: the API and a Secure session cookie; bad TLS files refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myna-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pair = makeCert(dir, 'server');
  if (!pair) {
    if (process.env.CI) assert.fail('openssl is missing (CI installs it)');
    t.skip('openssl not installed');
    return;
  }
  const s = await startLoader(0, {
    dataDir: join(dir, 'db'),
    adminPassword: 'platform admin pw',
    tls: { cert: readFileSync(pair.cert), key: readFileSync(pair.key) },
  });
  t.after(() => s.close());
  assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(pair.cert, 'utf8');
  const health = await get(`${s.url}/healthz`, ca);
  assert.equal(health.status, 200, health.body);
  // Plain HTTP to the TLS port gets no answer from the API.
  await assert.rejects(fetch(s.url.replace('https:', 'http:') + '/healthz'));
  const admin = await authenticate(s.ctx, (await login(s.ctx, 'admin', 'platform admin pw')).token);
  const ticket = await oneTimeLogin(s.ctx, admin.operatorId);
  const session = await get(`${s.url}/v1/console/one-time`, ca, {}, JSON.stringify({ ticket }));
  assert.equal(session.status, 200, session.body);
  const cookie = String(session.headers['set-cookie']);
  assert.match(cookie, /myna_console=[^;]+;.*HttpOnly/);
  assert.match(cookie, /; Secure/);
  assert.match(cookie, /SameSite=Strict/);

  // Bad TLS arguments: each refused with its reason, before anything listens.
  const other = makeCert(dir, 'other')!;
  writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
  const cases: [string[], RegExp][] = [
    [['--tls-cert', pair.cert], /needs both --tls-cert .* and --tls-key/],
    [
      ['--tls-cert', join(dir, 'none.pem'), '--tls-key', pair.key],
      /cannot read the TLS certificate/,
    ],
    [['--tls-cert', join(dir, 'junk.pem'), '--tls-key', pair.key], /is not a PEM certificate/],
    [['--tls-cert', pair.cert, '--tls-key', other.key], /is not the private key of/],
  ];
  for (const [args, message] of cases) {
    const r = await myna(['serve', '--port', '0', '--data-dir', join(dir, 'db2'), ...args], {
      MYNA_HOME: dir,
      MYNA_LANG: 'en',
    });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}${r.err}`);
    assert.match(r.err, message);
  }
  const ja = await myna(['serve', '--tls-key', pair.key], { MYNA_HOME: dir, MYNA_LANG: 'ja' });
  assert.match(ja.err, /両方が必要です/);
});

test('behind a reverse proxy: X-Forwarded-Proto counts only from a proxy named by --trust-proxy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myna-proxy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cookieVia = async (trustProxy: string | undefined) => {
    const s = await startLoader(0, {
      dataDir: join(dir, trustProxy ? 'trusted' : 'plain'),
      adminPassword: 'platform admin pw',
      ...(trustProxy ? { trustProxy } : {}),
    });
    try {
      const admin = await authenticate(
        s.ctx,
        (await login(s.ctx, 'admin', 'platform admin pw')).token,
      );
      const ticket = await oneTimeLogin(s.ctx, admin.operatorId);
      const r = await fetch(`${s.url}/v1/console/one-time`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ ticket }),
      });
      assert.equal(r.status, 200, await r.text());
      return r.headers.get('set-cookie') ?? '';
    } finally {
      await s.close();
    }
  };
  assert.match(
    await cookieVia('127.0.0.1'),
    /; Secure/,
    'the named proxy says the browser used HTTPS',
  );
  assert.doesNotMatch(await cookieVia(undefined), /; Secure/, 'anyone else could say so too');
});
