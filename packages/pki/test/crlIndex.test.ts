import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSign, randomBytes } from 'node:crypto';
import { CrlIndex, CrlParseError, parseCrl, verifyCrlSignature } from '@myna-ap/pki';
import { der, oidContent } from '../src/der.ts';
import { key } from './crlBuild.ts';

// Cheap fixtures (a 1024-bit key made once, CRLs of a few thousand entries): these
// tests run once per mutant under `npm run mutate -- pki/crlIndex`. The national
// sizes are bench/crl.bench.ts's; the issuer's own CRLs are indexed in issuer.test.ts.
const ca = key();
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

const N = 5_000;
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
  for (let i = 0; i < 2_000; i++)
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

test('bad CRLs: truncated or garbage DER is a CrlParseError', () => {
  assert.throws(() => parseCrl(full.subarray(0, 100)), CrlParseError);
  assert.throws(() => parseCrl(Uint8Array.of(0x30, 0x80, 0, 0)), CrlParseError);
  assert.throws(() => parseCrl(new Uint8Array(0)), CrlParseError);
  // the seeded fuzz of this parser is in fuzz.test.ts
});

// ---------------------------------------------------------------------------
// Edges: dates, serial lengths and near misses, entry extensions, size accounting.

const t = (s: string) => der(s.length === 13 ? 0x17 : 0x18, Buffer.from(s, 'latin1'));
const reasonExt = (r: number) =>
  der(0x30, der(0x06, oidContent('2.5.29.21')), der(0x04, der(0x0a, Uint8Array.of(r))));
/** One revokedCertificates entry: the INTEGER's content bytes as given (sign octet included). */
const entry = (serialContent: Uint8Array, time: Uint8Array, ...exts: Uint8Array[]) =>
  der(0x30, der(0x02, serialContent), time, ...(exts.length ? [der(0x30, ...exts)] : []));
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

function crlOf(
  entries: Uint8Array[] | undefined,
  opts: { number?: number; deltaBase?: number; thisUpdate?: string; nextUpdate?: string } = {},
) {
  const exts = [
    der(
      0x30,
      der(0x06, oidContent('2.5.29.20')),
      der(0x04, der(0x02, Uint8Array.of(opts.number ?? 1))),
    ),
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
    t(opts.thisUpdate ?? '261101000000Z'),
    ...(opts.nextUpdate === '' ? [] : [t(opts.nextUpdate ?? '261201000000Z')]),
    ...(entries ? [der(0x30, ...entries)] : []),
    der(0xa0, der(0x30, ...exts)),
  );
  const sig = createSign('sha256').update(tbs).sign(ca.privateKey);
  return der(0x30, tbs, sha256Rsa, der(0x03, Uint8Array.of(0), sig));
}

test('dates: UTCTime and its 1950/2049 pivot, GeneralizedTime (fraction dropped), thisUpdate and nextUpdate', () => {
  const cases: [string, string][] = [
    ['261101123456Z', '2026-11-01T12:34:56.000Z'],
    ['491231235959Z', '2049-12-31T23:59:59.000Z'],
    ['500101000000Z', '1950-01-01T00:00:00.000Z'],
    ['991231235959Z', '1999-12-31T23:59:59.000Z'],
    ['000229000000Z', '2000-02-29T00:00:00.000Z'],
    ['20501231235959Z', '2050-12-31T23:59:59.000Z'],
    ['20261101000001.5Z', '2026-11-01T00:00:01.000Z'],
    ['21000301000000Z', '2100-03-01T00:00:00.000Z'], // past 2086: kept aside, still exact
    ['19400615120000Z', '1940-06-15T12:00:00.000Z'],
    ['00500101000000Z', '0050-01-01T00:00:00.000Z'],
  ];
  const idx = CrlIndex.fromCrl(
    crlOf(cases.map(([time], i) => entry(Uint8Array.of(i + 1), t(time)))),
  );
  cases.forEach(([time, iso], i) => {
    assert.equal(idx.lookup(Uint8Array.of(i + 1))?.revokedAt.toISOString(), iso, time);
  });
  const info = parseCrl(crlOf([], { thisUpdate: '20261101080000Z', nextUpdate: '261102080000Z' }));
  assert.equal(new Date(info.thisUpdate).toISOString(), '2026-11-01T08:00:00.000Z');
  assert.equal(new Date(info.nextUpdate!).toISOString(), '2026-11-02T08:00:00.000Z');
  assert.equal(CrlIndex.fromCrl(crlOf([], { nextUpdate: '' })).nextUpdate, undefined);
  assert.equal(
    CrlIndex.fromCrl(crlOf([], { nextUpdate: '261102080000Z' })).nextUpdate?.toISOString(),
    '2026-11-02T08:00:00.000Z',
  );
});

