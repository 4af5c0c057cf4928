/**
 * The loader's certificate check for `diagnose`, by the CRL method of the
 * 地方認証PF (seeds/003): the trust anchors and the latest published CRL of a
 * JPKI issuer directory — public parts only, no issuer key is opened. The CRL
 * file is re-read when it changes; a missing, expired or badly signed CRL makes
 * the answer `unavailable`, never `valid`.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CrlIndex,
  parseCrl,
  validateWithCrl,
  verifyCrlSignature,
  type TrustAnchors,
} from '@myna-ap/pki';
import type { CertificateCheck } from '@myna-ap/loader';
import { CliError } from '../command.ts';

async function der(dir: string, name: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(join(dir, 'certs', `${name}.der`)));
  } catch (e) {
    throw new CliError({
      en: `--jpki ${dir}: not a JPKI issuer directory (${(e as Error).message})`,
      ja: `--jpki ${dir} はJPKI発行者のディレクトリではありません`,
    });
  }
}

export async function crlCertificateCheck(dir: string): Promise<CertificateCheck> {
  const trust: TrustAnchors = {
    root: await der(dir, 'root'),
    cas: [await der(dir, 'auth-ca'), await der(dir, 'sign-ca')],
  };
  const authCa = new X509Certificate(trust.cas[0]!);
  const file = join(dir, 'crl', 'auth.crl');
  let cached: { mtimeMs: number; index: CrlIndex; nextUpdate: number | undefined } | undefined;
  return async (cert) => {
    let st;
    try {
      st = await stat(file);
    } catch {
      return {
        status: 'unavailable',
        message: `no CRL published in ${join(dir, 'crl')} (run \`myna pki crl --dir ${dir} --kind auth --out auth.crl\`)`,
      };
    }
    if (!cached || cached.mtimeMs !== st.mtimeMs) {
      const bytes = new Uint8Array(await readFile(file));
      const info = parseCrl(bytes);
      if (!verifyCrlSignature(info, authCa.publicKey)) {
        return { status: 'unavailable', message: `${file} is not signed by the auth CA` };
      }
      cached = { mtimeMs: st.mtimeMs, index: CrlIndex.fromCrl(bytes), nextUpdate: info.nextUpdate };
    }
    if (cached.nextUpdate !== undefined && cached.nextUpdate < Date.now()) {
      return { status: 'unavailable', message: `the CRL in ${file} expired: publish a fresh one` };
    }
    return validateWithCrl(cert, trust, cached.index);
  };
}
