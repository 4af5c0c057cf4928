/**
 * Where the issuer's private keys live, behind one interface shaped like an HSM:
 * a key is generated inside the store, and the only thing the issuer ever asks
 * of it is "sign these bytes" (sha256WithRSAEncryption). The private key is never
 * handed out, so a PKCS#11 token (pkcs11.ts: SoftHSM2 in tests, an HSM in
 * production) and the software store below are interchangeable.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  sign,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PkiError } from './errors.ts';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** A key's name in its store: `root`, `auth-ca`, `sign-ca`, `ocsp-auth`, `ocsp-sign`. */
export type KeyId = string & { readonly __brand?: 'KeyId' };

/** RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit modulus: every key of the issuer. */
export const RSA_SHA256 = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

/** A private key inside a key store, as the issuer uses it. */
export interface IssuerKey {
  readonly id: KeyId;
  /** The public half (WebCrypto, verify only): for certificates and key identifiers. */
  readonly publicKey: CryptoKey;
  /** SubjectPublicKeyInfo (DER) of the public half. */
  readonly spki: Uint8Array;
  /** A sha256WithRSAEncryption signature over `data`, made inside the store. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export interface KeyStore {
  /** `software` (PKCS#8 files or memory) or `pkcs11` (a token). */
  readonly kind: 'software' | 'pkcs11';
  /** Generates an RSA-2048 key pair under `id`; refuses an id already in use (PKI_KEY_EXISTS). */
  generate(id: KeyId): Promise<IssuerKey>;
  /** The key stored under `id`; PKI_KEY_MISSING when there is none. */
  get(id: KeyId): Promise<IssuerKey>;
  /** Removes a key (used to undo a half-made issuer); no error when it is absent. */
  remove(id: KeyId): Promise<void>;
  /** Releases sessions and handles; the store is unusable afterwards. */
  close(): Promise<void>;
}

const KEY_ID = /^[a-z][a-z0-9-]{0,63}$/;

const generateRsa = () =>
  promisify(generateKeyPair)('rsa', { modulusLength: 2048, publicExponent: 0x10001 });

export function checkKeyId(id: string): void {
  if (!KEY_ID.test(id)) throw new PkiError('PKI_BAD_REQUEST', `bad key id ${JSON.stringify(id)}`);
}

/** A WebCrypto verify key from SubjectPublicKeyInfo DER. */
export async function importSpki(spki: Uint8Array): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('spki', spki, RSA_SHA256, true, ['verify']);
}

/**
 * An IssuerKey over a private key held in this process. node:crypto's callback
 * sign runs on libuv's pool with less main-thread work than WebCrypto's (about
 * 0.09 ms against 0.2 ms a signature here): an OCSP responder signs every answer.
 */
async function softwareKey(id: KeyId, privateKey: KeyObject): Promise<IssuerKey> {
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
  return {
    id,
    publicKey: await importSpki(spki),
    spki,
    sign: (data) =>
      new Promise((resolve, reject) =>
        sign('sha256', data, privateKey, (e, sig) =>
          e ? reject(e) : resolve(new Uint8Array(sig)),
        ),
      ),
  };
}

/**
 * Software keys: PKCS#8 files `<dir>/<id>.p8` (mode 0600, directory 0700), or
 * memory only when `dir` is undefined (tests). The private keys stay inside the
 * store; callers get IssuerKeys (public key and sign) only.
 */
export class SoftwareKeyStore implements KeyStore {
  readonly kind = 'software';
  readonly #dir: string | undefined;
  readonly #memory = new Map<string, IssuerKey>();

  constructor(dir?: string) {
    this.#dir = dir;
  }

  async generate(id: KeyId): Promise<IssuerKey> {
    checkKeyId(id);
    if (this.#memory.has(id) || (this.#dir && (await exists(this.#file(id))))) {
      throw new PkiError('PKI_KEY_EXISTS', `key ${id} already exists`);
    }
    const { privateKey } = await generateRsa();
    if (this.#dir) {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      const p8 = privateKey.export({ format: 'der', type: 'pkcs8' });
      await writeFile(this.#file(id), p8, { mode: 0o600, flag: 'wx' });
    }
    const key = await softwareKey(id, privateKey);
    this.#memory.set(id, key);
    return key;
  }

  async get(id: KeyId): Promise<IssuerKey> {
    const cached = this.#memory.get(id);
    if (cached) return cached;
    checkKeyId(id);
    if (!this.#dir) throw new PkiError('PKI_KEY_MISSING', `no key ${id}`);
    let p8: Buffer;
    try {
      p8 = await readFile(this.#file(id));
    } catch {
      throw new PkiError('PKI_KEY_MISSING', `no key file ${this.#file(id)}`);
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: p8, format: 'der', type: 'pkcs8' });
      if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    } catch {
      throw new PkiError('PKI_KEY_MISMATCH', `${this.#file(id)} is not an RSA PKCS#8 key`);
    }
    const key = await softwareKey(id, privateKey);
    this.#memory.set(id, key);
    return key;
  }

  async remove(id: KeyId): Promise<void> {
    this.#memory.delete(id);
    if (this.#dir && KEY_ID.test(id)) await rm(this.#file(id), { force: true });
  }

  async close(): Promise<void> {
    this.#memory.clear();
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
