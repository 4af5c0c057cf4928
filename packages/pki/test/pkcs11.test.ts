/**
 * The PKCS#11 key store on a real SoftHSM2 token: the issuer's keys are made on
 * the token and never leave it; certificates, CRLs and OCSP responses signed
 * through it are checked by openssl. The CLI on a token: packages/cli/test/pkcs11.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JpkiIssuer, PkiError, Pkcs11KeyStore, startPkiServer } from '@myna-ap/pki';
import { inspectKeys, makeSoftHsmToken, skipUnlessSoftHsm, type TestToken } from './softhsm.ts';

const skip = skipUnlessSoftHsm();
// Made before anything here loads the module: SoftHSM2 reads SOFTHSM2_CONF at C_Initialize.
const token: TestToken | undefined = skip ? undefined : makeSoftHsmToken();
const KEYS = ['root', 'auth-ca', 'sign-ca', 'ocsp-auth', 'ocsp-sign'];

const holder = {
  name: '番号 五郎',
  address: '宮城県仙台市青葉区1-1',
  birthDate: '1980-07-07',
  sex: '1',
} as const;
// One card key for every certificate here: what is tested is the issuer's side.
const cardKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const pub = () => cardKey;
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

const isPki = (code: string) => (e: unknown) => e instanceof PkiError && e.code === code;

/** The issuer the first two tests share (generating five keys on the token takes a second). */
const sharedDir = await mkdtemp(join(tmpdir(), 'myna-p11-'));
const shared = token
  ? await JpkiIssuer.init(join(sharedDir, 'pki'), {
      pkcs11: { module: token.module, token: token.label, pin: token.pin },
    })
  : undefined;

test(
  'an issuer on a SoftHSM2 token: keys made there, none on disk; certificates, CRL and OCSP verify with openssl',
  { skip },
  async () => {
    const t = token!;
    const dir = join(sharedDir, 'pki');
    const issuer = shared!;
    try {
      assert.deepEqual((await readdir(dir)).sort(), ['certs', 'issuer.json']);
      const metaText = await readFile(join(dir, 'issuer.json'), 'utf8');
      assert.ok(!metaText.includes(t.pin), 'no PIN in issuer.json');
      const meta = JSON.parse(metaText) as {
        keys: {
          store: string;
          token: string;
          objects: Record<string, { label: string; id: string }>;
        };
      };
      assert.equal(meta.keys.store, 'pkcs11');
      assert.equal(meta.keys.token, t.label);
      assert.deepEqual(Object.keys(meta.keys.objects).sort(), [...KEYS].sort());

      const good = await issuer.issueCardCertificates({
        authPublicKey: pub(),
        signPublicKey: pub(),
        holder,
      });
      const bad = await issuer.issueCardCertificates({
        authPublicKey: pub(),
        signPublicKey: pub(),
        holder,
      });
      await issuer.revoke(new X509Certificate(bad.sign).serialNumber, 'lost');
      const files = {
        chain: join(dir, 'chain.pem'),
        crl: join(dir, 'sign.crl.pem'),
        good: join(dir, 'good.pem'),
        bad: join(dir, 'bad.pem'),
        signCa: join(dir, 'sign-ca.pem'),
      };
      await writeFile(files.chain, issuer.chainPem());
      await writeFile(files.good, pem(good.sign));
      await writeFile(files.bad, pem(bad.sign));
      await writeFile(files.signCa, pem(issuer.signCaCertificate));
      const crl = await issuer.crl('sign');
      await writeFile(files.crl, crlPem(crl));
      const ok = await run('openssl', [
        'verify',
        '-crl_check',
        '-CAfile',
        files.chain,
        '-CRLfile',
        files.crl,
        files.good,
      ]);
      assert.equal(ok.code, 0, ok.out);
      const revoked = await run('openssl', [
        'verify',
        '-crl_check',
        '-CAfile',
        files.chain,
        '-CRLfile',
        files.crl,
        files.bad,
      ]);
      assert.notEqual(revoked.code, 0);
      assert.match(revoked.out, /certificate revoked/);

      const server = await startPkiServer(issuer, { port: 0 });
      try {
        const ask = (cert: string) =>
          run('openssl', [
            'ocsp',
            '-issuer',
            files.signCa,
            '-cert',
            cert,
            '-url',
            `${server.url}/ocsp`,
            '-CAfile',
            files.chain,
          ]);
        const g = await ask(files.good);
        assert.match(g.out, /Response verify OK/);
        assert.match(g.out, /good\.pem: good/);
        assert.doesNotMatch(g.out, /no nonce/i);
        const r = await ask(files.bad);
        assert.match(r.out, /Response verify OK/);
        assert.match(r.out, /bad\.pem: revoked/);
      } finally {
        await server.close();
      }

      // From another process: the private keys are sensitive, never extractable,
      // and the token refuses both reading them and wrapping them out.
      const seen = inspectKeys(
        t,
        KEYS.map((k) => meta.keys.objects[k]!.label),
      );
      for (const k of KEYS) {
        const s = seen[meta.keys.objects[k]!.label]!;
        assert.equal(s.found, 1, k);
        assert.deepEqual(
          {
            sensitive: s.sensitive,
            extractable: s.extractable,
            alwaysSensitive: s.alwaysSensitive,
            neverExtractable: s.neverExtractable,
            token: s.token,
          },
          {
            sensitive: true,
            extractable: false,
            alwaysSensitive: true,
            neverExtractable: true,
            token: true,
          },
          k,
        );
        assert.equal(s.readPrivateExponent, 'CKR_ATTRIBUTE_SENSITIVE', k);
        assert.equal(s.readPrime, 'CKR_ATTRIBUTE_SENSITIVE', k);
        assert.equal(s.wrap, 'CKR_KEY_UNEXTRACTABLE', k);
        assert.equal(s.id, meta.keys.objects[k]!.id, `${k}: CKA_ID is the recorded id`);
      }
      // CKA_ID is the certificate's subjectKeyIdentifier, so tools pair key and certificate
      const caText = spawnSync('openssl', ['x509', '-noout', '-text', '-in', files.signCa], {
        encoding: 'utf8',
      }).stdout;
      const caSki = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(caText)?.[1];
      assert.equal(caSki?.replace(/:/g, '').toLowerCase(), meta.keys.objects['sign-ca']!.id);
    } finally {
      await issuer.close();
    }
  },
);

