// A CRL index bound to its CA: only that CA's CRLs (issuer name, key identifier,
// signature) start it or change it, and each refusal says which check failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrlIndex, CrlTrustError, parseCrl, verifyCrlSignature } from '@myna-ap/pki';
import {
  aki,
  buildCrl,
  caCertificate,
  crlNumber,
  deltaBase,
  entry,
  key,
  nameOf,
  sha1Rsa,
  time,
} from './crlBuild.ts';

const ca = key();
const other = key();
const ski = Uint8Array.of(0xa1, 0xb2, 0xc3, 0xd4);
const caName = nameOf('JP');
const caCert = caCertificate(ca, caName, ski);
const when = time('261101000000Z');
const num = (n: number) => crlNumber(Uint8Array.of(n));
const full = (...more: Parameters<typeof buildCrl>[1][]) =>
  buildCrl(ca.privateKey, {
    entries: [entry(Uint8Array.of(1), when)],
    exts: [num(1), aki(ski)],
    ...Object.assign({}, ...more),
  });

function refused(f: () => unknown, code: CrlTrustError['code'], message: string) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CrlTrustError, String(e));
    assert.equal(e.name, 'CrlTrustError');
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    assert.equal(e.text.en, message);
    assert.ok(e.text.ja.includes('CRL') && e.text.ja.endsWith(`（${message}）`), e.text.ja);
    return true;
  });
}

test('a CRL of the bound CA starts the index: issuer, key identifier and CRL number kept', () => {
  const idx = CrlIndex.fromCrl(full(), { caCertificate: caCert });
  assert.ok(idx.has(Uint8Array.of(1)));
  assert.deepEqual(Buffer.from(idx.issuer), Buffer.from(caName));
  assert.equal(idx.authorityKeyId, 'a1b2c3d4');
  assert.equal(idx.baseNumber, 1n);
  assert.equal(idx.lastNumber, 1n);
  // without its own key identifier the CRL is still the CA's by name and signature
  assert.ok(
    CrlIndex.fromCrl(full({ exts: [num(1)] }), { caCertificate: caCert }).has(Uint8Array.of(1)),
  );
  // a CA certificate without a subjectKeyIdentifier: any key identifier, the signature decides
  const noSki = caCertificate(ca, caName);
  const idx2 = CrlIndex.fromCrl(full({ exts: [num(1), aki(Uint8Array.of(9))] }), {
    caCertificate: noSki,
  });
  assert.equal(idx2.authorityKeyId, '09');
});

test('another issuer, another key of the same name, a bad signature: refused, each with its code', () => {
  refused(
    () => CrlIndex.fromCrl(full({ issuer: nameOf('US') }), { caCertificate: caCert }),
    'CRL_WRONG_ISSUER',
    'the CRL is of another issuer',
  );
  refused(
    () =>
      CrlIndex.fromCrl(full({ exts: [num(1), aki(Uint8Array.of(1, 2, 3, 4))] }), {
        caCertificate: caCert,
      }),
    'CRL_WRONG_ISSUER',
    'the CRL is signed by another key of that name',
  );
  refused(
    () => CrlIndex.fromCrl(full({ signer: other.privateKey }), { caCertificate: caCert }),
    'CRL_BAD_SIGNATURE',
    'the CRL signature does not verify with the CA key',
  );
  // unbound, the caller checks the signature: the same CRL indexes
  assert.ok(CrlIndex.fromCrl(full({ signer: other.privateKey })).has(Uint8Array.of(1)));
});

test('a delta CRL must be of the same issuer, and when bound of the CA key; a refused one changes nothing', () => {
  const delta = (...more: Parameters<typeof buildCrl>[1][]) =>
    buildCrl(ca.privateKey, {
      entries: [entry(Uint8Array.of(2), when)],
      exts: [num(2), deltaBase(Uint8Array.of(1)), aki(ski)],
      ...Object.assign({}, ...more),
    });
  const bound = CrlIndex.fromCrl(full(), { caCertificate: caCert });
  refused(
    () => bound.applyDelta(delta({ issuer: nameOf('US') })),
    'CRL_WRONG_ISSUER',
    'the CRL is of another issuer',
  );
  refused(
    () =>
      bound.applyDelta(
        delta({ exts: [num(2), deltaBase(Uint8Array.of(1)), aki(Uint8Array.of(5))] }),
      ),
    'CRL_WRONG_ISSUER',
    'the CRL is signed by another key of that name',
  );
  refused(
    () => bound.applyDelta(delta({ signer: other.privateKey })),
    'CRL_BAD_SIGNATURE',
    'the CRL signature does not verify with the CA key',
  );
  assert.equal(bound.has(Uint8Array.of(2)), false);
  assert.equal(bound.size, 1);
  assert.equal(bound.lastNumber, 1n);
  assert.equal(bound.applyDelta(delta()), 1);
  assert.ok(bound.has(Uint8Array.of(2)));
  assert.equal(bound.lastNumber, 2n);
  // unbound: the issuer name is still checked, the signature is the caller's
  const free = CrlIndex.fromCrl(full());
  refused(
    () => free.applyDelta(delta({ issuer: nameOf('US') })),
    'CRL_WRONG_ISSUER',
    'the CRL is of another issuer',
  );
  assert.equal(free.applyDelta(delta({ signer: other.privateKey })), 1);
});

test('the authority key identifier is the [0] field, after [1] issuer and [2] serial; the algorithm must be sha256WithRSA', () => {
  const info = parseCrl(
    buildCrl(ca.privateKey, { exts: [num(1), aki(Uint8Array.of(0xee, 0x01), true)] }),
  );
  assert.equal(info.authorityKeyId, 'ee01');
  assert.equal(parseCrl(buildCrl(ca.privateKey, { exts: [num(1)] })).authorityKeyId, undefined);
  assert.equal(info.signatureAlgorithm, '2a864886f70d01010b');
  assert.ok(verifyCrlSignature(info, ca.publicKey));
  assert.equal(verifyCrlSignature(info, other.publicKey), false);
  // signed with SHA-256 but labelled sha1WithRSA (inside and out): not ours to verify
  const sha1 = parseCrl(buildCrl(ca.privateKey, { innerAlg: sha1Rsa, outerAlg: sha1Rsa }));
  assert.equal(sha1.signatureAlgorithm, '2a864886f70d010105');
  assert.equal(verifyCrlSignature(sha1, ca.publicKey), false);
  refused(
    () =>
      CrlIndex.fromCrl(
        buildCrl(ca.privateKey, { innerAlg: sha1Rsa, outerAlg: sha1Rsa, exts: [num(1)] }),
        {
          caCertificate: caCert,
        },
      ),
    'CRL_BAD_SIGNATURE',
    'the CRL signature does not verify with the CA key',
  );
});