test('dates that are not dates are refused: 13th month, 31 April, 29 February of a common year, 24:00, 60 s, no Z', () => {
  const bad = [
    '261301000000Z',
    '260001000000Z',
    '261100000000Z',
    '260431000000Z',
    '270229000000Z',
    '21000229000000Z',
    '261101240000Z',
    '261101236000Z',
    '261101235960Z',
    '2611010000000', // no Z
    '26110100000AZ',
    '20261101000000.Z',
    '20261101000000,5Z',
    '20261101000000.5xZ',
  ];
  for (const time of bad) {
    assert.throws(
      () => CrlIndex.fromCrl(crlOf([entry(Uint8Array.of(1), t(time))])),
      CrlParseError,
      time,
    );
  }
  // 12 digits + Z as GeneralizedTime, 14 + Z as UTCTime: wrong length for the type
  assert.throws(
    () =>
      CrlIndex.fromCrl(crlOf([entry(Uint8Array.of(1), der(0x18, Buffer.from('261101000000Z')))])),
    CrlParseError,
  );
  assert.throws(
    () =>
      CrlIndex.fromCrl(crlOf([entry(Uint8Array.of(1), der(0x17, Buffer.from('20261101000000Z')))])),
    CrlParseError,
  );
  assert.throws(() => parseCrl(crlOf([], { thisUpdate: '261232000000Z' })), CrlParseError);
  // leap years: 2028 and 2000 have a 29 February
  for (const ok of ['280229000000Z', '20000229000000Z']) {
    assert.ok(CrlIndex.fromCrl(crlOf([entry(Uint8Array.of(1), t(ok))])).has(Uint8Array.of(1)), ok);
  }
});

test('serials of every length up to 20 octets and beyond; a serial one byte away from a revoked one is not revoked', () => {
  const when = t('261101000000Z');
  const serials = [
    hex('05'),
    hex('00'), // serial 0
    hex('0080'), // 128, sign octet
    hex('0102030405060708'),
    hex('7f' + 'ab'.repeat(15)), // 16 octets
    hex('00ff' + 'cd'.repeat(19)), // 20 octets after the sign octet
    hex('3c' + '11'.repeat(19)), // 20 octets, positive
    hex('42' + '22'.repeat(39)), // 40 octets: longer than RFC 5280 allows, still indexed
  ];
  const idx = CrlIndex.fromCrl(crlOf(serials.map((s) => entry(s, when))));
  assert.equal(idx.size, serials.length);
  for (const s of serials) {
    assert.ok(idx.has(s), Buffer.from(s).toString('hex'));
    assert.ok(idx.lookup(Buffer.from(s).toString('hex')), 'as hex too');
    // with (more) leading zero octets: the same INTEGER value
    assert.ok(idx.has(Uint8Array.of(0, 0, ...s)), 'with leading zeros');
  }
  assert.ok(idx.has(hex('80')), 'without its sign octet');
  const near = (s: Uint8Array, i: number) => {
    const c = Uint8Array.from(s);
    c[i] = c[i]! ^ 1;
    return c;
  };
  for (const s of serials) {
    const h = Buffer.from(s).toString('hex');
    if (s.length > 1) assert.equal(idx.has(near(s, s.length - 1)), false, `last byte of ${h}`);
    if (s[0] !== 0 && s.length > 1) assert.equal(idx.has(near(s, 0)), false, `first byte of ${h}`);
    if (h !== '00') assert.equal(idx.has(Uint8Array.of(...s, 0)), false, `${h} with a byte more`);
    if (s.length > 2) assert.equal(idx.has(s.subarray(0, s.length - 1)), false, `${h} cut short`);
    if (s.length > 2)
      assert.equal(idx.has(s.subarray(1)), s[0] === 0, `${h} without its first byte`);
  }
  assert.equal(idx.has(hex('06')), false);
  assert.equal(idx.has(hex('0500')), false, '0x0500 is not 0x05');
  assert.equal(idx.has(new Uint8Array(0)), false);
  assert.equal(idx.lookup('21'.repeat(40)), undefined, 'a long serial that is not there');
});

