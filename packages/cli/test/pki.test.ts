import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { main } from '@myna-ap/cli';

/** `myna pki serve` as its own process; resolves once it says where it listens. */
async function serve(dir: string) {
  const bin = new URL('../../../bin/myna.mjs', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'pki', 'serve', '--dir', dir, '--port', '0'], {
    env: { ...process.env, MYNA_LANG: 'en' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /serving at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited early (${code}): ${out}`)));
  });
  return { child, url };
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('myna pki init, chain, and card create --pki issue from that issuer', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'myna-cli-pki-'));
  const dir = join(home, 'pki');
  const savedHome = process.env.MYNA_HOME;
  process.env.MYNA_HOME = home; // card create keeps its card-issuer key under MYNA_HOME
  t.after(() => {
    if (savedHome === undefined) delete process.env.MYNA_HOME;
    else process.env.MYNA_HOME = savedHome;
  });
  const init = await cli('pki', 'init', '--dir', dir, '--base-url', 'http://127.0.0.1:9999/');
  assert.equal(init.code, 0, init.err);
  assert.match(init.out, /http:\/\/127\.0\.0\.1:9999/);
  const again = await cli('pki', 'init', '--dir', dir);
  assert.equal(again.code, 1);
  assert.match(again.err, /not empty/);

  const chain = await cli('pki', 'chain', '--dir', dir);
  assert.equal(chain.code, 0, chain.err);
  assert.equal(chain.out.match(/BEGIN CERTIFICATE/g)?.length, 3);
  const chainFile = join(home, 'chain.pem');
  await writeFile(chainFile, chain.out + '\n');

  const card = join(home, 'card.json');
  const made = await cli('card', 'create', '--out', card, '--pki', dir);
  assert.equal(made.code, 0, made.err);
  const cert = await cli('card', 'cert', card, 'auth');
  assert.equal(cert.code, 0, cert.err);
  const leaf = join(home, 'auth.pem');
  await writeFile(leaf, cert.out + '\n');
  const v = spawnSync('openssl', ['verify', '-CAfile', chainFile, leaf]);
  assert.equal(v.status, 0, v.stdout.toString() + v.stderr.toString());

  // revoke it, publish the auth CRL, and openssl now refuses the certificate
  const serial = spawnSync('openssl', ['x509', '-noout', '-serial', '-in', leaf])
    .stdout.toString()
    .trim()
    .replace(/^serial=/, '');
  const wrong = await cli(
    'pki',
    'revoke',
    '--dir',
    dir,
    '--serial',
    serial,
    '--reason',
    'info-change',
  );
  assert.equal(wrong.code, 1, 'a change of the 4 info leaves the auth certificate valid');
  const rev = await cli('pki', 'revoke', '--dir', dir, '--serial', serial, '--reason', 'lost');
  assert.equal(rev.code, 0, rev.err);
  const crlFile = join(home, 'auth.crl');
  const crl = await cli('pki', 'crl', '--dir', dir, '--kind', 'auth', '--out', crlFile);
  assert.equal(crl.code, 0, crl.err);
  const withCrl = spawnSync('openssl', [
    'verify',
    '-crl_check',
    '-CAfile',
    chainFile,
    '-CRLfile',
    crlFile,
    leaf,
  ]);
  assert.notEqual(withCrl.status, 0);
  assert.match(withCrl.stdout.toString() + withCrl.stderr.toString(), /certificate revoked/);
});

test('myna pki: bad arguments and a missing issuer are clear errors', async () => {
  const missing = join(await mkdtemp(join(tmpdir(), 'myna-cli-pki-')), 'none');
  const r = await cli('pki', 'chain', '--dir', missing);
  assert.equal(r.code, 1);
  assert.match(r.err, /myna pki init/);
  const bad = await cli('pki', 'init', '--dir', missing, '--base-url', 'ftp://x');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--base-url/);
});

test('myna pki serve prints its URL, serves CRLs and OCSP, and stops on SIGINT', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'myna-cli-pki-')), 'pki');
  assert.equal((await cli('pki', 'init', '--dir', dir)).code, 0);
  const { child, url } = await serve(dir);
  const crl = await fetch(`${url}/crl/auth.crl`);
  assert.equal(crl.status, 200);
  assert.equal((await fetch(`${url}/ocsp`, { method: 'PUT' })).status, 405);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('myna pki serve answers a revocation made by another process (myna pki revoke) at once', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'myna-cli-pki-'));
  const dir = join(home, 'pki');
  const savedHome = process.env.MYNA_HOME;
  process.env.MYNA_HOME = home;
  t.after(() => {
    if (savedHome === undefined) delete process.env.MYNA_HOME;
    else process.env.MYNA_HOME = savedHome;
  });
  assert.equal((await cli('pki', 'init', '--dir', dir)).code, 0);
  const card = join(home, 'card.json');
  assert.equal((await cli('card', 'create', '--out', card, '--pki', dir)).code, 0);
  const leaf = join(home, 'auth.pem');
  await writeFile(leaf, (await cli('card', 'cert', card, 'auth')).out + '\n');
  const chainFile = join(home, 'chain.pem');
  await writeFile(chainFile, (await cli('pki', 'chain', '--dir', dir)).out + '\n');
  // The issuing CA is the chain's first certificate (auth CA).
  const caFile = join(home, 'auth-ca.pem');
  await writeFile(
    caFile,
    /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(
      (await cli('pki', 'chain', '--dir', dir)).out,
    )![0] + '\n',
  );

  const { child, url } = await serve(dir);
  t.after(() => child.kill('SIGKILL'));
  const ask = () => {
    const r = spawnSync('openssl', [
      'ocsp',
      '-issuer',
      caFile,
      '-cert',
      leaf,
      '-url',
      `${url}/ocsp`,
      '-CAfile',
      chainFile,
    ]);
    return r.stdout.toString() + r.stderr.toString();
  };
  assert.match(ask(), /: good/);
  const serial = spawnSync('openssl', ['x509', '-noout', '-serial', '-in', leaf])
    .stdout.toString()
    .trim()
    .replace(/^serial=/, '');
  // This test process is not the server: the revocation reaches it through the issuer directory.
  assert.equal(
    (await cli('pki', 'revoke', '--dir', dir, '--serial', serial, '--reason', 'lost')).code,
    0,
  );
  const after = ask();
  assert.match(after, /: revoked/);
  assert.match(after, /Reason: keyCompromise/);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});
