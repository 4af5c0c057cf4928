// What the CRL parser refuses and what it says (the message is the error's English
// text and ends its Japanese one), the DER edges it accepts, and the CRL numbers
// and dates a delta CRL carries into the index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrlIndex, CrlParseError, parseCrl } from '@myna-ap/pki';
import { der, oidContent } from '../src/der.ts';
import {
  buildCrl,
  crlNumber,
  deltaBase,
  entry,
  ext,
  key,
  nameOf,
  reason,
  sha1Rsa,
  sha256Rsa,
  time,
  type CrlParts,
} from './crlBuild.ts';

const ca = key();
const when = time('261101000000Z');
const num = (n: number) => crlNumber(Uint8Array.of(n));
const crl = (p: CrlParts = {}) => buildCrl(ca.privateKey, { exts: [num(1)], ...p });
const one = (e: Uint8Array) => crl({ entries: [e] });
/** Where `part` starts in `whole` (the offsets the messages name). */
const at = (whole: Uint8Array, part: Uint8Array) => Buffer.from(whole).indexOf(Buffer.from(part));

function refused(f: () => unknown, message: string | RegExp) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CrlParseError, String(e));
    assert.equal(e.name, 'CrlParseError');
    assert.equal(e.code, 'BAD_CRL');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.equal(e.text.en, e.message);
    assert.ok(e.text.ja.startsWith('CRL が') && e.text.ja.endsWith(`（${e.message}）`), e.text.ja);
    return true;
  });
}

test('DER that is not a CertificateList: truncated, indefinite, over-long or overrunning lengths, multi-byte tags, trailing bytes', () => {
  refused(() => parseCrl(new Uint8Array(0)), 'truncated DER at 0');
  refused(() => parseCrl(Uint8Array.of(0x30)), 'truncated DER at 0');
  refused(() => parseCrl(Uint8Array.of(0x30, 0x80, 0, 0)), 'indefinite length at 0');
  refused(() => parseCrl(Uint8Array.of(0x30, 0x85, 0, 0, 0, 0, 1, 0)), 'bad length at 0');
  refused(() => parseCrl(Uint8Array.of(0x30, 0x84, 0, 0)), 'bad length at 0');
  refused(
    () => parseCrl(Uint8Array.of(0x30, 0x82, 0x01, 0x00, 0)),
    'value at 0 runs past its container',
  );
  refused(() => parseCrl(Uint8Array.of(0x1f, 0x00)), 'unexpected multi-byte tag at 0');
  const good = crl();
  refused(() => parseCrl(Uint8Array.of(...good, 0)), 'not a DER CertificateList');
  refused(() => parseCrl(Uint8Array.of(0x31, ...good.subarray(1))), 'not a DER CertificateList');
  // a 4-octet length form is read (a CRL past 16 MiB needs it); the value is what it says
  const [tbs, alg, sig] = parts(good);
  const long = Uint8Array.of(
    0x30,
    0x84,
    ...u32(tbs.length + alg.length + sig.length),
    ...tbs,
    ...alg,
    ...sig,
  );
  assert.equal(parseCrl(long).crlNumber, 1n);
});

/** The three parts of a CertificateList as DER: tbsCertList, signatureAlgorithm, signature. */
function parts(c: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const out: Uint8Array[] = [];
  let p = c[1]! & 0x80 ? 2 + (c[1]! & 0x7f) : 2;
  while (p < c.length) {
    const l = c[p + 1]!;
    const n = l & 0x80 ? l & 0x7f : 0;
    let len = n ? 0 : l;
    for (let i = 0; i < n; i++) len = len * 256 + c[p + 2 + i]!;
    out.push(c.subarray(p, p + 2 + n + len));
    p += 2 + n + len;
  }
  return out as [Uint8Array, Uint8Array, Uint8Array];
}
const u32 = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