test('a CRL without revokedCertificates is empty; entry extensions other than the reason are skipped', () => {
  const none = CrlIndex.fromCrl(crlOf(undefined));
  assert.equal(none.size, 0);
  assert.equal(none.has(Uint8Array.of(1)), false);
  assert.equal(
    parseCrl(crlOf(undefined)).forEachEntry(() => {}),
    0,
  );
  const when = t('261101000000Z');
  const invalidity = der(0x30, der(0x06, oidContent('2.5.29.24')), der(0x04, t('20261030000000Z')));
  const critical = der(
    0x30,
    der(0x06, oidContent('2.5.29.21')),
    Uint8Array.of(0x01, 0x01, 0xff),
    der(0x04, der(0x0a, Uint8Array.of(4))),
  );
  const idx = CrlIndex.fromCrl(
    crlOf([
      entry(Uint8Array.of(1), when, invalidity, reasonExt(3)),
      entry(Uint8Array.of(2), when, invalidity),
      entry(Uint8Array.of(3), when, critical),
      entry(Uint8Array.of(4), when),
    ]),
  );
  assert.equal(idx.lookup(Uint8Array.of(1))?.reason, 3);
  assert.equal(idx.lookup(Uint8Array.of(2))?.reason, -1);
  assert.equal(idx.lookup(Uint8Array.of(3))?.reason, 4, 'a critical reasonCode');
  assert.equal(idx.lookup(Uint8Array.of(4))?.reason, -1);
  // a reasonCode that is no ENUMERATED CRLReason, extensions that are no SEQUENCE, an empty serial
  const badReason = der(
    0x30,
    der(0x06, oidContent('2.5.29.21')),
    der(0x04, der(0x02, Uint8Array.of(1))),
  );
  for (const e of [
    entry(Uint8Array.of(1), when, badReason),
    entry(Uint8Array.of(1), when, reasonExt(11)),
    der(0x30, der(0x02, Uint8Array.of(1)), when, der(0x31, reasonExt(1))),
    der(0x30, der(0x02, new Uint8Array(0)), when),
    der(0x31, der(0x02, Uint8Array.of(1)), when),
  ]) {
    assert.throws(() => CrlIndex.fromCrl(crlOf([e])), CrlParseError);
  }
});

