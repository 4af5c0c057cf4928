/**
 * Fuzz: every parser here that takes bytes from the network or a file, fed seeded
 * random and mutated inputs (truncations, bit flips, lying lengths, deep nesting,
 * huge lengths, trailing bytes): each answers with a result or its typed error,
 * never anything else, never a hang (the test's timeout), and with memory bounded
 * by the input (a 4 GiB length field allocates nothing).
 *
 * A mutation inside the signed bytes of a response, CRL or certificate must never
 * be accepted: nothing but a verified answer yields `valid`.
 *
 * Normal run: a fixed seed; MYNA_SOAK=1: a fresh seed and 50–100× the inputs;
 * MYNA_FUZZ_SEED=n replays (the seed is in every failure message).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  CrlIndex,
  CrlParseError,
  CrlTrustError,
  DerError,
  JpkiIssuer,
  OcspRequestError,
  checkOcspResponse,
  parseCrl,
  parseOcspRequest,
  readHolderInfo,
  validateWithCrl,
  type TrustAnchors,
  type Validation,
} from '@myna-ap/pki';
import { certificateParts, der, oidContent, readTlv } from '../src/der.ts';
import { DerMutator, FUZZ_SEED, SOAK, fuzzCount, replay, type Mutant } from './fuzz.ts';

/** A hang fails the test; the soak run is long by design. */
const FUZZ_TIMEOUT = SOAK ? 4 * 3_600_000 : 120_000;

const issuer = await JpkiIssuer.createInMemory();
const cardKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const holder = {
  name: '番号 七子',
  address: '沖縄県那覇市1-1',
  birthDate: '1999-09-09',
  sex: '2',
} as const;
const good = await issuer.issueCardCertificates({
  authPublicKey: cardKey,
  signPublicKey: cardKey,
  holder,
});
const gone = await issuer.issueCardCertificates({
  authPublicKey: cardKey,
  signPublicKey: cardKey,
  holder,
});
await issuer.revoke(new X509Certificate(gone.sign).serialNumber, 'lost');
const trust: TrustAnchors = {
  root: issuer.rootCertificate,
  cas: [issuer.authCaCertificate, issuer.signCaCertificate],
};
const responder = await issuer.ocspResponder();
const soon = new Date(Date.now() + 5000);

/** A DER OCSPRequest for a certificate of the sign CA, with a nonce. */
function ocspRequest(certDer: Uint8Array, nonce: Uint8Array): Uint8Array {
  const ca = certificateParts(issuer.signCaCertificate);
  const serial = new X509Certificate(certDer).serialNumber;
  const certId = der(
    0x30,
    der(0x30, der(0x06, oidContent('1.3.14.3.2.26')), Uint8Array.of(0x05, 0x00)),
    der(0x04, createHash('sha1').update(ca.subject).digest()),
    der(0x04, createHash('sha1').update(ca.keyBits).digest()),
    der(0x02, Buffer.from((parseInt(serial.slice(0, 2), 16) & 0x80 ? '00' : '') + serial, 'hex')),
  );
  const nonceExt = der(
    0x30,
    der(0x06, oidContent('1.3.6.1.5.5.7.48.1.2')),
    der(0x04, der(0x04, nonce)),
  );
  return der(0x30, der(0x30, der(0x30, der(0x30, certId)), der(0xa2, der(0x30, nonceExt))));
}

/** The [start, end) of the children of the TLV whose value is [start, end). */
function kids(b: Uint8Array, start: number, end: number) {
  const out = [];
  for (let p = start; p < end;) {
    const t = readTlv(b, p, end);
    out.push(t);
    p = t.end;
  }
  return out;
}

/** Byte ranges of a signed structure { tbs, algorithm, signature, … } at `at`. */
function signedRanges(b: Uint8Array, outer: { start: number; end: number }): [number, number][] {
  const [tbs, , sig] = kids(b, outer.start, outer.end);
  return [
    [tbs!.headerStart, tbs!.end],
    [sig!.headerStart, sig!.end],
  ];
}

const inside = (changed: readonly number[] | undefined, ranges: [number, number][]) =>
  changed !== undefined &&
  changed.length > 0 &&
  changed.some((i) => ranges.some(([a, z]) => i >= a && i < z));

const fail = (seed: number, i: number, m: Mutant, what: string) =>
  `${what}: ${replay(seed, i, m.kind)}`;

