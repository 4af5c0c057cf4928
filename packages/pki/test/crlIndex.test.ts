import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { CrlIndex, CrlParseError, JpkiIssuer, parseCrl, verifyCrlSignature } from '@myna-ap/pki';
import { der, oidContent } from '../src/der.ts';

const ca = generateKeyPairSync('rsa', { modulusLength: 2048 });
const name = der(
  0x30,
  der(0x31, der(0x30, der(0x06, oidContent('2.5.4.6')), der(0x13, Buffer.from('JP')))),
);
const utc = (d: Date) =>
  der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const sha256Rsa = der(0x30, der(0x06, oidContent('1.2.840.113549.1.1.11')), Uint8Array.of(5, 0));

/** A DER CRL built directly (fast at any size), signed with `ca`. */
function makeCrl(
  serials: Uint8Array[],
  opts: { number: number; deltaBase?: number; reason?: number },
) {
  const when = utc(new Date('2026-11-01T00:00:00Z'));
  const entries = serials.map((s) =>
    der(
      0x30,
      der(0x02, s[0]! & 0x80 ? Uint8Array.of(0, ...s) : s),
      when,
      ...(opts.reason !== undefined
        ? [
            der(
              0x30,
              der(
                0x30,
                der(0x06, oidContent('2.5.29.21')),
                der(0x04, der(0x0a, Uint8Array.of(opts.reason))),
              ),
            ),
          ]
        : []),
    ),
  );
  const exts = [
    der(0x30, der(0x06, oidContent('2.5.29.20')), der(0x04, der(0x02, Uint8Array.of(opts.number)))),
  ];
  if (opts.deltaBase !== undefined) {
    exts.push(
      der(
        0x30,
        der(0x06, oidContent('2.5.29.27')),
        Uint8Array.of(1, 1, 0xff),
        der(0x04, der(0x02, Uint8Array.of(opts.deltaBase))),
      ),
    );
  }
  const tbs = der(
    0x30,
    der(0x02, Uint8Array.of(1)),
    sha256Rsa,
    name,
    when,
    utc(new Date('2026-12-01T00:00:00Z')),
    ...(entries.length ? [der(0x30, ...entries)] : []),
    der(0xa0, der(0x30, ...exts)),
  );
  const sig = createSign('sha256').update(tbs).sign(ca.privateKey);
  return der(0x30, tbs, sha256Rsa, der(0x03, Uint8Array.of(0), sig));
}

const N = 50_000;
const revoked = Array.from({ length: N }, () => new Uint8Array(randomBytes(16)));
const full = makeCrl(revoked, { number: 7, reason: 1 });

test(`index of a ${N.toLocaleString()}-entry CRL: every revoked serial found, others not; signature checked on raw tbs`, () => {
  const info = parseCrl(full);
  assert.ok(verifyCrlSignature(info, ca.publicKey));
  const tampered = Uint8Array.from(full);
  tampered[200] = tampered[200]! ^ 1;
  assert.equal(verifyCrlSignature(parseCrl(tampered), ca.publicKey), false);
  const idx = CrlIndex.fromCrl(full);
  assert.equal(idx.size, N);
  assert.equal(idx.baseNumber, 7n);
  for (const s of revoked) {
    const e = idx.lookup(s);
    assert.ok(e, Buffer.from(s).toString('hex'));
    assert.equal(e.reason, 1);
  }
  for (let i = 0; i < 10_000; i++)
    assert.equal(idx.lookup(new Uint8Array(randomBytes(16))), undefined);
  // hex with a leading sign octet finds the same entry
  const withZero = '00' + Buffer.from(revoked[3]!).toString('hex');
  assert.ok(idx.lookup(withZero));
});

test('delta CRLs add and remove (removeFromCRL) in place; a wrong base or an old delta is refused', () => {
  const idx = CrlIndex.fromCrl(makeCrl(revoked.slice(0, 10), { number: 1 }));
  const extra = [new Uint8Array(randomBytes(16))];
  assert.equal(idx.applyDelta(makeCrl(extra, { number: 2, deltaBase: 1, reason: 5 })), 1);
  assert.equal(idx.lookup(extra[0]!)?.reason, 5);
  idx.applyDelta(makeCrl([revoked[0]!], { number: 3, deltaBase: 1, reason: 8 }));
  assert.equal(idx.lookup(revoked[0]!), undefined, 'removeFromCRL takes it out');
  assert.equal(idx.size, 10);
  assert.throws(() => idx.applyDelta(makeCrl(extra, { number: 3, deltaBase: 1 })), CrlParseError);
  assert.throws(() => idx.applyDelta(makeCrl(extra, { number: 9, deltaBase: 5 })), CrlParseError);
  assert.throws(
    () => idx.applyDelta(makeCrl(extra, { number: 9 })),
    CrlParseError,
    'a full CRL is no delta',
  );
  assert.throws(() => CrlIndex.fromCrl(makeCrl(extra, { number: 9, deltaBase: 1 })), CrlParseError);
});

test('the issuer’s own CRLs index with reasons, and verify against the CA certificate', async () => {
  const issuer = await JpkiIssuer.createInMemory();
  const k = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const c = await issuer.issueCardCertificates({
    authPublicKey: k(),
    signPublicKey: k(),
    holder: { name: 'a', address: 'b', birthDate: '1990-01-01', sex: '9' },
  });
  const serial = new X509Certificate(c.sign).serialNumber;
  await issuer.revoke(serial, 'lost');
  const crl = await issuer.crl('sign');
  assert.ok(
    verifyCrlSignature(parseCrl(crl), new X509Certificate(issuer.signCaCertificate).publicKey),
  );
  const idx = CrlIndex.fromCrl(crl);
  assert.equal(idx.lookup(serial)?.reason, 1);
  await issuer.revoke(new X509Certificate(c.auth).serialNumber, 'death');
  const authIdx = CrlIndex.fromCrl(await issuer.crl('auth'));
  assert.equal(authIdx.lookup(new X509Certificate(c.auth).serialNumber)?.reason, 5);
});

test('bad CRLs: truncated or garbage DER is a CrlParseError', () => {
  assert.throws(() => parseCrl(full.subarray(0, 100)), CrlParseError);
  assert.throws(() => parseCrl(Uint8Array.of(0x30, 0x80, 0, 0)), CrlParseError);
  assert.throws(() => parseCrl(new Uint8Array(0)), CrlParseError);
  // the seeded fuzz of this parser is in fuzz.test.ts
});
