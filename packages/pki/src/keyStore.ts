/**
 * Where the issuer's private keys live. Keys are handed out as WebCrypto
 * `CryptoKey`s, so a PKCS#11 store (SoftHSM2 in tests, an HSM in production) fits
 * the same interface through a WebCrypto-over-PKCS#11 provider; the software
 * store below keeps PKCS#8 files (mode 0600) in the issuer directory.
 */
import { webcrypto } from 'node:crypto';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';

export type KeyId = string & { readonly __brand?: 'KeyId' };

export const RSA_SHA256 = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

export interface KeyStore {
  /** Generates an RSA-2048 key pair under `id`; refuses an id already in use. */
  generate(id: KeyId): Promise<CryptoKeyPair>;
  /** The key pair stored under `id`; throws when there is none. */
  get(id: KeyId): Promise<CryptoKeyPair>;
}

async function publicFromPrivate(priv: CryptoKey): Promise<CryptoKey> {
  const jwk = await webcrypto.subtle.exportKey('jwk', priv);
  return webcrypto.subtle.importKey(
    'jwk',
    { kty: jwk.kty, n: jwk.n, e: jwk.e, alg: 'RS256', ext: true },
    RSA_SHA256,
    true,
    ['verify'],
  );
}

const KEY_ID = /^[a-z][a-z0-9-]{0,63}$/;

/** PKCS#8 files `<dir>/<id>.p8`, created with mode 0600. */
export class SoftwareKeyStore implements KeyStore {
  readonly #dir: string | undefined;
  readonly #memory = new Map<string, CryptoKeyPair>();

  /** `dir` undefined keeps keys in memory only (tests). */
  constructor(dir?: string) {
    this.#dir = dir;
  }

  async generate(id: KeyId): Promise<CryptoKeyPair> {
    if (!KEY_ID.test(id)) throw new Error(`bad key id ${JSON.stringify(id)}`);
    if (this.#memory.has(id) || (this.#dir && (await exists(this.#file(id))))) {
      throw new Error(`key ${id} already exists`);
    }
    const pair = (await webcrypto.subtle.generateKey(RSA_SHA256, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    if (this.#dir) {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      const p8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
      await writeFile(this.#file(id), p8, { mode: 0o600, flag: 'wx' });
    }
    this.#memory.set(id, pair);
    return pair;
  }

  async get(id: KeyId): Promise<CryptoKeyPair> {
    const cached = this.#memory.get(id);
    if (cached) return cached;
    if (!this.#dir || !KEY_ID.test(id)) throw new Error(`no key ${id}`);
    const p8 = await readFile(this.#file(id));
    const privateKey = await webcrypto.subtle.importKey('pkcs8', p8, RSA_SHA256, true, ['sign']);
    const pair = { privateKey, publicKey: await publicFromPrivate(privateKey) };
    this.#memory.set(id, pair);
    return pair;
  }

  #file(id: string): string {
    return join(this.#dir!, `${id}.p8`);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
