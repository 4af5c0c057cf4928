/**
 * The test JPKI issuer (公的個人認証サービスの発行者, test only): a root, the two
 * issuing CAs (利用者証明用 and 署名用) and a delegated OCSP responder for each,
 * kept in a directory. `myna card create` gets the card's certificates here.
 *
 * Directory layout (documented in packages/pki/README.md):
 *   issuer.json           format, version, base URL, creation time, where the keys are
 *   certs/<name>.der      root, auth-ca, sign-ca, ocsp-auth, ocsp-sign
 *   keys/<name>.p8        PKCS#8 private keys (0600), unless the keys are in a PKCS#11 token
 *   issued.jsonl          one line per issued card certificate
 */
import { signingKeyOf, x509 } from './x509.ts';
import { webcrypto, randomBytes, type KeyObject } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CA_NAME, ocspResponderName } from './names.ts';
import { holderSanValue, type HolderInfo } from './holder.ts';
import { fifthBirthdayAfter } from './validity.ts';
import {
  RSA_SHA256,
  SoftwareKeyStore,
  type CryptoKey,
  type IssuerKey,
  type KeyId,
  type KeyStore,
} from './keyStore.ts';
import {
  PKCS11_PIN_ENV,
  Pkcs11KeyStore,
  type Pkcs11Location,
  type Pkcs11Settings,
} from './pkcs11.ts';
import { PkiError } from './errors.ts';
import {
  REVOCATION_REASONS,
  checkRevocation,
  normalizeSerial,
  type Revocation,
  type RevocationReason,
} from './revocation.ts';
import { buildCrl, type CrlEntries } from './crl.ts';
import { OcspResponder, type OcspResponderOptions } from './ocsp.ts';
import { SerialTable } from './serialTable.ts';
import { JsonLinesTail } from './jsonLines.ts';
import { CARD_LINKS_FILE, cardIdOf, serialOfDer, type CardLink } from './cardLinks.ts';

export type { CertKind } from './kinds.ts';
import type { CertKind } from './kinds.ts';

export interface CardCertificates {
  readonly auth: Uint8Array;
  readonly sign: Uint8Array;
  readonly authCa: Uint8Array;
  readonly signCa: Uint8Array;
}

export interface IssueCardRequest {
  readonly authPublicKey: KeyObject;
  readonly signPublicKey: KeyObject;
  readonly holder: HolderInfo;
  readonly notBefore?: Date;
  /**
   * The serial of the card (共通カードAP, hex) these certificates go onto: kept in
   * cards.jsonl, so a revocation names its card (cardLinks.ts). Absent: no link.
   */
  readonly cardId?: string;
  /**
   * Renewal or reissue (継続利用・再交付): the old card's serial and certificates,
   * this issuer's, which these replace — 新旧紐付け kept in cards.jsonl, so a relying
   * party (the identity platform's PPIDs) follows a holder from the old card to
   * the new. Needs `cardId`. The old ones are revoked by the caller, for its reason.
   */
  readonly replaces?: { readonly card: string; readonly auth: string; readonly sign: string };
}

export { PkiError, type PkiErrorCode } from './errors.ts';

/** `$MYNA_HOME/pki`; MYNA_HOME defaults to `~/.myna`. */
export function defaultPkiDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.MYNA_HOME ?? join(homedir(), '.myna'), 'pki');
}

const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';
const CERT_NAMES = ['root', 'auth-ca', 'sign-ca', 'ocsp-auth', 'ocsp-sign'] as const;
type CertName = (typeof CERT_NAMES)[number];

/** CRL numbering per CA: full and delta CRLs share one sequence (RFC 5280 §5.2.3). */
interface CrlState {
  auth: { next: number; base?: { number: number; at: string } };
  sign: { next: number; base?: { number: number; at: string } };
}

/** Entries handled between two turns of the event loop in long loops (CRLs). */
const YIELD_EVERY = 65_536;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const json = (buf: Buffer, a: number, b: number): unknown => JSON.parse(buf.toString('utf8', a, b));
const SERIAL_AT = Buffer.from('{"serial":"');
const KIND_AT = Buffer.from('","kind":"');
const REASON_AT = Buffer.from('","reason":"');
const TIME_AT = Buffer.from('","revokedAt":"');

/** Whether `buf` holds `what` at `at`. */
function has(buf: Buffer, at: number, what: Buffer): boolean {
  if (at + what.length > buf.length) return false;
  for (let i = 0; i < what.length; i++) if (buf[at + i] !== what[i]) return false;
  return true;
}

