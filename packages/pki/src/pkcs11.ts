/**
 * A key store in a PKCS#11 token (ハードウェアセキュリティモジュール; SoftHSM2 in
 * tests): keys are generated on the token as sensitive, non-extractable RSA-2048
 * private keys, and every signature is made on the token (PKCS#1 v1.5 over a
 * SHA-256 DigestInfo hashed here). Nothing but the public half ever leaves it.
 *
 * Objects: CKA_LABEL `<labelPrefix><key id>` (the prefix names the issuer, so
 * several issuers can share one token), CKA_ID the SHA-1 of the public key (the
 * certificate's subjectKeyIdentifier, as pkcs11-tool and p11-kit pair them).
 *
 * The PIN is given by the caller (the CLI reads MYNA_PKCS11_PIN); it never goes
 * into an error message or a log line.
 */
import pkcs11js from 'pkcs11js';
import { createHash, createPublicKey, timingSafeEqual } from 'node:crypto';
import { PkiError } from './errors.ts';
import { checkKeyId, importSpki, type IssuerKey, type KeyId, type KeyStore } from './keyStore.ts';

type Handle = Buffer;
const P = pkcs11js;

/** Where the keys are, as recorded in issuer.json (no PIN: that comes from the environment). */
export interface Pkcs11Location {
  /** Path of the PKCS#11 library (Debian SoftHSM2: /usr/lib/softhsm/libsofthsm2.so). */
  readonly module: string;
  /** Token label (what `softhsm2-util --init-token --label` set); or `slot`. */
  readonly token?: string;
  /** Slot id, when no label is given (labels are the stable choice: SoftHSM2 renumbers slots). */
  readonly slot?: number;
}

export interface Pkcs11Settings extends Pkcs11Location {
  /** User PIN. Never logged, never in an error message. */
  readonly pin: string;
  /** CKA_LABEL prefix of this issuer's keys, e.g. `myna-pki 3f2a9c1d `. */
  readonly labelPrefix: string;
  /** Sessions for signing in parallel (one operation per session at a time); default 4. */
  readonly sessions?: number;
}

/** The environment variable the CLI reads the user PIN from. */
export const PKCS11_PIN_ENV = 'MYNA_PKCS11_PIN';

/** The CKR_ name of a pkcs11js error, or undefined for other errors. */
function ckr(e: unknown): string | undefined {
  const m = e instanceof Error ? /^CKR_[A-Z_]+/.exec(e.message) : null;
  return m?.[0];
}

function fail(what: string, e: unknown): PkiError {
  const name = ckr(e);
  return new PkiError('PKI_PKCS11', `PKCS#11 ${what} failed: ${name ?? (e as Error).message}`);
}

/**
 * One loaded library per path in this process: C_Initialize may be called only
 * once, and a token's login belongs to the whole application, not a session.
 */
interface Loaded {
  readonly lib: pkcs11js.PKCS11;
  users: number;
  /** slot (hex) → sessions we hold there and a hash of the PIN that logged in. */
  readonly logins: Map<string, { sessions: number; pin: Buffer }>;
}
const modules = new Map<string, Loaded>();

function acquire(path: string): Loaded {
  const have = modules.get(path);
  if (have) {
    have.users++;
    return have;
  }
  const lib = new P.PKCS11();
  try {
    lib.load(path);
  } catch (e) {
    throw new PkiError(
      'PKI_PKCS11_MODULE',
      `cannot load the PKCS#11 module ${path}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  try {
    // OS locking: signatures run on libuv's worker threads, several at once.
    lib.C_Initialize({ flags: P.CKF_OS_LOCKING_OK });
  } catch (e) {
    if (ckr(e) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      lib.close();
      throw new PkiError(
        'PKI_PKCS11_MODULE',
        `PKCS#11 module ${path} did not initialise: ${ckr(e) ?? (e as Error).message}`,
      );
    }
  }
  const loaded: Loaded = { lib, users: 1, logins: new Map() };
  modules.set(path, loaded);
  return loaded;
}

function release(path: string, loaded: Loaded): void {
  if (--loaded.users > 0) return;
  modules.delete(path);
  try {
    loaded.lib.C_Finalize();
  } finally {
    loaded.lib.close();
  }
}

/** PKCS#11 pads labels to 32 bytes with spaces (some writers use NULs). */
function label32(s: string): string {
  return s.replace(/[\s\0]+$/, '');
}

