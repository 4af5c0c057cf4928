/**
 * The loader's certificate check for `diagnose`, by the CRL method of the
 * 地方認証PF (seeds/003): the trust anchors and the latest published CRL of a
 * JPKI issuer directory — public parts only, no issuer key is opened. The CRL
 * file is re-read when it changes; a missing, expired, foreign or badly signed
 * CRL makes the answer `unavailable`, never `valid`.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CrlIndex, RevocationLog, validateWithCrl, type TrustAnchors } from '@myna-ap/pki';
import type { CertificateCheck } from '@myna-ap/loader';
import { CliError } from '../command.ts';
import { t } from '../i18n.ts';

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
  const file = join(dir, 'crl', 'auth.crl');
  let cached: { stamp: string; index: CrlIndex } | undefined;
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
    const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (!cached || cached.stamp !== stamp) {
      try {
        // Bound to the auth CA: its name, key and signature, or no index at all.
        const index = CrlIndex.fromCrl(new Uint8Array(await readFile(file)), {
          caCertificate: trust.cas[0],
        });
        cached = { stamp, index };
      } catch (e) {
        cached = undefined;
        return { status: 'unavailable', message: `${file}: ${(e as Error).message}` };
      }
    }
    // An expired CRL or one of another CA is `unavailable` here too.
    return validateWithCrl(cert, trust, cached.index);
  };
}

/** Seconds between two reads of the issuer's revocations by default. */
export const JPKI_POLL_SECONDS = 10;

/**
 * What `myna serve --jpki DIR` polls: the issuer directory's revocation records
 * with the card each certificate is on (@myna-ap/pki's RevocationLog), so a
 * revocation for loss (`myna pki revoke --reason lost`) marks the card lost in
 * the status feed by itself. A failed read is said on stderr and tried again.
 */
export function jpkiRevocations(
  dir: string,
  seconds: number,
  warn: (line: string) => void,
): NonNullable<import('@myna-ap/loader').ServeOptions['jpkiRevocations']> {
  const log = new RevocationLog(dir);
  return {
    read: () => log.readNew(),
    previousCardOf: async (cardId) => {
      await log.refreshLinks();
      return log.previousCardOf(cardId);
    },
    intervalMs: seconds * 1000,
    onError: (e) =>
      warn(
        t({
          en: `JPKI revocations of ${dir} not taken in (tried again): ${(e as Error).message}`,
          ja: `${dir} のJPKI失効情報を取り込めませんでした（再試行します）: ${(e as Error).message}`,
        }),
      ),
  };
}