const STATUSES = new Set<Validation['status']>([
  'valid',
  'revoked',
  'expired',
  'not-yet-valid',
  'unknown-issuer',
  'bad-signature',
  'unknown',
  'unavailable',
]);

test(
  'fuzz: the OCSP request parser returns a request or an OcspRequestError, nothing else',
  { timeout: FUZZ_TIMEOUT },
  () => {
    const base = ocspRequest(good.sign, new Uint8Array(randomBytes(16)));
    const fuzz = new DerMutator(FUZZ_SEED);
    const n = fuzzCount(20_000, 1_000_000);
    let parsed = 0;
    for (let i = 0; i < n; i++) {
      const m = fuzz.mutate(base);
      try {
        const r = parseOcspRequest(m.input);
        parsed++;
        assert.ok(
          r.certIds.length >= 1 && r.certIds.length <= 16,
          fail(fuzz.seed, i, m, 'CertID count'),
        );
        assert.ok(
          !r.nonce || (r.nonce.length >= 1 && r.nonce.length <= 40),
          fail(fuzz.seed, i, m, 'nonce'),
        );
      } catch (e) {
        assert.ok(e instanceof OcspRequestError, fail(fuzz.seed, i, m, `threw ${String(e)}`));
        assert.equal(e.code, 'BAD_OCSP_REQUEST');
      }
    }
    assert.ok(parsed > 0 && parsed < n, `both outcomes seen (${parsed} of ${n} parsed)`);
  },
);

test(
  'fuzz: the OCSP responder answers every mutated request with an OCSPResponse, malformedRequest when it cannot read it',
  { timeout: FUZZ_TIMEOUT },
  async () => {
    const base = ocspRequest(good.sign, new Uint8Array(randomBytes(16)));
    const fuzz = new DerMutator(FUZZ_SEED + 1);
    const n = fuzzCount(300, 20_000);
    for (let i = 0; i < n; i++) {
      const m = fuzz.mutate(base);
      const out = await responder.respond(m.input);
      let readable = true;
      try {
        parseOcspRequest(m.input);
      } catch {
        readable = false;
      }
      if (!readable) {
        assert.deepEqual(
          out,
          Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x01),
          fail(fuzz.seed + 1, i, m, 'malformedRequest'),
        );
      } else {
        assert.equal(out[0], 0x30, fail(fuzz.seed + 1, i, m, 'an OCSPResponse'));
      }
    }
  },
);

test(
  'fuzz: a mutated OCSP response is never "valid" when its signed bytes changed; never a crash',
  { timeout: FUZZ_TIMEOUT },
  async () => {
    const nonce = new Uint8Array(randomBytes(16));
    const base = await responder.respond(ocspRequest(good.sign, nonce));
    assert.deepEqual(checkOcspResponse(base, good.sign, trust, nonce, soon), {
      status: 'valid',
      checkedBy: 'ocsp',
    });
    // OCSPResponse → [0] → ResponseBytes → response OCTET STRING → BasicOCSPResponse
    const [, box] = kids(base, readTlv(base, 0, base.length).start, base.length);
    const [bytes] = kids(base, box!.start, box!.end);
    const [, octets] = kids(base, bytes!.start, bytes!.end);
    const basic = readTlv(base, octets!.start, octets!.end);
    const protectedRanges = signedRanges(base, basic);
    const fuzz = new DerMutator(FUZZ_SEED + 2);
    const n = fuzzCount(300, 20_000);
    let caught = 0;
    for (let i = 0; i < n; i++) {
      const m = fuzz.mutate(base);
      const v = checkOcspResponse(m.input, good.sign, trust, nonce, soon);
      assert.ok(STATUSES.has(v.status), fail(fuzz.seed + 2, i, m, `status ${v.status}`));
      if (m.changed === undefined || inside(m.changed, protectedRanges)) {
        // another length, or the signed bytes touched: no trustworthy answer
        assert.equal(v.status, 'unavailable', fail(fuzz.seed + 2, i, m, `accepted as ${v.status}`));
        caught++;
      } else if (v.status !== 'unavailable') {
        assert.equal(v.status, 'valid', fail(fuzz.seed + 2, i, m, `changed answer ${v.status}`));
      }
    }
    assert.ok(caught > 0);
  },
);