test('size: a duplicate, a re-revocation and removing an unknown or removed serial count right; a bad delta changes nothing', () => {
  const when = t('261101000000Z');
  const s = (n: number) => Uint8Array.of(0x10, n);
  const idx = CrlIndex.fromCrl(crlOf([entry(s(1), when), entry(s(2), when), entry(s(1), when)]));
  assert.equal(idx.size, 2, 'the same serial twice is one entry');
  // re-revoked by a delta: still one, with the new time and reason
  idx.applyDelta(
    crlOf([entry(s(2), t('261102000000Z'), reasonExt(5))], { number: 2, deltaBase: 1 }),
  );
  assert.equal(idx.size, 2);
  assert.equal(idx.lookup(s(2))?.reason, 5);
  assert.equal(idx.lookup(s(2))?.revokedAt.toISOString(), '2026-11-02T00:00:00.000Z');
  // removeFromCRL of a serial never there, then of one twice
  idx.applyDelta(crlOf([entry(s(9), when, reasonExt(8))], { number: 3, deltaBase: 1 }));
  assert.equal(idx.size, 2);
  idx.applyDelta(crlOf([entry(s(1), when, reasonExt(8))], { number: 4, deltaBase: 1 }));
  idx.applyDelta(crlOf([entry(s(1), when, reasonExt(8))], { number: 5, deltaBase: 1 }));
  assert.equal(idx.size, 1);
  assert.equal(idx.has(s(1)), false);
  // revoked again after its removal
  idx.applyDelta(crlOf([entry(s(1), when, reasonExt(1))], { number: 6, deltaBase: 1 }));
  assert.equal(idx.size, 2);
  assert.equal(idx.lookup(s(1))?.reason, 1);
  // a long serial: removed and counted the same way
  const long = hex('55'.repeat(33));
  idx.applyDelta(crlOf([entry(long, when)], { number: 7, deltaBase: 1 }));
  idx.applyDelta(crlOf([entry(long, when)], { number: 8, deltaBase: 1 }));
  assert.equal(idx.size, 3);
  idx.applyDelta(crlOf([entry(long, when, reasonExt(8))], { number: 9, deltaBase: 1 }));
  idx.applyDelta(crlOf([entry(long, when, reasonExt(8))], { number: 10, deltaBase: 1 }));
  assert.equal(idx.size, 2);
  assert.equal(idx.has(long), false);
  // a delta whose second entry is broken: the first is not applied either
  assert.throws(
    () =>
      idx.applyDelta(
        crlOf([entry(s(7), when), entry(s(8), t('261301000000Z'))], { number: 11, deltaBase: 1 }),
      ),
    CrlParseError,
  );
  assert.equal(idx.has(s(7)), false);
  assert.equal(idx.size, 2);
  assert.equal(idx.lastNumber, 10n);
});

test('a full CRL that lists a serial twice keeps the later time and reason; long serials too', () => {
  const s = (n: number) => Uint8Array.of(0x10, n);
  const long = hex('66'.repeat(33));
  const idx = CrlIndex.fromCrl(
    crlOf([
      entry(s(1), t('261101000000Z'), reasonExt(1)),
      entry(long, t('261101000000Z')),
      entry(s(2), t('261101000000Z')),
      entry(s(1), t('21000101000000Z'), reasonExt(4)), // later, and past 2086 (kept aside)
      entry(long, t('261103000000Z'), reasonExt(3)),
      entry(s(3), t('261101000000Z')),
    ]),
  );
  assert.equal(idx.size, 4);
  assert.equal(idx.lookup(s(1))?.reason, 4);
  assert.equal(idx.lookup(s(1))?.revokedAt.toISOString(), '2100-01-01T00:00:00.000Z');
  assert.equal(idx.lookup(long)?.reason, 3);
  assert.equal(idx.lookup(long)?.revokedAt.toISOString(), '2026-11-03T00:00:00.000Z');
  assert.equal(idx.lookup(s(2))?.reason, -1);
  assert.ok(idx.has(s(3)));
  assert.equal(idx.has(s(4)), false);
  // the first time of a serial listed twice is gone, not kept for the later entry's slot
  idx.applyDelta(
    crlOf([entry(s(1), t('261101000000Z'), reasonExt(8))], { number: 2, deltaBase: 1 }),
  );
  assert.equal(idx.has(s(1)), false);
  assert.equal(idx.size, 3);
});

test('the index grows past its first guess (more entries, longer serials) and stays compact', () => {
  const when = t('261101000000Z');
  // the first entry is short: the guess is small, the rest are longer and more
  const serials = [
    hex('01'),
    ...Array.from({ length: 5000 }, () => new Uint8Array(randomBytes(20))),
  ];
  for (const s of serials) s[0] = s[0]! | 0x01; // no leading zero octet
  const idx = CrlIndex.fromCrl(crlOf(serials.map((s) => entry(s, when))));
  assert.equal(idx.size, serials.length);
  for (const s of serials) assert.ok(idx.has(s));
  for (let i = 0; i < 2000; i++) assert.equal(idx.has(new Uint8Array(randomBytes(20))), false);
  const big = CrlIndex.fromCrl(full);
  // 16 octets of key, 4 of time, 1 of reason, a 4-byte slot at a load of at least 0.35
  assert.ok(big.byteSize < N * (16 + 4 + 1 + 12), `${big.byteSize} bytes for ${N} entries`);
});
