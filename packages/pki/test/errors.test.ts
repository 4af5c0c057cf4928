/**
 * The package's failures are catalogue codes with both languages: an error made by
 * real bad input carries its code's Japanese meaning and the specific English.
 */
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CrlParseError,
  JpkiIssuer,
  OcspRequestError,
  PKI_DATA_ERRORS,
  PKI_ERRORS,
  PkiError,
  parseCrl,
  parseOcspRequest,
} from '@myna-ap/pki';

test('a PkiError says what its code means in Japanese, then the specific English', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'myna-pki-err-'));
  const e = await JpkiIssuer.open(empty).catch((x: unknown) => x);
  assert.ok(e instanceof PkiError, String(e));
  assert.equal(e.code, 'PKI_DIR_MISSING');
  assert.equal(e.text.en, e.message);
  assert.ok(e.text.ja.startsWith(PKI_ERRORS.PKI_DIR_MISSING.ja), e.text.ja);
  assert.ok(e.text.ja.includes(e.message), 'the Japanese keeps the detail (the directory)');
});

test('bad CRL and OCSP bytes are data errors of the catalogue, in both languages', () => {
  const crl = (() => {
    try {
      parseCrl(Uint8Array.of(0x04, 0x00));
    } catch (x) {
      return x;
    }
  })();
  assert.ok(crl instanceof CrlParseError, String(crl));
  assert.equal(crl.code, 'BAD_CRL');
  assert.ok(crl.text.ja.startsWith(PKI_DATA_ERRORS.BAD_CRL.ja), crl.text.ja);

  const ocsp = (() => {
    try {
      parseOcspRequest(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00));
    } catch (x) {
      return x;
    }
  })();
  assert.ok(ocsp instanceof OcspRequestError, String(ocsp));
  assert.equal(ocsp.code, 'BAD_OCSP_REQUEST');
  assert.ok(ocsp.text.ja.startsWith(PKI_DATA_ERRORS.BAD_OCSP_REQUEST.ja), ocsp.text.ja);
  assert.equal(ocsp.text.en, ocsp.message);
});

test('every code has both texts and no code is in both catalogues', () => {
  for (const [code, e] of [...Object.entries(PKI_ERRORS), ...Object.entries(PKI_DATA_ERRORS)]) {
    assert.ok(e.en.length > 0 && e.ja.length > 0, code);
    assert.match(e.ja, /[\u3040-\u30ff\u4e00-\u9fff]/, `${code}: Japanese text`);
  }
  for (const code of Object.keys(PKI_ERRORS)) assert.ok(!(code in PKI_DATA_ERRORS), code);
});