test(
  'fuzz: a mutated CRL is a CrlParseError or CrlTrustError, never an index, when its signed bytes changed',
  { timeout: FUZZ_TIMEOUT },
  async () => {
    const base = await issuer.crl('sign');
    const outer = readTlv(base, 0, base.length);
    const protectedRanges = signedRanges(base, outer);
    const fuzz = new DerMutator(FUZZ_SEED + 3);
    const n = fuzzCount(5_000, 500_000);
    for (let i = 0; i < n; i++) {
      const m = fuzz.mutate(base);
      let idx: CrlIndex | undefined;
      try {
        idx = CrlIndex.fromCrl(m.input, { caCertificate: issuer.signCaCertificate });
      } catch (e) {
        assert.ok(
          e instanceof CrlParseError || e instanceof CrlTrustError,
          fail(fuzz.seed + 3, i, m, `threw ${String(e)}`),
        );
      }
      if (idx) {
        assert.ok(
          !inside(m.changed, protectedRanges),
          fail(fuzz.seed + 3, i, m, 'tampered CRL accepted'),
        );
        assert.ok(
          m.changed !== undefined,
          fail(fuzz.seed + 3, i, m, 'CRL of another length accepted'),
        );
        assert.ok(idx.lookup(new X509Certificate(gone.sign).serialNumber), 'the same entries');
      }
      // the bare parser, as a verifier would call it before checking the signature
      try {
        parseCrl(m.input).forEachEntry(() => {});
      } catch (e) {
        assert.ok(
          e instanceof CrlParseError,
          fail(fuzz.seed + 3, i, m, `parseCrl threw ${String(e)}`),
        );
      }
    }
  },
);

test(
  'fuzz: mutated certificates get a validation result (never "valid" when signed bytes changed); readHolderInfo a DerError',
  { timeout: FUZZ_TIMEOUT },
  async () => {
    const idx = CrlIndex.fromCrl(await issuer.crl('sign'), {
      caCertificate: issuer.signCaCertificate,
    });
    const base = good.sign;
    assert.deepEqual(validateWithCrl(base, trust, idx, soon), {
      status: 'valid',
      checkedBy: 'crl',
    });
    const protectedRanges = signedRanges(base, readTlv(base, 0, base.length));
    const fuzz = new DerMutator(FUZZ_SEED + 4);
    const n = fuzzCount(3_000, 300_000);
    for (let i = 0; i < n; i++) {
      const m = fuzz.mutate(base);
      const v = validateWithCrl(m.input, trust, idx, soon);
      assert.ok(STATUSES.has(v.status), fail(fuzz.seed + 4, i, m, `status ${v.status}`));
      if (inside(m.changed, protectedRanges)) {
        assert.notEqual(v.status, 'valid', fail(fuzz.seed + 4, i, m, 'tampered certificate valid'));
      }
      try {
        const info = readHolderInfo(m.input);
        assert.ok(info === undefined || typeof info.name === 'string');
      } catch (e) {
        assert.ok(
          e instanceof DerError,
          fail(fuzz.seed + 4, i, m, `readHolderInfo threw ${String(e)}`),
        );
      }
    }
  },
);

test('huge lengths and deep nesting are refused at once, allocating nothing of the size they claim', () => {
  // 4 GiB claimed by the outer length, a few bytes given
  const huge = Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00);
  const deep = new Uint8Array(200_000);
  for (let i = 0; i < deep.length; i += 2) deep.set([0x30, 0x80], i);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => parseOcspRequest(huge), OcspRequestError);
  assert.throws(() => parseOcspRequest(deep), OcspRequestError);
  assert.throws(() => parseCrl(huge), CrlParseError);
  assert.throws(() => parseCrl(deep), CrlParseError);
  assert.throws(() => CrlIndex.fromCrl(huge), CrlParseError);
  const nonce = new Uint8Array(16);
  assert.equal(checkOcspResponse(huge, good.sign, trust, nonce, soon).status, 'unavailable');
  assert.equal(checkOcspResponse(deep, good.sign, trust, nonce, soon).status, 'unavailable');
  assert.equal(
    checkOcspResponse(new Uint8Array(300 * 1024), good.sign, trust, nonce, soon).status,
    'unavailable',
    'an oversized response is not even parsed',
  );
  assert.throws(() => readHolderInfo(huge), DerError);
  assert.ok(
    process.memoryUsage().arrayBuffers - before < 8 * 2 ** 20,
    'no allocation of the claimed sizes',
  );
});