test('the envelope: tbsCertList, algorithm and signature in their places, no unused bits, the same algorithm inside', () => {
  const [tbs, alg, sig] = parts(crl());
  const seq = (...x: Uint8Array[]) => der(0x30, ...x);
  refused(
    () => parseCrl(seq(Uint8Array.of(0x31, ...tbs.subarray(1)), alg, sig)),
    'tbsCertList is not a SEQUENCE',
  );
  refused(
    () => parseCrl(seq(tbs, Uint8Array.of(0x31, ...alg.subarray(1)), sig)),
    'bad signatureAlgorithm or signature',
  );
  refused(
    () => parseCrl(seq(tbs, alg, Uint8Array.of(0x04, ...sig.subarray(1)))),
    'bad signatureAlgorithm or signature',
  );
  refused(() => parseCrl(seq(tbs, alg, sig, der(0x05))), 'bad signatureAlgorithm or signature');
  refused(
    () => parseCrl(seq(tbs, alg, der(0x03))),
    'signature BIT STRING must have no unused bits',
  );
  refused(() => parseCrl(crl({ unusedBits: 1 })), 'signature BIT STRING must have no unused bits');
  refused(
    () => parseCrl(crl({ innerAlg: sha1Rsa })),
    'signature algorithm differs inside and outside tbsCertList',
  );
  refused(
    () => parseCrl(crl({ issuer: Uint8Array.of(0x31, ...nameOf('JP').subarray(1)) })),
    'issuer is not a Name',
  );
  refused(
    () => parseCrl(crl({ extra: [der(0x02, Uint8Array.of(1))] })),
    'unexpected tag 2 in tbsCertList',
  );
  refused(
    () => parseCrl(crl({ thisUpdate: der(0x04, Buffer.from('261101000000Z')) })),
    /^bad time at \d+$/,
  );
  // what the parts are: the raw tbs (what the signature covers), the signature bytes
  const info = parseCrl(crl());
  assert.deepEqual(Buffer.from(info.tbs), Buffer.from(tbs));
  assert.deepEqual(Buffer.from(info.signature), Buffer.from(sig.subarray(sig.length - 128)));
  assert.deepEqual(Buffer.from(info.issuer), Buffer.from(nameOf('JP')));
  assert.equal(sha256Rsa.length, alg.length);
});

test('revoked entries: each a SEQUENCE with a serial, extensions a SEQUENCE to its end, reasonCode an ENUMERATED 0–10', () => {
  const bad = (e: Uint8Array, message: (c: Uint8Array) => string) => {
    const c = one(e);
    refused(() => CrlIndex.fromCrl(c), message(c));
  };
  const notSeq = der(0x31, der(0x02, Uint8Array.of(1)), when);
  bad(notSeq, (c) => `revoked entry at ${at(c, notSeq)} is not a SEQUENCE`);
  const noSerial = der(0x30, der(0x04, Uint8Array.of(1)), when);
  bad(noSerial, (c) => `revoked entry at ${at(c, noSerial)} without a serial`);
  const emptySerial = der(0x30, der(0x02), when);
  bad(emptySerial, (c) => `revoked entry at ${at(c, emptySerial)} without a serial`);
  const setExts = der(0x30, der(0x02, Uint8Array.of(1)), when, der(0x31, reason(1)));
  bad(setExts, (c) => `bad crlEntryExtensions at ${at(c, setExts) + 5 + when.length}`);
  const trailing = der(0x30, der(0x02, Uint8Array.of(1)), when, der(0x30, reason(1)), der(0x05));
  bad(trailing, (c) => `bad crlEntryExtensions at ${at(c, trailing) + 5 + when.length}`);
  const r = (value: Uint8Array) => der(0x30, der(0x06, oidContent('2.5.29.21')), value);
  for (const value of [
    der(0x04, der(0x02, Uint8Array.of(1))), // an INTEGER, not ENUMERATED
    der(0x04, der(0x0a, Uint8Array.of(0, 1))), // two octets
    der(0x05, der(0x0a, Uint8Array.of(1))), // not in an OCTET STRING
  ]) {
    const ex = r(value);
    const e = entry(Uint8Array.of(1), when, ex);
    bad(e, (c) => `bad reasonCode at ${at(c, ex)}`);
  }
  const eleven = reason(11);
  bad(
    entry(Uint8Array.of(1), when, eleven),
    (c) => `reasonCode 11 at ${at(c, eleven)} is not a CRLReason`,
  );
  // 10 (aACompromise) is the last CRLReason
  assert.equal(
    CrlIndex.fromCrl(one(entry(Uint8Array.of(1), when, reason(10)))).lookup('01')?.reason,
    10,
  );
  assert.equal(
    CrlIndex.fromCrl(one(entry(Uint8Array.of(1), when, reason(0)))).lookup('01')?.reason,
    0,
  );
  // an unknown entry extension, empty, before the reason
  const idx = CrlIndex.fromCrl(
    one(entry(Uint8Array.of(1), when, ext('2.5.29.99', new Uint8Array(0)), reason(6))),
  );
  assert.equal(idx.lookup('01')?.reason, 6);
  assert.equal(
    parseCrl(
      crl({ entries: [entry(Uint8Array.of(1), when), entry(Uint8Array.of(2), when)] }),
    ).forEachEntry(() => {}),
    2,
  );
});

