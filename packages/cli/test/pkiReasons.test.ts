/** `myna pki revoke --reason`: pki's JPKI names, or the RFC 5280 names OpenSSL users type. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CRL_REASON, REVOCATION_REASONS } from '@myna-ap/pki';
import { CliError } from '../src/command.ts';
import { RFC5280_REASONS, revocationReason } from '../src/commands/pki.ts';
import { main } from '../src/main.ts';

test('RFC 5280 names map to the JPKI reason whose CRL reason they are', () => {
  assert.equal(revocationReason('keyCompromise'), 'key-compromise');
  assert.equal(revocationReason('affiliationChanged'), 'info-change');
  assert.equal(revocationReason('cessationOfOperation'), 'death');
  assert.equal(revocationReason('superseded'), 'replaced');
  assert.equal(revocationReason('KEYCOMPROMISE'), 'key-compromise', 'any case, as openssl');
  for (const r of REVOCATION_REASONS) assert.equal(revocationReason(r), r);
  // RFC 5280 §5.3.1 CRLReason codes: the JPKI reason a name maps to writes that code
  // (superseded: the old card's certificates when a renewed or reissued card replaces it).
  const CODE = {
    unspecified: 0,
    keyCompromise: 1,
    affiliationChanged: 3,
    superseded: 4,
    cessationOfOperation: 5,
  };
  for (const [name, code] of Object.entries(CODE)) {
    assert.equal(Number(CRL_REASON[RFC5280_REASONS[name]!]), code, name);
  }
});

test('a hold, a CA reason or a made-up name is refused with the names that work', () => {
  for (const [given, why] of [
    ['certificateHold', /no suspension/],
    ['cACompromise', /about the CA/],
    ['lostt', /unknown reason "lostt"/],
  ] as const) {
    assert.throws(
      () => revocationReason(given),
      (e: unknown) =>
        e instanceof CliError &&
        why.test(e.text.en) &&
        /keyCompromise/.test(e.text.en) &&
        /key-compromise/.test(e.text.ja),
    );
  }
});

test('myna pki revoke --reason certificateHold exits 1 and says why, before opening an issuer', async () => {
  const err: string[] = [];
  const saved = process.env.MYNA_LANG;
  process.env.MYNA_LANG = 'en';
  try {
    const code = await main(
      ['pki', 'revoke', '--dir', '/nonexistent', '--serial', '01', '--reason', 'certificateHold'],
      { out: () => {}, err: (l) => err.push(l) },
    );
    assert.equal(code, 1);
    assert.match(err.join('\n'), /myna pki revoke: JPKI has no suspension/);
  } finally {
    if (saved === undefined) delete process.env.MYNA_LANG;
    else process.env.MYNA_LANG = saved;
  }
});