test(
  'reopened: signs through the token with the PIN; no PIN, a wrong PIN, another key: typed errors',
  { skip },
  async () => {
    const t = token!;
    const dir = sharedDir;
    const pkiDir = join(dir, 'pki');
    const made = await JpkiIssuer.open(pkiDir, { pin: t.pin });
    const certs = await made.issueCardCertificates({
      authPublicKey: pub(),
      signPublicKey: pub(),
      holder,
    });
    await made.close();

    // Reading and revoking need no PIN; signing does, and says which variable to set.
    const saved = process.env.MYNA_PKCS11_PIN;
    delete process.env.MYNA_PKCS11_PIN;
    try {
      const noPin = await JpkiIssuer.open(pkiDir);
      assert.equal(noPin.chainPem().match(/BEGIN CERTIFICATE/g)?.length, 3);
      await noPin.revoke(new X509Certificate(certs.auth).serialNumber, 'holder-request');
      await assert.rejects(noPin.crl('auth'), (e: unknown) => {
        assert.ok(isPki('PKI_PKCS11_PIN_MISSING')(e), String(e));
        assert.match((e as Error).message, /MYNA_PKCS11_PIN/);
        return true;
      });
      await noPin.close();

      const wrong = await JpkiIssuer.open(pkiDir, { pin: `${t.pin}x` });
      await assert.rejects(wrong.crl('auth'), (e: unknown) => {
        assert.ok(isPki('PKI_PKCS11_LOGIN')(e), String(e));
        assert.ok(!(e as Error).message.includes(t.pin), 'no PIN in the message');
        return true;
      });
      await wrong.close();

      process.env.MYNA_PKCS11_PIN = t.pin;
      const reopened = await JpkiIssuer.open(pkiDir);
      const crl = await reopened.crl('auth');
      const check = spawnSync('openssl', ['crl', '-inform', 'DER', '-noout', '-text'], {
        input: crl,
        encoding: 'utf8',
      });
      assert.match(check.stdout, new RegExp(new X509Certificate(certs.auth).serialNumber, 'i'));
      assert.ok(
        new X509Certificate(
          (
            await reopened.issueCardCertificates({
              authPublicKey: pub(),
              signPublicKey: pub(),
              holder,
            })
          ).sign,
        ).verify(new X509Certificate(reopened.signCaCertificate).publicKey),
      );
      await reopened.close();

      // A key on the token that is not the certificate's key is refused, not used.
      const swapped = join(dir, 'swapped');
      await cp(pkiDir, swapped, { recursive: true });
      await cp(join(pkiDir, 'certs', 'auth-ca.der'), join(swapped, 'certs', 'sign-ca.der'));
      const odd = await JpkiIssuer.open(swapped);
      await assert.rejects(odd.crl('sign'), isPki('PKI_KEY_MISMATCH'));
      await odd.close();

      // Another token label: a clear error naming the tokens there are.
      const meta = JSON.parse(await readFile(join(pkiDir, 'issuer.json'), 'utf8')) as {
        keys: Record<string, unknown>;
      };
      meta.keys.token = 'no-such-token';
      const elsewhere = join(dir, 'elsewhere');
      await cp(pkiDir, elsewhere, { recursive: true });
      await writeFile(join(elsewhere, 'issuer.json'), JSON.stringify(meta));
      const lost = await JpkiIssuer.open(elsewhere);
      await assert.rejects(lost.crl('sign'), (e: unknown) => {
        assert.ok(isPki('PKI_PKCS11_TOKEN_MISSING')(e), String(e));
        assert.match((e as Error).message, new RegExp(t.label));
        return true;
      });
      await lost.close();
      // the token by slot number instead of label: the same keys
      const bySlot = await Pkcs11KeyStore.open({
        module: t.module,
        slot: t.slot,
        pin: t.pin,
        labelPrefix: meta.keys.labelPrefix as string,
      });
      const signKey = await bySlot.get('sign-ca');
      const caSpki = new X509Certificate(certs.signCa).publicKey.export({
        format: 'der',
        type: 'spki',
      });
      assert.deepEqual(Buffer.from(signKey.spki), caSpki);
      await bySlot.close();
      await assert.rejects(
        Pkcs11KeyStore.open({
          module: '/nonexistent/libp11.so',
          token: t.label,
          pin: t.pin,
          labelPrefix: 'x ',
        }),
        isPki('PKI_PKCS11_MODULE'),
      );
    } finally {
      if (saved === undefined) delete process.env.MYNA_PKCS11_PIN;
      else process.env.MYNA_PKCS11_PIN = saved;
    }
  },
);
