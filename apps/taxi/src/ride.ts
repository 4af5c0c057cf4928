/**
 * A ride record (乗車記録): what the in-car terminal writes for each touch, signed
 * with the terminal's Ed25519 key so the city pays only rides a registered terminal
 * recorded. A record is never changed: a ride the card did not count is cancelled
 * by a later `void` record naming its seq.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { TaxiError } from './errors.ts';

export interface RideBody {
  readonly kind: 'ride';
  readonly terminalId: string;
  /** 1, 2, 3… per terminal, never reused: (terminalId, seq) is the ride's identity. */
  readonly seq: number;
  /** The terminal's clock (ISO 8601); the city corrects it by the skew it measures. */
  readonly at: string;
  readonly userId: string;
  /** The taxi company (タクシー事業者) the terminal belongs to: who the city pays. */
  readonly company: string;
  readonly fareYen: number;
  readonly subsidyYen: number;
  readonly boardInCity: boolean;
  readonly alightInCity: boolean;
}

export interface VoidBody {
  readonly kind: 'void';
  readonly terminalId: string;
  readonly seq: number;
  readonly at: string;
  /** The seq of the ride the card never counted. */
  readonly voids: number;
}

export type RecordBody = RideBody | VoidBody;

/** A body and its signature (base64url of Ed25519 over `canonical(body)`). */
export interface SignedRecord {
  readonly body: RecordBody;
  readonly sig: string;
}

const HEX26 = /^[0-9A-F]{26}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** One byte string per body, whatever order its fields came in: what is signed. */
export function canonical(body: RecordBody): string {
  return body.kind === 'ride'
    ? JSON.stringify([
        'ride',
        body.terminalId,
        body.seq,
        body.at,
        body.userId,
        body.company,
        body.fareYen,
        body.subsidyYen,
        body.boardInCity,
        body.alightInCity,
      ])
    : JSON.stringify(['void', body.terminalId, body.seq, body.at, body.voids]);
}

const invalid = (en: string, ja: string) => new TaxiError('RIDE_INVALID', { en, ja });
const isSeq = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 1;
const isYen = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 1_000_000;

/** A record as it came over the wire or from a file, checked field by field. */
export function recordFrom(input: unknown): SignedRecord {
  if (typeof input !== 'object' || input === null)
    throw invalid('a ride record is an object', '乗車記録の形式が正しくありません');
  const { body, sig } = input as { body?: Record<string, unknown>; sig?: unknown };
  if (typeof sig !== 'string' || !/^[A-Za-z0-9_-]{86}$/.test(sig))
    throw invalid('sig is 64 bytes in base64url', '署名の形式が正しくありません');
  if (typeof body !== 'object' || body === null)
    throw invalid('a ride record has a body', '乗車記録の本体がありません');
  const { kind, terminalId, seq, at } = body;
  if (typeof terminalId !== 'string' || !ID.test(terminalId))
    throw invalid('terminalId is 1–64 letters, digits, _ . -', '端末IDが正しくありません');
  if (!isSeq(seq)) throw invalid('seq is a whole number ≥ 1', '通番は1以上の整数です');
  if (typeof at !== 'string' || !Number.isFinite(Date.parse(at)) || at.length > 40)
    throw invalid('at is an ISO 8601 time', '日時が正しくありません');
  if (kind === 'void') {
    if (!isSeq(body.voids) || body.voids >= seq)
      throw invalid('voids names an earlier seq', '取消の対象は前の通番です');
    return { body: { kind, terminalId, seq, at, voids: body.voids }, sig };
  }
  if (kind !== 'ride') throw invalid('kind is ride or void', '種別は ride か void です');
  const { userId, company, fareYen, subsidyYen, boardInCity, alightInCity } = body;
  if (typeof userId !== 'string' || !HEX26.test(userId))
    throw invalid('userId is 26 upper-case hex digits', '利用者IDが正しくありません');
  if (typeof company !== 'string' || !ID.test(company))
    throw invalid('company is 1–64 letters, digits, _ . -', '事業者IDが正しくありません');
  if (!isYen(fareYen) || fareYen === 0 || !isYen(subsidyYen) || subsidyYen > fareYen)
    throw invalid('fare and subsidy are yen, subsidy ≤ fare', '運賃・補助額が正しくありません');
  if (typeof boardInCity !== 'boolean' || typeof alightInCity !== 'boolean')
    throw invalid(
      'boardInCity and alightInCity are true or false',
      '乗降地の区分が正しくありません',
    );
  return {
    body: {
      kind,
      terminalId,
      seq,
      at,
      userId,
      company,
      fareYen,
      subsidyYen,
      boardInCity,
      alightInCity,
    },
    sig,
  };
}

/** A terminal's new key pair: the private key stays in the car, the public key goes to the city. */
export function newTerminalKey(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function signRecord(body: RecordBody, privateKey: KeyObject | string): SignedRecord {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const sig = sign(null, Buffer.from(canonical(body)), key).toString('base64url');
  return { body, sig };
}

export function verifyRecord(r: SignedRecord, publicKey: KeyObject | string): boolean {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return verify(null, Buffer.from(canonical(r.body)), key, Buffer.from(r.sig, 'base64url'));
}

/** A public key as the city stores it (SPKI PEM), checked to be an Ed25519 key. */
export function terminalPublicKey(pem: unknown): KeyObject {
  try {
    if (typeof pem !== 'string' || pem.length > 1000) throw new Error('not a PEM');
    const k = createPublicKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(String(k.asymmetricKeyType));
    return k;
  } catch {
    throw new TaxiError('BAD_REQUEST', {
      en: 'publicKey is an Ed25519 public key (SPKI PEM)',
      ja: '公開鍵は Ed25519 の SPKI PEM です',
    });
  }
}