test('the common entry (one-octet lengths, no extensions) is read as the general reading reads it, and so are its faults', () => {
  /** An entry with a two-octet length form on the entry, serial or time: the general reading. */
  const longForm = (tag: number, body: Uint8Array) =>
    Uint8Array.of(tag, 0x81, body.length, ...body);
  const serial = Uint8Array.of(0x00, 0x80, 1, 2, 3); // a sign octet, stripped either way
  const general = new Date('2026-11-01T00:00:00Z');
  const plain = entry(serial, when);
  const variants = [
    longForm(0x30, Uint8Array.of(...der(0x02, serial), ...when)),
    longForm(0x30, Uint8Array.of(...longForm(0x02, serial), ...when)),
    der(0x30, der(0x02, serial), longForm(0x17, Buffer.from('261101000000Z'))),
  ];
  for (const e of [plain, ...variants]) {
    const idx = CrlIndex.fromCrl(one(e));
    assert.deepEqual(idx.lookup('800102 03'), { revokedAt: general, reason: -1 });
    assert.equal(idx.has(Uint8Array.of(0x80, 1, 2, 3)), true);
    assert.equal(idx.has(Uint8Array.of(0x80, 1, 2, 4)), false);
  }
  // GeneralizedTime, with and without a fraction, and a mix of both readings in one CRL
  const gen = CrlIndex.fromCrl(
    crl({
      entries: [
        entry(Uint8Array.of(1), time('20261101123456Z')),
        entry(Uint8Array.of(2), time('20261101123456.789Z')),
        variants[0]!,
        entry(Uint8Array.of(3), when, reason(4)),
        entry(Uint8Array.of(4), when),
      ],
    }),
  );
  assert.equal(gen.size, 5);
  assert.equal(gen.lookup('01')?.revokedAt.toISOString(), '2026-11-01T12:34:56.000Z');
  assert.equal(gen.lookup('02')?.revokedAt.toISOString(), '2026-11-01T12:34:56.000Z');
  assert.equal(gen.lookup('03')?.reason, 4);
  assert.deepEqual(gen.lookup('04'), { revokedAt: general, reason: -1 });
  assert.deepEqual(gen.lookup('80010203'), { revokedAt: general, reason: -1 });

  // what looks like the common entry but is not: each refused with the general reading's words
  const bad = (e: Uint8Array, message: (c: Uint8Array) => string) => {
    const c = one(e);
    refused(() => CrlIndex.fromCrl(c), message(c));
  };
  const badTime = der(0x30, der(0x02, Uint8Array.of(1)), time('261301000000Z'));
  bad(badTime, (c) => `bad time at ${at(c, badTime) + 5}`);
  const noZ = der(0x30, der(0x02, Uint8Array.of(1)), der(0x17, Buffer.from('2611010000001')));
  bad(noZ, (c) => `bad time at ${at(c, noZ) + 5}`);
  const shortUtc = der(0x30, der(0x02, Uint8Array.of(1)), der(0x17, Buffer.from('2611010000Z')));
  bad(shortUtc, (c) => `bad time at ${at(c, shortUtc) + 5}`);
  const octets = der(0x30, der(0x02, Uint8Array.of(1)), der(0x04, Buffer.from('261101000000Z')));
  bad(octets, (c) => `bad time at ${at(c, octets) + 5}`);
  const emptySerial = der(0x30, der(0x02), when);
  bad(emptySerial, (c) => `revoked entry at ${at(c, emptySerial)} without a serial`);
  // the time runs past its entry (its entry says 2 octets fewer)
  const over = Uint8Array.from(entry(Uint8Array.of(1), when));
  over[1] = over[1]! - 2;
  bad(over, (c) => `value at ${at(c, over) + 5} runs past its container`);
  // the serial runs past its entry
  const longSerial = Uint8Array.from(entry(Uint8Array.of(1), when));
  longSerial[3] = 0x7f;
  bad(longSerial, (c) => `value at ${at(c, longSerial) + 2} runs past its container`);
  // the last entry cut short: its SEQUENCE runs past revokedCertificates
  const whole = entry(Uint8Array.of(9), when);
  const cut = Uint8Array.of(...whole.subarray(0, whole.length - 3));
  bad(cut, (c) => `value at ${at(c, cut)} runs past its container`);
});