function slotNumber(h: Handle): bigint {
  let v = 0n;
  for (let i = h.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(h[i]!); // native little-endian
  return v;
}

function findSlot(lib: pkcs11js.PKCS11, where: Pkcs11Location): Handle {
  let slots: Handle[];
  try {
    slots = lib.C_GetSlotList(true);
  } catch (e) {
    throw fail('C_GetSlotList', e);
  }
  for (const s of slots) {
    if (where.token !== undefined) {
      const info = lib.C_GetTokenInfo(s);
      if (label32(info.label) === where.token) return s;
    } else if (where.slot !== undefined && slotNumber(s) === BigInt(where.slot)) {
      return s;
    }
  }
  const labels = slots.map((s) => JSON.stringify(label32(lib.C_GetTokenInfo(s).label)));
  throw new PkiError(
    'PKI_PKCS11_TOKEN_MISSING',
    `no PKCS#11 token ${where.token !== undefined ? `labelled ${JSON.stringify(where.token)}` : `in slot ${where.slot}`} in ${where.module} (tokens: ${labels.join(', ') || 'none'})`,
  );
}

/** A few sessions, each doing one operation at a time; callers queue for a free one. */
class SessionPool {
  readonly #free: Handle[];
  readonly #waiting: ((s: Handle) => void)[] = [];
  readonly all: readonly Handle[];

  constructor(sessions: Handle[]) {
    this.all = sessions;
    this.#free = [...sessions];
  }

  async use<T>(fn: (s: Handle) => Promise<T> | T): Promise<T> {
    const s =
      this.#free.pop() ?? (await new Promise<Handle>((resolve) => this.#waiting.push(resolve)));
    try {
      return await fn(s);
    } finally {
      const next = this.#waiting.shift();
      if (next) next(s);
      else this.#free.push(s);
    }
  }
}

const RSA_E = Buffer.from([1, 0, 1]);
/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

function b64url(b: Buffer): string {
  return b.toString('base64url');
}

export class Pkcs11KeyStore implements KeyStore {
  readonly kind = 'pkcs11';
  readonly #settings: Pkcs11Settings;
  readonly #loaded: Loaded;
  readonly #slot: string;
  readonly #pool: SessionPool;
  readonly #keys = new Map<string, IssuerKey>();
  #closed = false;

  private constructor(settings: Pkcs11Settings, loaded: Loaded, slot: string, pool: SessionPool) {
    this.#settings = settings;
    this.#loaded = loaded;
    this.#slot = slot;
    this.#pool = pool;
  }

  /** Loads the module, finds the token, logs in and opens the signing sessions. */
  static async open(settings: Pkcs11Settings): Promise<Pkcs11KeyStore> {
    if (settings.token === undefined && settings.slot === undefined) {
      throw new PkiError('PKI_BAD_REQUEST', 'a PKCS#11 key store needs a token label or a slot');
    }
    if (!settings.pin) {
      throw new PkiError(
        'PKI_PKCS11_PIN_MISSING',
        `the PKCS#11 token needs its user PIN (set ${PKCS11_PIN_ENV})`,
      );
    }
    const loaded = acquire(settings.module);
    const sessions: Handle[] = [];
    let slotKey: string | undefined;
    try {
      const slot = findSlot(loaded.lib, settings);
      slotKey = slot.toString('hex');
      const n = Math.max(1, Math.min(16, settings.sessions ?? 4));
      for (let i = 0; i < n; i++) {
        try {
          sessions.push(loaded.lib.C_OpenSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION));
        } catch (e) {
          throw fail('C_OpenSession', e);
        }
      }
      login(loaded, slotKey, sessions[0]!, settings.pin);
      loaded.logins.get(slotKey)!.sessions += sessions.length;
    } catch (e) {
      for (const s of sessions) closeQuietly(loaded.lib, s);
      release(settings.module, loaded);
      throw e;
    }
    return new Pkcs11KeyStore(settings, loaded, slotKey, new SessionPool(sessions));
  }

  /** Where the keys are (for issuer.json): module, token or slot; never the PIN. */
  get location(): Pkcs11Location {
    const { module, token, slot } = this.#settings;
    return token !== undefined ? { module, token } : { module, slot: slot! };
  }

  /** The CKA_LABEL of a key. */
  label(id: KeyId): string {
    return `${this.#settings.labelPrefix}${id}`;
  }

  async generate(id: KeyId): Promise<IssuerKey> {
    checkKeyId(id);
    const lib = this.#lib();
    const label = this.label(id);
    return this.#pool.use(async (s) => {
      if (this.#find(s, P.CKO_PRIVATE_KEY, label).length > 0) {
        throw new PkiError('PKI_KEY_EXISTS', `the token already holds a key labelled ${label}`);
      }
      let pair: pkcs11js.KeyPair;
      try {
        pair = await lib.C_GenerateKeyPairAsync(
          s,
          { mechanism: P.CKM_RSA_PKCS_KEY_PAIR_GEN },
          [
            { type: P.CKA_CLASS, value: P.CKO_PUBLIC_KEY },
            { type: P.CKA_KEY_TYPE, value: P.CKK_RSA },
            { type: P.CKA_TOKEN, value: true },
            { type: P.CKA_PRIVATE, value: false },
            { type: P.CKA_LABEL, value: label },
            { type: P.CKA_VERIFY, value: true },
            { type: P.CKA_ENCRYPT, value: false },
            { type: P.CKA_WRAP, value: false },
            { type: P.CKA_MODULUS_BITS, value: 2048 },
            { type: P.CKA_PUBLIC_EXPONENT, value: RSA_E },
          ],
          [
            { type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY },
            { type: P.CKA_KEY_TYPE, value: P.CKK_RSA },
            { type: P.CKA_TOKEN, value: true },
            { type: P.CKA_PRIVATE, value: true },
            { type: P.CKA_LABEL, value: label },
            // never readable, never exportable, not even wrapped
            { type: P.CKA_SENSITIVE, value: true },
            { type: P.CKA_EXTRACTABLE, value: false },
            { type: P.CKA_SIGN, value: true },
            { type: P.CKA_DECRYPT, value: false },
            { type: P.CKA_UNWRAP, value: false },
            { type: P.CKA_DERIVE, value: false },
          ],
        );
      } catch (e) {
        throw fail('key pair generation', e);
      }
      const key = this.#issuerKey(s, id, pair.privateKey);
      // CKA_ID = SHA-1 of the public key, the certificate's subjectKeyIdentifier
      const ckaId = createHash('sha1').update(key.rsaPublicKey).digest();
      try {
        lib.C_SetAttributeValue(s, pair.privateKey, [{ type: P.CKA_ID, value: ckaId }]);
        lib.C_SetAttributeValue(s, pair.publicKey, [{ type: P.CKA_ID, value: ckaId }]);
      } catch (e) {
        throw fail('setting CKA_ID', e);
      }
      const issuerKey = await key.done;
      this.#keys.set(id, issuerKey);
      return issuerKey;
    });
  }

  async get(id: KeyId): Promise<IssuerKey> {
    const cached = this.#keys.get(id);
    if (cached) return cached;
    checkKeyId(id);
    this.#lib();
    const label = this.label(id);
    return this.#pool.use(async (s) => {
      const found = this.#find(s, P.CKO_PRIVATE_KEY, label);
      if (found.length === 0) {
        throw new PkiError('PKI_KEY_MISSING', `the token holds no private key labelled ${label}`);
      }
      if (found.length > 1) {
        throw new PkiError(
          'PKI_KEY_MISMATCH',
          `the token holds ${found.length} private keys labelled ${label}; expected one`,
        );
      }
      const key = await this.#issuerKey(s, id, found[0]!).done;
      this.#keys.set(id, key);
      return key;
    });
  }

  async remove(id: KeyId): Promise<void> {
    checkKeyId(id);
    const lib = this.#lib();
    const label = this.label(id);
    this.#keys.delete(id);
    await this.#pool.use((s) => {
      for (const cls of [P.CKO_PRIVATE_KEY, P.CKO_PUBLIC_KEY]) {
        for (const h of this.#find(s, cls, label)) {
          try {
            lib.C_DestroyObject(s, h);
          } catch (e) {
            throw fail('C_DestroyObject', e);
          }
        }
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#keys.clear();
    const lib = this.#loaded.lib;
    // wait for every session to be free, then close them
    await Promise.all(this.#pool.all.map(() => this.#pool.use(() => undefined)));
    for (const s of this.#pool.all) closeQuietly(lib, s);
    const l = this.#loaded.logins.get(this.#slot);
    if (l && (l.sessions -= this.#pool.all.length) <= 0) this.#loaded.logins.delete(this.#slot);
    release(this.#settings.module, this.#loaded);
  }

  #lib(): pkcs11js.PKCS11 {
    if (this.#closed) throw new PkiError('PKI_PKCS11', 'the PKCS#11 key store is closed');
    return this.#loaded.lib;
  }

  #find(s: Handle, cls: number, label: string): Handle[] {
    const lib = this.#loaded.lib;
    try {
      lib.C_FindObjectsInit(s, [
        { type: P.CKA_CLASS, value: cls },
        { type: P.CKA_LABEL, value: label },
      ]);
      try {
        return lib.C_FindObjects(s, 8);
      } finally {
        lib.C_FindObjectsFinal(s);
      }
    } catch (e) {
      throw fail('C_FindObjects', e);
    }
  }

  /** The IssuerKey of a private key object: its public half is read from the object itself. */
  #issuerKey(
    s: Handle,
    id: KeyId,
    priv: Handle,
  ): { rsaPublicKey: Buffer; done: Promise<IssuerKey> } {
    const lib = this.#loaded.lib;
    let modulus: Buffer;
    let exponent: Buffer;
    try {
      const [m, e] = lib.C_GetAttributeValue(s, priv, [
        { type: P.CKA_MODULUS },
        { type: P.CKA_PUBLIC_EXPONENT },
      ]);
      modulus = m!.value;
      exponent = e!.value;
    } catch (e) {
      throw fail('reading the public key', e);
    }
    const pub = createPublicKey({
      key: { kty: 'RSA', n: b64url(modulus), e: b64url(exponent) },
      format: 'jwk',
    });
    const spki = new Uint8Array(pub.export({ format: 'der', type: 'spki' }));
    const rsaPublicKey = pub.export({ format: 'der', type: 'pkcs1' });
    const pool = this.#pool;
    const sign = (data: Uint8Array): Promise<Uint8Array> => {
      const lib = this.#lib();
      return pool.use(async (session) => {
        try {
          // Hashed here, padded and signed on the token (CKM_RSA_PKCS over the
          // DigestInfo): the same signature as CKM_SHA256_RSA_PKCS, but a CRL of
          // millions of entries sends 51 bytes to the HSM, not tens of megabytes.
          const digestInfo = Buffer.concat([
            SHA256_DIGEST_INFO,
            createHash('sha256').update(data).digest(),
          ]);
          lib.C_SignInit(session, { mechanism: P.CKM_RSA_PKCS }, priv);
          return new Uint8Array(
            await lib.C_SignAsync(session, digestInfo, Buffer.alloc(modulus.length)),
          );
        } catch (e) {
          throw fail(`signing with ${this.label(id)}`, e);
        }
      });
    };
    return {
      rsaPublicKey,
      done: importSpki(spki).then((publicKey) => ({ id, publicKey, spki, sign })),
    };
  }
}

function login(loaded: Loaded, slotKey: string, session: Handle, pin: string): void {
  const pinHash = createHash('sha256').update(pin).digest();
  const known = loaded.logins.get(slotKey);
  if (known) {
    // Already logged in by another store of this process: C_Login would not check
    // the PIN again, so compare it with the one that logged in.
    if (!timingSafeEqual(known.pin, pinHash)) {
      throw new PkiError('PKI_PKCS11_LOGIN', 'the PKCS#11 token refused the PIN');
    }
    return;
  }
  try {
    loaded.lib.C_Login(session, P.CKU_USER, pin);
  } catch (e) {
    const name = ckr(e);
    if (name !== 'CKR_USER_ALREADY_LOGGED_IN') {
      throw new PkiError(
        'PKI_PKCS11_LOGIN',
        name === 'CKR_PIN_LOCKED'
          ? 'the PKCS#11 token PIN is locked'
          : `the PKCS#11 token refused the PIN (${name ?? 'login failed'})`,
      );
    }
  }
  loaded.logins.set(slotKey, { sessions: 0, pin: pinHash });
}

function closeQuietly(lib: pkcs11js.PKCS11, s: Handle): void {
  try {
    lib.C_CloseSession(s);
  } catch {
    /* already gone with the module */
  }
}
