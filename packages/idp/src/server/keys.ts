/**
 * The platform's own secrets, kept in one key file outside the database (mode
 * 0600): the PPID master secret (docs/ppid.md: a DB thief without it links
 * nothing), the ID token signing key (RS256: OIDC's mandatory algorithm and the
 * default every relying party accepts) and the cookie keys. Made on the
 * first start; a file that is there but malformed is refused, never replaced —
 * a new PPID secret would give every holder new PPIDs at every service.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { z } from 'zod';
import { IdpError } from '../errors.ts';
import { MIN_MASTER_SECRET } from '../ppid/secrets.ts';

export interface IdpKeys {
  /** The PPID master secret (PpidSecrets). */
  readonly ppidMaster: Uint8Array;
  /** Private JWKs ID tokens are signed with. */
  readonly signingKeys: readonly JWK[];
  /** Keys the OIDC provider's cookies are signed with (newest first). */
  readonly cookieKeys: readonly string[];
}

const fileSchema = z
  .object({
    version: z.literal(1),
    ppidMaster: z.string().regex(/^[A-Za-z0-9_-]+$/),
    signingKeys: z.array(z.record(z.string(), z.unknown())).min(1),
    cookieKeys: z.array(z.string().min(32)).min(1),
  })
  .strict();

/** Fresh keys: 32 random bytes of PPID secret, an RS256 key, one cookie key. */
export async function newIdpKeys(): Promise<IdpKeys> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return {
    ppidMaster: randomBytes(32),
    signingKeys: [{ ...jwk, alg: 'RS256', use: 'sig', kid: randomBytes(8).toString('hex') }],
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}

function badFile(file: string, why: string): IdpError {
  return new IdpError('KEY_FILE_INVALID', {
    en: `the idp key file ${file} is unusable (${why}); restore it from a backup — a new one would change every PPID`,
    ja: `idp の鍵ファイル ${file} を使えません（${why}）。バックアップから戻してください（作り直すと全てのPPIDが変わります）`,
  });
}

/** The keys in `file`, made (and written, 0600) when the file does not exist. */
export async function openIdpKeys(file: string): Promise<{ keys: IdpKeys; created: boolean }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw badFile(file, (e as Error).message);
    const keys = await newIdpKeys();
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const out = {
      version: 1,
      ppidMaster: Buffer.from(keys.ppidMaster).toString('base64url'),
      signingKeys: keys.signingKeys,
      cookieKeys: keys.cookieKeys,
    };
    // 'wx': two servers starting at once must not each write their own secret.
    await writeFile(file, JSON.stringify(out, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    return { keys, created: true };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badFile(file, 'not JSON');
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) throw badFile(file, r.error.issues[0]?.message ?? 'invalid');
  const ppidMaster = Buffer.from(r.data.ppidMaster, 'base64url');
  if (ppidMaster.length < MIN_MASTER_SECRET) {
    throw badFile(file, `the PPID secret has fewer than ${MIN_MASTER_SECRET} bytes`);
  }
  for (const k of r.data.signingKeys) {
    if (typeof k['d'] !== 'string' || typeof k['kty'] !== 'string') {
      throw badFile(file, 'a signing key is not a private JWK');
    }
  }
  return {
    keys: {
      ppidMaster,
      signingKeys: r.data.signingKeys as JWK[],
      cookieKeys: r.data.cookieKeys,
    },
    created: false,
  };
}