/** The kind at `at` (`auth` or `sign` then a quote), or undefined. */
function kindAt(buf: Buffer, at: number): CertKind | undefined {
  if (buf[at + 4] !== 0x22) return undefined;
  const k = buf.toString('latin1', at, at + 4);
  return k === 'sign' || k === 'auth' ? k : undefined;
}

class BadLine extends Error {}

/**
 * One line of issued.jsonl into the table. The lines this issuer writes are read
 * straight from the bytes (a national issuer reads millions at start); anything
 * else goes through JSON.parse.
 */
function issuedLine(table: SerialTable, buf: Buffer, a: number, b: number): void {
  if (has(buf, a, SERIAL_AT)) {
    const s = a + SERIAL_AT.length;
    const q = buf.indexOf(0x22, s);
    if (q > s && q < b && has(buf, q, KIND_AT)) {
      const kind = kindAt(buf, q + KIND_AT.length);
      if (kind && table.issued(buf, s, q, kind)) return;
    }
  }
  const l = json(buf, a, b) as { serial?: unknown; kind?: unknown };
  if (typeof l.serial !== 'string' || (l.kind !== 'auth' && l.kind !== 'sign')) throw new BadLine();
  const serial = normalizeSerial(l.serial);
  if (!serial || !table.issued(serial, 0, serial.length, l.kind)) throw new BadLine();
}

/** One line of revocations.jsonl into the table (fast path as for issued lines). */
function revocationLine(table: SerialTable, buf: Buffer, a: number, b: number): void {
  if (has(buf, a, SERIAL_AT)) {
    const s = a + SERIAL_AT.length;
    const q = buf.indexOf(0x22, s);
    if (q > s && q < b && has(buf, q, KIND_AT)) {
      const kind = kindAt(buf, q + KIND_AT.length);
      const r = q + KIND_AT.length + 4;
      if (kind && has(buf, r, REASON_AT)) {
        const rq = buf.indexOf(0x22, r + REASON_AT.length);
        const reason = REVOCATION_REASONS.find(
          (x) => x === buf.toString('latin1', r + REASON_AT.length, rq),
        );
        if (reason && has(buf, rq, TIME_AT)) {
          const t = rq + TIME_AT.length;
          const tq = buf.indexOf(0x22, t);
          const at = Date.parse(buf.toString('latin1', t, tq));
          if (tq < b && !Number.isNaN(at) && table.revoked(buf, s, q, kind, reason, at)) return;
        }
      }
    }
  }
  const r = json(buf, a, b) as Partial<Record<keyof Revocation, unknown>>;
  const reason = REVOCATION_REASONS.find((x) => x === r.reason);
  const serial = typeof r.serial === 'string' ? normalizeSerial(r.serial) : undefined;
  const at = typeof r.revokedAt === 'string' ? Date.parse(r.revokedAt) : NaN;
  const kind = r.kind === 'auth' ? 'auth' : 'sign';
  if (!serial || !reason || Number.isNaN(at)) throw new BadLine();
  table.revoked(serial, 0, serial.length, kind, reason, at);
}

/** Where the issuer's keys are, in issuer.json. Absent: software keys in keys/. */
export type KeyLocation =
  | { readonly store: 'software'; readonly dir: 'keys' }
  | (Pkcs11Location & {
      readonly store: 'pkcs11';
      /** CKA_LABEL prefix of this issuer's keys on the token. */
      readonly labelPrefix: string;
      /** Each key's CKA_LABEL and CKA_ID (hex; the SHA-1 of its public key, the certificate's SKI). */
      readonly objects: Readonly<Record<string, { readonly label: string; readonly id: string }>>;
    });

interface IssuerMeta {
  readonly format: 'myna-pki';
  readonly version: 1;
  readonly baseUrl: string;
  readonly createdAt: string;
  readonly keys?: KeyLocation;
}

export interface InitOptions {
  /** Base of the OCSP and CRL URLs in card certificates; default http://127.0.0.1:8080. */
  readonly baseUrl?: string;
  /** Generate the keys in this PKCS#11 token instead of PKCS#8 files. */
  readonly pkcs11?: Pkcs11Location & { readonly pin: string };
}

export interface OpenOptions {
  /** The token's user PIN when the keys are in PKCS#11; default `$MYNA_PKCS11_PIN`. */
  readonly pin?: string;
}

