/**
 * The card issuer's signing key (券面事項の署名鍵). On real cards J-LIS signs the
 * 券面 data (EF 0003 of the text AP, the signature inside the visual AP's EF 0002)
 * so a reader can tell the data came from the issuer. We keep one RSA-2048 key
 * per installation, apart from the JPKI CAs (they belong to the pki package):
 * `$MYNA_HOME/card-issuer/key.pem` (PKCS#8 PEM, mode 0600). Its 16-byte ID is
 * the first 16 bytes of SHA-256 over the public key's SPKI DER.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface CardIssuer {
  /** 16-byte issuer identifier written into the card-verifiable certificate. */
  readonly id: Uint8Array;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function cardIssuerFromKey(privateKey: KeyObject): CardIssuer {
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const id = new Uint8Array(createHash('sha256').update(spki).digest().subarray(0, 16));
  return { id, privateKey, publicKey };
}

/** A new issuer key, kept in memory only (tests, throw-away cards). */
export function newCardIssuer(): CardIssuer {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return cardIssuerFromKey(privateKey);
}

/** `$MYNA_HOME/card-issuer`, MYNA_HOME defaulting to `~/.myna`. */
export function defaultCardIssuerDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.MYNA_HOME ?? join(homedir(), '.myna'), 'card-issuer');
}

/** Opens the issuer key in `dir`, creating it (and `dir`) on first use. */
export async function openOrCreateCardIssuer(dir: string): Promise<CardIssuer> {
  const path = join(dir, 'key.pem');
  let pem: string | undefined;
  try {
    pem = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (pem !== undefined) return cardIssuerFromKey(createPrivateKey(pem));
  const issuer = newCardIssuer();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const out = issuer.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  // 'wx': never overwrite a key another process has just written.
  await writeFile(path, out, { mode: 0o600, flag: 'wx' }).catch(
    async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    },
  );
  return cardIssuerFromKey(createPrivateKey(await readFile(path, 'utf8')));
}
