/**
 * `myna pki …` and `myna card create --pki` with the issuer's keys in a PKCS#11 token
 * (SoftHSM2): the PIN only from MYNA_PKCS11_PIN, never printed. Skipped without softhsm2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JpkiIssuer } from '@myna-ap/pki';
import { makeSoftHsmToken, skipUnlessSoftHsm, type TestToken } from '@myna-ap/pki/testing';
import { main } from '../src/main.ts';

const skip = skipUnlessSoftHsm();
const token: TestToken | undefined = skip ? undefined : makeSoftHsmToken();
const root = new URL('../../..', import.meta.url).pathname;
const pem = (der: Uint8Array) => new X509Certificate(der).toString();
const crlPem = (der: Uint8Array) =>
  `-----BEGIN X509 CRL-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END X509 CRL-----\n`;

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

test(
  'CLI: pki init on the token (PIN from MYNA_PKCS11_PIN only), then card create --pki, revoke, crl and serve sign through it',
  { skip },
  async (ctx) => {
    const t = token!;
    const home = await mkdtemp(join(tmpdir(), 'myna-p11-cli-'));
    const dir = join(home, 'pki');
    const saved = {
      home: process.env.MYNA_HOME,
      pin: process.env.MYNA_PKCS11_PIN,
      lang: process.env.MYNA_LANG,
    };
    ctx.after(() => {
      for (const [k, v] of [
        ['MYNA_HOME', saved.home],
        ['MYNA_PKCS11_PIN', saved.pin],
        ['MYNA_LANG', saved.lang],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    process.env.MYNA_HOME = home; // card create keeps its card-issuer key there
    process.env.MYNA_LANG = 'en';
    const printed: string[] = [];
    const myna = async (...argv: string[]) => {
      const lines: string[] = [];
      const code = await main(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
      printed.push(...lines);
      return { code, out: lines.join('\n') };
    };
    const p11 = ['--pkcs11-module', t.module, '--pkcs11-token', t.label];

    delete process.env.MYNA_PKCS11_PIN;
    const refused = await myna('pki', 'init', '--dir', dir, ...p11);
    assert.equal(refused.code, 1, refused.out);
    assert.match(refused.out, /MYNA_PKCS11_PIN/);
    const noPin = await myna('pki', 'init', '--dir', dir, ...p11, '--pkcs11-pin', t.pin);
    assert.equal(noPin.code, 2, 'a PIN option does not exist');

    process.env.MYNA_PKCS11_PIN = t.pin;
    const init = await myna('pki', 'init', '--dir', dir, ...p11);
    assert.equal(init.code, 0, init.out);
    assert.match(init.out, /PKCS#11 token "myna-test"/);
    assert.deepEqual((await readdir(dir)).sort(), ['certs', 'issuer.json']);

    const card = join(home, 'card.json');
    const made = await myna('card', 'create', '--out', card, '--pki', dir);
    assert.equal(made.code, 0, made.out);
    const image = JSON.parse(await readFile(card, 'utf8')) as {
      jpki: { files: Record<string, string> };
    };
    const auth = new X509Certificate(Buffer.from(image.jpki.files['000A']!, 'hex'));
    const files = {
      chain: join(home, 'chain.pem'),
      auth: join(home, 'auth.pem'),
      authCa: join(home, 'auth-ca.pem'),
      crl: join(home, 'auth.crl'),
    };
    const issuer = await JpkiIssuer.open(dir);
    await writeFile(files.chain, issuer.chainPem());
    await writeFile(files.authCa, pem(issuer.authCaCertificate));
    await writeFile(files.auth, auth.toString());
    assert.ok(auth.verify(new X509Certificate(issuer.authCaCertificate).publicKey));

    const revoked = await myna(
      'pki',
      'revoke',
      '--dir',
      dir,
      '--serial',
      auth.serialNumber,
      '--reason',
      'lost',
    );
    assert.equal(revoked.code, 0, revoked.out);
    const crl = await myna('pki', 'crl', '--dir', dir, '--kind', 'auth', '--out', files.crl);
    assert.equal(crl.code, 0, crl.out);
    await writeFile(`${files.crl}.pem`, crlPem(await readFile(files.crl)));
    const v = await run('openssl', [
      'verify',
      '-crl_check',
      '-CAfile',
      files.chain,
      '-CRLfile',
      `${files.crl}.pem`,
      files.auth,
    ]);
    assert.match(v.out, /certificate revoked/);

    delete process.env.MYNA_PKCS11_PIN;
    const crlNoPin = await myna('pki', 'crl', '--dir', dir, '--kind', 'auth', '--out', files.crl);
    assert.equal(crlNoPin.code, 1);
    assert.match(crlNoPin.out, /set MYNA_PKCS11_PIN/);
    const cardNoPin = await myna('card', 'create', '--out', join(home, 'c2.json'), '--pki', dir);
    assert.equal(cardNoPin.code, 1, cardNoPin.out);
    assert.match(cardNoPin.out, /JPKI issuer: .*set MYNA_PKCS11_PIN/);
    for (const line of printed) assert.ok(!line.includes(t.pin), 'the PIN is never printed');

    // serve, as its own process: the OCSP responder key signs in the token
    const env: NodeJS.ProcessEnv = { ...t.env, MYNA_PKCS11_PIN: t.pin };
    delete env.P11_PIN;
    delete env.P11_SO_PIN;
    const server = spawn(
      process.execPath,
      [join(root, 'bin', 'myna.mjs'), 'pki', 'serve', '--dir', dir, '--port', '0'],
      { env },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += d;
          const m = /serving at (http:\/\/[\d.]+:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.stderr.on('data', (d) => (out += d));
        server.on('exit', () => reject(new Error(`serve ended: ${out}`)));
      });
      const r = await run('openssl', [
        'ocsp',
        '-issuer',
        files.authCa,
        '-cert',
        files.auth,
        '-url',
        `${url}/ocsp`,
        '-CAfile',
        files.chain,
      ]);
      assert.match(r.out, /Response verify OK/);
      assert.match(r.out, /auth\.pem: revoked/);
    } finally {
      server.kill('SIGTERM');
    }
  },
);