const KEY_NAMES = ['root', 'auth-ca', 'sign-ca', 'ocsp-auth', 'ocsp-sign'] as const;

/** A random positive 16-byte serial number, as hex. */
export function newSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01; // positive, and no leading zero octet
  return b.toString('hex');
}

function years(from: Date, n: number): Date {
  const d = new Date(from);
  d.setUTCFullYear(d.getUTCFullYear() + n);
  return d;
}

async function caExtensions(pub: CryptoKey, issuerPub: CryptoKey | undefined, pathLen?: number) {
  const ext: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, pathLen, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(pub),
  ];
  if (issuerPub) ext.push(await x509.AuthorityKeyIdentifierExtension.create(issuerPub));
  return ext;
}

/** issuer.json's `keys`, checked; absent means software keys (issuers made before PKCS#11). */
function checkKeyLocation(keys: unknown, dir: string): KeyLocation {
  if (keys === undefined) return { store: 'software', dir: 'keys' };
  const k = keys as Partial<Record<string, unknown>>;
  const bad = (what: string) =>
    new PkiError('PKI_DIR_BAD', `${dir}/issuer.json: keys.${what} is missing or wrong`);
  if (k.store === 'software') return { store: 'software', dir: 'keys' };
  if (k.store !== 'pkcs11') throw bad('store');
  if (typeof k.module !== 'string' || k.module === '') throw bad('module');
  if (k.token !== undefined && typeof k.token !== 'string') throw bad('token');
  if (k.token === undefined && !Number.isSafeInteger(k.slot)) throw bad('token');
  if (typeof k.labelPrefix !== 'string') throw bad('labelPrefix');
  if (typeof k.objects !== 'object' || k.objects === null) throw bad('objects');
  return keys as KeyLocation;
}

export class JpkiIssuer {
  readonly #dir: string | undefined;
  /** The key store, opened on first use (reading certificates or revoking needs no PIN). */
  readonly #openKeys: () => Promise<KeyStore>;
  #keyStore: Promise<KeyStore> | undefined;
  readonly #keyCache = new Map<KeyId, Promise<IssuerKey>>();
  readonly #certs: Map<CertName, x509.X509Certificate>;
  /** serial → kind of every card certificate this issuer made. */
  /** Every card certificate issued here: kind, and revocation if any. */
  readonly #table = new SerialTable();
  #crlState: CrlState = { auth: { next: 1 }, sign: { next: 1 } };
  readonly baseUrl: string;
  /** Where the keys are: `software` (keys/ or memory) or `pkcs11` (a token). */
  readonly keyLocation: KeyLocation | { readonly store: 'memory' };