test('CRL extensions: numbers of several octets, an unknown one with an empty value, the critical flag', () => {
  const info = parseCrl(
    buildCrl(ca.privateKey, {
      exts: [
        crlNumber(Uint8Array.of(0x01, 0x02, 0x03)),
        ext('2.5.29.99', new Uint8Array(0)),
        deltaBase(Uint8Array.of(0x01, 0x00)),
      ],
    }),
  );
  assert.equal(info.crlNumber, 0x010203n);
  // a long-form length whose octets end the extension (04 81 00: an empty value) is read
  const longEmpty = der(0x30, der(0x06, oidContent('2.5.29.98')), Uint8Array.of(0x04, 0x81, 0x00));
  assert.equal(parseCrl(buildCrl(ca.privateKey, { exts: [num(3), longEmpty] })).crlNumber, 3n);
  assert.equal(info.deltaBase, 0x0100n);
  const none = parseCrl(buildCrl(ca.privateKey, {}));
  assert.equal(none.crlNumber, undefined);
  assert.equal(none.deltaBase, undefined);
  assert.equal(none.authorityKeyId, undefined);
  assert.equal(none.nextUpdate, new Date('2026-12-01T00:00:00Z').getTime());
  assert.equal(parseCrl(buildCrl(ca.privateKey, { nextUpdate: null })).nextUpdate, undefined);
  assert.equal(
    parseCrl(buildCrl(ca.privateKey, { nextUpdate: time('20270102030405Z') })).nextUpdate,
    Date.UTC(2027, 0, 2, 3, 4, 5),
  );
});

test('delta CRLs: only a delta applies, on a base it knows, newer than the last; its nextUpdate replaces the index’s', () => {
  const idx = CrlIndex.fromCrl(crl({ exts: [num(5)], entries: [entry(Uint8Array.of(1), when)] }));
  const delta = (n: number, base: number, p: CrlParts = {}) =>
    buildCrl(ca.privateKey, {
      exts: [num(n), deltaBase(Uint8Array.of(base))],
      entries: [entry(Uint8Array.of(n), when)],
      ...p,
    });
  refused(() => CrlIndex.fromCrl(delta(6, 5)), 'a delta CRL cannot start an index');
  refused(
    () => idx.applyDelta(crl({ exts: [num(6)] })),
    'not a delta CRL (no delta CRL indicator)',
  );
  refused(() => idx.applyDelta(delta(7, 6)), 'delta CRL needs base #6, index holds #5');
  refused(() => idx.applyDelta(delta(5, 5)), 'delta CRL #5 is not newer than #5');
  refused(() => idx.applyDelta(delta(4, 4)), 'delta CRL #4 is not newer than #5');
  // a delta on an older full CRL still applies (RFC 5280 §5.2.4: base ≤ the full CRL's number)
  assert.equal(idx.applyDelta(delta(6, 4, { nextUpdate: time('261105000000Z') })), 1);
  assert.equal(idx.lastNumber, 6n);
  assert.equal(idx.baseNumber, 5n);
  assert.equal(idx.nextUpdate?.toISOString(), '2026-11-05T00:00:00.000Z');
  assert.equal(idx.applyDelta(delta(7, 5, { nextUpdate: null })), 1);
  assert.equal(idx.nextUpdate, undefined);
  assert.ok(idx.has(Uint8Array.of(6)) && idx.has(Uint8Array.of(7)));
  // a full CRL without a number: any base; from the first numbered delta on, newer ones only
  const unnumbered = CrlIndex.fromCrl(buildCrl(ca.privateKey, { entries: [] }));
  assert.equal(unnumbered.baseNumber, undefined);
  assert.equal(unnumbered.applyDelta(delta(3, 9)), 1);
  refused(() => unnumbered.applyDelta(delta(2, 9)), 'delta CRL #2 is not newer than #3');
  assert.equal(unnumbered.size, 1);
});

test('serials: up to 255 octets are indexed, longer ones refused; hex with colons and spaces is looked up', () => {
  const longest = Uint8Array.from({ length: 255 }, (_, i) => (i % 250) + 1);
  const idx = CrlIndex.fromCrl(one(entry(longest, when)));
  assert.ok(idx.has(longest));
  refused(
    () => CrlIndex.fromCrl(one(entry(Uint8Array.of(1, ...longest), when))),
    'serial longer than 255 bytes',
  );
  refused(
    () =>
      idx.applyDelta(
        buildCrl(ca.privateKey, {
          exts: [num(2), deltaBase(Uint8Array.of(1))],
          entries: [entry(Uint8Array.of(1, ...longest), when)],
        }),
      ),
    'serial longer than 255 bytes',
  );
  const small = CrlIndex.fromCrl(one(entry(Uint8Array.of(0x0a, 0xbc, 0xde), when, reason(2))));
  assert.equal(small.lookup('0a:bc:de')?.reason, 2);
  assert.equal(small.lookup('0A BC\tDE')?.reason, 2);
  assert.equal(small.lookup('0abcdf'), undefined);
});