  private constructor(
    dir: string | undefined,
    keys: KeyStore | (() => Promise<KeyStore>),
    certs: Map<CertName, x509.X509Certificate>,
    baseUrl: string,
    keyLocation: JpkiIssuer['keyLocation'],
  ) {
    this.#dir = dir;
    if (dir) {
      this.#tails = {
        issued: new JsonLinesTail(
          join(dir, 'issued.jsonl'),
          (b, s, e) => issuedLine(this.#table, b, s, e),
          // a line of this issuer's is ~130 bytes: room for them all at once
          (bytes) => this.#table.reserve(this.#table.size + Math.ceil(bytes / 120)),
        ),
        revoked: new JsonLinesTail(join(dir, 'revocations.jsonl'), (b, s, e) =>
          revocationLine(this.#table, b, s, e),
        ),
      };
    }
    if (typeof keys === 'function') this.#openKeys = keys;
    else {
      this.#keyStore = Promise.resolve(keys);
      this.#openKeys = () => Promise.resolve(keys);
    }
    this.#certs = certs;
    this.baseUrl = baseUrl;
    this.keyLocation = keyLocation;
  }

  /**
   * A new hierarchy in `dir` (created if absent); refuses a directory that is not
   * empty. With `pkcs11`, every key is generated on that token and only their
   * labels are written to issuer.json. A failure part-way removes what it made.
   */
  static async init(dir: string, opts: InitOptions = {}): Promise<JpkiIssuer> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if ((await readdir(dir)).length > 0) {
      throw new PkiError(
        'PKI_DIR_NOT_EMPTY',
        `${dir} is not empty: refusing to create an issuer there`,
      );
    }
    const baseUrl = opts.baseUrl ?? DEFAULT_BASE_URL;
    let keys: KeyStore;
    let location: (labels: Map<CertName, x509.X509Certificate>) => KeyLocation;
    if (opts.pkcs11) {
      const { module, token, slot, pin } = opts.pkcs11;
      const where: Pkcs11Location =
        token !== undefined ? { module, token } : { module, slot: slot! };
      const labelPrefix = `myna-pki ${randomBytes(4).toString('hex')} `;
      const store = await Pkcs11KeyStore.open({ ...where, pin, labelPrefix });
      keys = store;
      location = (certs) => ({
        store: 'pkcs11',
        ...where,
        labelPrefix,
        objects: Object.fromEntries(
          KEY_NAMES.map((n) => [
            n,
            {
              label: store.label(n),
              id: certs.get(n)!.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId,
            },
          ]),
        ),
      });
    } else {
      keys = new SoftwareKeyStore(join(dir, 'keys'));
      location = () => ({ store: 'software', dir: 'keys' });
    }
    let certs: Map<CertName, x509.X509Certificate>;
    try {
      certs = await JpkiIssuer.#build(keys);
      await mkdir(join(dir, 'certs'), { recursive: true });
      for (const [name, cert] of certs) {
        await writeFile(join(dir, 'certs', `${name}.der`), new Uint8Array(cert.rawData));
      }
      const meta: IssuerMeta = {
        format: 'myna-pki',
        version: 1,
        baseUrl,
        createdAt: new Date().toISOString(),
        keys: location(certs),
      };
      await writeFile(join(dir, 'issuer.json'), JSON.stringify(meta, null, 2) + '\n', {
        mode: 0o644,
      });
    } catch (e) {
      // Leave neither orphan keys on the token nor a half-made directory.
      for (const n of KEY_NAMES) await keys.remove(n).catch(() => undefined);
      await keys.close().catch(() => undefined);
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        await rm(join(dir, f), { recursive: true, force: true });
      }
      throw e;
    }
    return new JpkiIssuer(dir, keys, certs, baseUrl, location(certs));
  }

  /**
   * The issuer in `dir`. Keys in a PKCS#11 token are reached on first use with
   * `opts.pin` or `$MYNA_PKCS11_PIN`; nothing that only reads or revokes needs it.
   */
  static async open(dir: string, opts: OpenOptions = {}): Promise<JpkiIssuer> {
    let meta: IssuerMeta;
    try {
      meta = JSON.parse(await readFile(join(dir, 'issuer.json'), 'utf8')) as IssuerMeta;
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new PkiError(
        missing ? 'PKI_DIR_MISSING' : 'PKI_DIR_BAD',
        missing
          ? `no issuer in ${dir} (run: myna pki init --dir ${dir})`
          : `${dir}/issuer.json is not valid JSON`,
      );
    }
    if (meta.format !== 'myna-pki' || meta.version !== 1) {
      throw new PkiError(
        'PKI_DIR_BAD',
        `${dir}/issuer.json is not a myna-ap issuer (format/version)`,
      );
    }
    const location = checkKeyLocation(meta.keys, dir);
    const certs = new Map<CertName, x509.X509Certificate>();
    for (const name of CERT_NAMES) {
      try {
        certs.set(
          name,
          new x509.X509Certificate(await readFile(join(dir, 'certs', `${name}.der`))),
        );
      } catch {
        throw new PkiError(
          'PKI_DIR_BAD',
          `${dir}/certs/${name}.der is missing or not a certificate`,
        );
      }
    }
    const openKeys =
      location.store === 'software'
        ? async () => new SoftwareKeyStore(join(dir, 'keys'))
        : async () => {
            const pin = opts.pin ?? process.env[PKCS11_PIN_ENV];
            if (!pin) {
              throw new PkiError(
                'PKI_PKCS11_PIN_MISSING',
                `the keys of the issuer in ${dir} are in the PKCS#11 token ${location.token !== undefined ? JSON.stringify(location.token) : `in slot ${location.slot}`}: set ${PKCS11_PIN_ENV} to its user PIN`,
              );
            }
            const settings: Pkcs11Settings = {
              module: location.module,
              ...(location.token !== undefined
                ? { token: location.token }
                : { slot: location.slot! }),
              pin,
              labelPrefix: location.labelPrefix,
            };
            return Pkcs11KeyStore.open(settings);
          };
    const issuer = new JpkiIssuer(dir, openKeys, certs, meta.baseUrl, location);
    try {
      await issuer.refresh();
      const state = await readFile(join(dir, 'crl-state.json'), 'utf8').catch(() => undefined);
      if (state !== undefined) issuer.#crlState = JSON.parse(state) as CrlState;
    } catch {
      throw new PkiError(
        'PKI_DIR_BAD',
        `${dir}: issued.jsonl, revocations.jsonl or crl-state.json is damaged`,
      );
    }
    return issuer;
  }

  static async openOrInit(dir: string, opts: OpenOptions = {}): Promise<JpkiIssuer> {
    try {
      return await JpkiIssuer.open(dir, opts);
    } catch (e) {
      if (e instanceof PkiError && e.code === 'PKI_DIR_MISSING') {
        try {
          if ((await readdir(dir)).length > 0) throw e;
        } catch (inner) {
          if (inner !== e && (inner as NodeJS.ErrnoException).code !== 'ENOENT') throw inner;
          if (inner === e) throw e;
        }
        return JpkiIssuer.init(dir);
      }
      throw e;
    }
  }

  /** A throwaway hierarchy in memory (tests). */
  static async createInMemory(opts: { baseUrl?: string } = {}): Promise<JpkiIssuer> {
    const keys = new SoftwareKeyStore();
    const certs = await JpkiIssuer.#build(keys);
    return new JpkiIssuer(undefined, keys, certs, opts.baseUrl ?? DEFAULT_BASE_URL, {
      store: 'memory',
    });
  }

  /** Releases the key store (PKCS#11 sessions); the issuer cannot sign afterwards. */
  async close(): Promise<void> {
    const store = this.#keyStore;
    this.#keyStore = undefined;
    this.#keyCache.clear();
    if (store) await (await store.catch(() => undefined))?.close();
  }

  /**
   * A key of this issuer, checked once against its certificate: a token that was
   * re-initialised, or a key file swapped, is refused rather than signing with a
   * key no certificate vouches for.
   */
  #key(name: (typeof KEY_NAMES)[number]): Promise<IssuerKey> {
    let p = this.#keyCache.get(name);
    if (!p) {
      p = (async () => {
        this.#keyStore ??= this.#openKeys();
        let store: KeyStore;
        try {
          store = await this.#keyStore;
        } catch (e) {
          this.#keyStore = undefined; // a later call may bring the PIN or the token
          throw e;
        }
        const key = await store.get(name);
        const certSpki = new Uint8Array(this.#certs.get(name)!.publicKey.rawData);
        if (Buffer.compare(Buffer.from(certSpki), Buffer.from(key.spki)) !== 0) {
          throw new PkiError(
            'PKI_KEY_MISMATCH',
            `the ${store.kind} key ${name} is not the key of certs/${name}.der`,
          );
        }
        return key;
      })();
      p.catch(() => this.#keyCache.delete(name));
      this.#keyCache.set(name, p);
    }
    return p;
  }

  /** Generates the five keys in `keys` and certifies them. */
  static async #build(keys: KeyStore): Promise<Map<CertName, x509.X509Certificate>> {
    const now = new Date();
    const notBefore = new Date(now.getTime() - 60_000);
    const certs = new Map<CertName, x509.X509Certificate>();
    const root = await keys.generate('root');
    certs.set(
      'root',
      await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: newSerial(),
        name: CA_NAME.root,
        notBefore,
        notAfter: years(now, 20),
        keys: { publicKey: root.publicKey, privateKey: signingKeyOf(root) },
        signingAlgorithm: RSA_SHA256,
        extensions: await caExtensions(root.publicKey, undefined, 1),
      }),
    );
    for (const kind of ['auth', 'sign'] as const) {
      const ca = await keys.generate(`${kind}-ca`);
      certs.set(
        `${kind}-ca`,
        await x509.X509CertificateGenerator.create({
          serialNumber: newSerial(),
          subject: CA_NAME[kind],
          issuer: certs.get('root')!.subject,
          notBefore,
          notAfter: years(now, 12),
          publicKey: ca.publicKey,
          signingKey: signingKeyOf(root),
          signingAlgorithm: RSA_SHA256,
          extensions: await caExtensions(ca.publicKey, root.publicKey, 0),
        }),
      );
      const responder = await keys.generate(`ocsp-${kind}`);
      certs.set(
        `ocsp-${kind}`,
        await x509.X509CertificateGenerator.create({
          serialNumber: newSerial(),
          subject: ocspResponderName(kind),
          issuer: CA_NAME[kind],
          notBefore,
          notAfter: years(now, 2),
          publicKey: responder.publicKey,
          signingKey: signingKeyOf(ca),
          signingAlgorithm: RSA_SHA256,
          extensions: [
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning], false),
            // id-pkix-ocsp-nocheck: clients need not check the responder's own status
            new x509.Extension('1.3.6.1.5.5.7.48.1.5', false, Uint8Array.of(0x05, 0x00)),
            await x509.SubjectKeyIdentifierExtension.create(responder.publicKey),
            await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
          ],
        }),
      );
    }
    return certs;
  }

  /** DER of a CA or responder certificate. */
  certificate(name: CertName): Uint8Array {
    return new Uint8Array(this.#certs.get(name)!.rawData);
  }

  get rootCertificate(): Uint8Array {
    return this.certificate('root');
  }
  get authCaCertificate(): Uint8Array {
    return this.certificate('auth-ca');
  }
  get signCaCertificate(): Uint8Array {
    return this.certificate('sign-ca');
  }

  /** The CA chain as PEM (root last), for `myna pki chain` and `openssl verify`. */
  chainPem(): string {
    return (
      ['auth-ca', 'sign-ca', 'root']
        .map((n) => this.#certs.get(n as CertName)!.toString('pem'))
        .join('\n') + '\n'
    );
  }

  /** Issues the 利用者証明用 and 署名用 certificates of one card. */
  async issueCardCertificates(req: IssueCardRequest): Promise<CardCertificates> {
    const notBefore = req.notBefore ?? new Date();
    let notAfter: Date;
    try {
      notAfter = fifthBirthdayAfter(req.holder.birthDate, notBefore);
    } catch (e) {
      throw new PkiError('PKI_BAD_REQUEST', (e as Error).message);
    }
    const cardId = req.cardId === undefined ? undefined : cardIdOf(req.cardId);
    const replaces = req.replaces && this.#replaced(req.replaces, cardId);
    const auth = await this.#issueCard('auth', req.authPublicKey, req.holder, notBefore, notAfter);
    const sign = await this.#issueCard('sign', req.signPublicKey, req.holder, notBefore, notAfter);
    if (cardId && this.#dir) {
      const link: CardLink = {
        card: cardId,
        auth: serialOfDer(auth),
        sign: serialOfDer(sign),
        ...(replaces
          ? { replacesCard: replaces.card, replacesAuth: replaces.auth, replaces: replaces.sign }
          : {}),
        issuedAt: new Date().toISOString(),
      };
      await appendFile(join(this.#dir, CARD_LINKS_FILE), JSON.stringify(link) + '\n', {
        mode: 0o600,
      });
    }
    return { auth, sign, authCa: this.authCaCertificate, signCa: this.signCaCertificate };
  }

  /** The old card of a renewal, checked: its certificates this issuer's, of their kinds. */
  #replaced(
    r: NonNullable<IssueCardRequest['replaces']>,
    cardId: string | undefined,
  ): { card: string; auth: string; sign: string } {
    const auth = normalizeSerial(r.auth);
    const sign = normalizeSerial(r.sign);
    const card = cardIdOf(r.card);
    if (!cardId || card === cardId) {
      throw new PkiError(
        'PKI_BAD_REQUEST',
        'a renewal names the new card (cardId) and another old one',
      );
    }
    if (!auth || this.issuedKind(auth) !== 'auth' || !sign || this.issuedKind(sign) !== 'sign') {
      throw new PkiError(
        'PKI_BAD_REQUEST',
        `the old card's certificates ${JSON.stringify(r.auth)}, ${JSON.stringify(r.sign)} are not an auth and a sign certificate of this issuer`,
      );
    }
    return { card, auth, sign };
  }

  /**
   * A new 署名用 certificate for a card whose 4 info changed (記載事項変更): the
   * card made a new sign key pair, `holder` carries the new 4 info, `replaces` is
   * the card's current sign certificate. Linked to the card in cards.jsonl with
   * the one it replaces. The old one is not revoked here: revoke it (`info-change`)
   * once the card holds the new one, so a card pulled before its commit keeps a
   * valid certificate. `PKI_BAD_REQUEST` when `replaces` is not a sign
   * certificate of this issuer.
   */
  async issueSignCertificate(req: {
    readonly signPublicKey: KeyObject;
    readonly holder: HolderInfo;
    readonly cardId: string;
    readonly replaces: string;
    readonly notBefore?: Date;
  }): Promise<{ readonly sign: Uint8Array; readonly signCa: Uint8Array }> {
    const cardId = cardIdOf(req.cardId);
    const replaces = normalizeSerial(req.replaces);
    if (!replaces || this.issuedKind(replaces) !== 'sign') {
      throw new PkiError(
        'PKI_BAD_REQUEST',
        `${JSON.stringify(req.replaces)} is not a sign certificate of this issuer`,
      );
    }
    const notBefore = req.notBefore ?? new Date();
    let notAfter: Date;
    try {
      notAfter = fifthBirthdayAfter(req.holder.birthDate, notBefore);
    } catch (e) {
      throw new PkiError('PKI_BAD_REQUEST', (e as Error).message);
    }
    const sign = await this.#issueCard('sign', req.signPublicKey, req.holder, notBefore, notAfter);
    if (this.#dir) {
      const link: CardLink = {
        card: cardId,
        sign: serialOfDer(sign),
        replaces,
        issuedAt: new Date().toISOString(),
      };
      await appendFile(join(this.#dir, CARD_LINKS_FILE), JSON.stringify(link) + '\n', {
        mode: 0o600,
      });
    }
    return { sign, signCa: this.signCaCertificate };
  }

  /**
   * Revokes a card certificate this issuer made. A change of the 4 info
   * (`info-change`) revokes sign certificates only.
   */
  async revoke(serialHex: string, reason: string, at: Date = new Date()): Promise<Revocation> {
    const serial = normalizeSerial(serialHex);
    if (!serial)
      throw new PkiError(
        'PKI_BAD_SERIAL',
        `not a certificate serial number: ${JSON.stringify(serialHex)}`,
      );
    const kind = this.issuedKind(serial);
    if (!kind)
      throw new PkiError(
        'PKI_UNKNOWN_SERIAL',
        `no card certificate with serial ${serial} was issued here`,
      );
    const refusal = checkRevocation(kind, reason, this.revocation(serial));
    if (refusal) throw new PkiError(refusal.code, refusal.message);
    const r: Revocation = {
      serial,
      kind,
      reason: reason as RevocationReason,
      revokedAt: at.toISOString(),
    };
    if (this.#dir) {
      await appendFile(join(this.#dir, 'revocations.jsonl'), JSON.stringify(r) + '\n', {
        mode: 0o600,
      });
    }
    this.#table.revoked(serial, 0, serial.length, kind, r.reason, at.getTime());
    return r;
  }

  /** An OCSP responder answering for both CAs from this issuer's records. */
  async ocspResponder(opts?: OcspResponderOptions | number): Promise<OcspResponder> {
    const cas = [];
    for (const kind of ['auth', 'sign'] as const) {
      cas.push({
        kind,
        caCertificate: this.certificate(`${kind}-ca`),
        responderCertificate: this.certificate(`ocsp-${kind}`),
        responderKey: await this.#key(`ocsp-${kind}`),
      });
    }
    return new OcspResponder(cas, this, opts);
  }

  #tails: { readonly issued: JsonLinesTail; readonly revoked: JsonLinesTail } | undefined;

  /**
   * Reads the issued and revocation records that another process (say
   * `myna pki revoke`) has appended since the last call: the new lines only.
   * Cheap when nothing changed (two stat calls), so the server calls it per request.
   */
  async refresh(): Promise<void> {
    if (!this.#dir) return;
    const tails = this.#tails;
    if (!tails) return;
    if (tails.issued.changed()) await tails.issued.readNew();
    if (tails.revoked.changed()) await tails.revoked.readNew();
  }

  /** The revocation of a serial, if any. */
  revocation(serialHex: string): Revocation | undefined {
    const serial = normalizeSerial(serialHex);
    const i = serial ? this.#table.indexOf(serial) : -1;
    const r = i >= 0 ? this.#table.revocationOf(i) : undefined;
    if (!r) return undefined;
    return {
      serial: this.#table.serialOf(i),
      kind: this.#table.kindOf(i),
      reason: r.reason,
      revokedAt: new Date(r.atMs).toISOString(),
    };
  }

  /** Whether this issuer made a card certificate with that serial, and of which kind. */
  issuedKind(serialHex: string): CertKind | undefined {
    const serial = normalizeSerial(serialHex);
    const i = serial ? this.#table.indexOf(serial) : -1;
    return i >= 0 ? this.#table.kindOf(i) : undefined;
  }

  /**
   * Publishes a CRL of one CA: a full CRL of every revoked certificate, or (delta)
   * those revoked since the last full CRL, which it names as its base.
   * Full CRLs are valid for a day, delta CRLs for an hour.
   */
  async crl(kind: CertKind, opts: { delta?: boolean; now?: Date } = {}): Promise<Uint8Array> {
    const now = opts.now ?? new Date();
    const state = this.#crlState[kind];
    const base = state.base;
    if (opts.delta && !base) {
      throw new PkiError('PKI_NO_BASE_CRL', `publish a full ${kind} CRL before a delta CRL`);
    }
    const since = opts.delta ? Date.parse(base!.at) : -Infinity;
    // In slices, letting the event loop in between: a running server keeps answering
    // OCSP while a national CRL is gathered. Positions only; each entry is made when written.
    const picked: number[] = [];
    const table = this.#table;
    for (let from = 0; from < table.size; from += YIELD_EVERY) {
      table.forEachRevoked(
        kind,
        (i) => {
          if (table.revocationOf(i)!.atMs > since) picked.push(i);
        },
        from,
        from + YIELD_EVERY,
      );
      await yieldToEventLoop();
    }
    const entries: CrlEntries = {
      length: picked.length,
      at: (k) => {
        const i = picked[k]!;
        const r = table.revocationOf(i)!;
        return {
          serial: table.serialOf(i),
          kind,
          reason: r.reason,
          revokedAt: new Date(r.atMs).toISOString(),
        };
      },
    };
    const ca = await this.#key(`${kind}-ca`);
    // taken before the next await: two CRLs made at once never share a number
    const number = state.next;
    state.next = number + 1;
    const der = await buildCrl({
      ca: this.certificate(`${kind}-ca`),
      caKey: ca,
      entries,
      number,
      ...(opts.delta ? { baseNumber: base!.number } : {}),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + (opts.delta ? 3_600_000 : 86_400_000)),
    });
    if (!opts.delta && (!state.base || state.base.number < number)) {
      state.base = { number, at: now.toISOString() };
    }
    if (this.#dir) {
      await mkdir(join(this.#dir, 'crl'), { recursive: true });
      await writeFile(join(this.#dir, 'crl', `${kind}${opts.delta ? '-delta' : ''}.crl`), der);
      await writeFile(
        join(this.#dir, 'crl-state.json'),
        JSON.stringify(this.#crlState, null, 2) + '\n',
      );
    }
    return der;
  }

  async #issueCard(
    kind: CertKind,
    publicKey: KeyObject,
    holder: HolderInfo,
    notBefore: Date,
    notAfter: Date,
  ): Promise<Uint8Array> {
    if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'rsa') {
      throw new PkiError('PKI_BAD_REQUEST', `${kind} key must be an RSA public key`);
    }
    const pub = await webcrypto.subtle.importKey(
      'spki',
      publicKey.export({ format: 'der', type: 'spki' }),
      RSA_SHA256,
      true,
      ['verify'],
    );
    const ca = await this.#key(`${kind}-ca`);
    const serialNumber = newSerial();
    const usage =
      kind === 'sign'
        ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation
        : x509.KeyUsageFlags.digitalSignature;
    const extensions: x509.Extension[] = [
      new x509.KeyUsagesExtension(usage, true),
      await x509.SubjectKeyIdentifierExtension.create(pub),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
      new x509.AuthorityInfoAccessExtension({ ocsp: [`${this.baseUrl}/ocsp`] }),
      new x509.CRLDistributionPointsExtension([`${this.baseUrl}/crl/${kind}.crl`]),
    ];
    // Only the 署名用 certificate carries the 4 info; 利用者証明用 carries none.
    if (kind === 'sign')
      extensions.push(new x509.Extension('2.5.29.17', false, holderSanValue(holder)));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      // No personal data in the subject: a random common name, as on real cards.
      subject: `C=JP, CN=${randomBytes(12).toString('hex').toUpperCase()}`,
      issuer: CA_NAME[kind],
      notBefore,
      notAfter,
      publicKey: pub,
      signingKey: signingKeyOf(ca),
      signingAlgorithm: RSA_SHA256,
      extensions,
    });
    const canonical = normalizeSerial(serialNumber)!;
    this.#table.issued(canonical, 0, canonical.length, kind);
    if (this.#dir) {
      const line = { serial: serialNumber, kind, notBefore, notAfter, issuedAt: new Date() };
      await appendFile(join(this.#dir, 'issued.jsonl'), JSON.stringify(line) + '\n', {
        mode: 0o600,
      });
    }
    return new Uint8Array(cert.rawData);
  }
}
