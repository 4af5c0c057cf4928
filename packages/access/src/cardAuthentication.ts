/**
 * 券面事項確認AP internal authentication (内部認証; seed 003, かざし利用ソフト IF 3):
 * tells a genuine card from a copy of its readable data. After PIN B (the
 * emulator's reading of the seed's "生年月日PIN": birth YYMMDD + expiry year +
 * security code), the card signs a fresh host challenge with its
 * card-authentication key; the host checks the signature with the key in the
 * card's certificate (EF 0003, card-verifiable `7F 21`), and that certificate
 * with the card issuer's published one (the text AP's EF 0004 layout).
 * Bytes: packages/card/README.md, "券面事項確認AP".
 */
import { constants, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { SW, bytesEqual, encodeTlv, parseTlv, swTriesLeft, toHex } from '@myna-ap/apdu';
import { AID, FIXED_AP_LABEL, FIXED_PIN, VISUAL_EF } from '@myna-ap/profile';
import type { Text } from '@myna-ap/text';
import { AccessError, badData, cardError } from './errors.ts';
import type { CardSession } from './session.ts';

const VISUAL_AP = FIXED_AP_LABEL.visual;
const PIN_B = { fid: FIXED_PIN.visual_pin_b.ref, what: { en: 'PIN B', ja: '照合番号B' } };
const CERT = {
  fid: VISUAL_EF.cardAuthCert,
  what: { en: 'card-authentication certificate', ja: 'カード認証用証明書' },
};
/** INTERNAL AUTHENTICATE P2: 80 | SFI of the card-authentication key EF. */
const KEY_P2 = 0x80 | VISUAL_EF.cardAuthKey;

/** A card-verifiable certificate `7F 21 { 7F 4E { issuer ID ‖ subject ID ‖ 82 e ‖ 81 n }, 5F 37 sig }`. */
export interface CvCertificate {
  readonly issuerId: Uint8Array; // 16 bytes
  readonly subjectId: Uint8Array; // 16 bytes
  readonly publicKey: KeyObject;
  /** The signed `7F 4E` TLV. */
  readonly body: Uint8Array;
  readonly signature: Uint8Array;
}

/** Parses a CV certificate; `BAD_DATA` when it is not one. */
export function parseCvCertificate(bytes: Uint8Array, what: Text = CERT.what): CvCertificate {
  try {
    // 7F 4E is constructed by its tag, but its value starts with the two raw IDs.
    const root = parseTlv(bytes, { children: 'try' });
    const body = root.children?.find((c) => c.tag === 0x7f4e);
    const sig = root.children?.find((c) => c.tag === 0x5f37);
    if (root.tag !== 0x7f21 || !body || !sig) throw new Error('not 7F 21 { 7F 4E, 5F 37 }');
    const v = body.value;
    if (v.length < 32) throw new Error('7F 4E shorter than the two IDs');
    const keyParts = parseTlvSequence(v.subarray(32));
    const e = keyParts.find((t) => t.tag === 0x82)?.value;
    const n = keyParts.find((t) => t.tag === 0x81)?.value;
    if (!e || !n) throw new Error('no 82 e, 81 n');
    const publicKey = createPublicKey({
      key: { kty: 'RSA', n: b64u(n), e: b64u(e) },
      format: 'jwk',
    });
    return {
      issuerId: v.slice(0, 16),
      subjectId: v.slice(16, 32),
      publicKey,
      body: encodeTlv(0x7f4e, v),
      signature: sig.value.slice(),
    };
  } catch (e) {
    throw badData(what, (e as Error).message);
  }
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function parseTlvSequence(b: Uint8Array): { tag: number; value: Uint8Array }[] {
  const out = [];
  let at = 0;
  while (at < b.length) {
    const t = parseTlv(b.subarray(at), { strict: false });
    out.push({ tag: t.tag, value: t.value });
    at += t.end;
  }
  return out;
}

/** True when `cert` is signed (RSA PKCS#1 v1.5, SHA-256) by `issuerKey`. */
export function cvCertificateSignedBy(cert: CvCertificate, issuerKey: KeyObject): boolean {
  try {
    return verify('sha256', cert.body, issuerKey, cert.signature);
  } catch {
    return false;
  }
}

/**
 * The card issuer's key from its published, self-signed CV certificate (the
 * layout of the text AP's EF 0004). `BAD_DATA` when it is not self-signed.
 */
export function issuerKeyFromCertificate(bytes: Uint8Array): { id: Uint8Array; key: KeyObject } {
  const what = { en: 'card issuer certificate', ja: 'カード発行者証明書' };
  const c = parseCvCertificate(bytes, what);
  if (!bytesEqual(c.issuerId, c.subjectId) || !cvCertificateSignedBy(c, c.publicKey)) {
    throw badData(what, 'not a self-signed card issuer certificate');
  }
  return { id: c.subjectId, key: c.publicKey };
}

/** 照合番号B: birth YYMMDD + expiry year YYYY + the 4-digit security code (14 digits). */
export function pinBOf(birthDate: string, expiry: string, securityCode: string): string {
  const b = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(birthDate);
  const y = /^([0-9]{4})/.exec(expiry);
  if (!b || !y || !/^[0-9]{4}$/.test(securityCode)) {
    throw new AccessError('PIN_FORMAT', {
      en: 'PIN B needs the birth date YYYY-MM-DD, the expiry date and the 4-digit security code',
      ja: '照合番号Bには生年月日（YYYY-MM-DD）・有効期限・4桁のセキュリティコードが必要です',
    });
  }
  return `${b[1]!.slice(2)}${b[2]}${b[3]}${y[1]}${securityCode}`;
}

export interface CardAuthenticationOptions {
  /** 照合番号B (14 digits; `pinBOf`). */
  readonly pinB: string;
  /** The card issuer's published certificate (EF 0004 layout), or its public key. */
  readonly issuer: Uint8Array | KeyObject;
  /** The challenge (profile's `INTERNAL_AUTH_CHALLENGE`: 8..64 bytes); default 16 random bytes. */
  readonly challenge?: Uint8Array;
}

export interface CardAuthentication {
  /** The card's key ID (the certificate's subject), upper-case hex. */
  readonly cardKeyId: string;
  readonly challenge: Uint8Array;
  readonly signature: Uint8Array;
}

function notGenuine(why: Text): AccessError {
  return new AccessError('CARD_NOT_GENUINE', {
    en: `the card failed internal authentication: ${why.en}`,
    ja: `カードの内部認証に失敗しました: ${why.ja}`,
  });
}

/**
 * Internal authentication of the card: VERIFY PIN B, read the card's
 * certificate, INTERNAL AUTHENTICATE `00 88 00 90 Lc challenge 00`, check both
 * signatures. Resolves for a genuine card; rejects with `CARD_NOT_GENUINE`,
 * `PIN_WRONG` / `PIN_LOCKED` / `PIN_FORMAT`, or `BAD_DATA`.
 */
export async function authenticateCard(
  session: CardSession,
  o: CardAuthenticationOptions,
): Promise<CardAuthentication> {
  const format = FIXED_PIN.visual_pin_b.format;
  if (!format.pattern.test(o.pinB)) {
    throw new AccessError('PIN_FORMAT', {
      en: `PIN B must be ${format.en}`,
      ja: `照合番号Bは${format.ja}です`,
    });
  }
  const challenge = o.challenge ?? new Uint8Array(randomBytes(16));
  const issuer =
    o.issuer instanceof Uint8Array
      ? issuerKeyFromCertificate(o.issuer)
      : { id: undefined, key: o.issuer };
  await session.selectDf(AID.visual, VISUAL_AP);
  await session.selectEf(PIN_B.fid, PIN_B.what);
  const v = await session.send({ ins: 0x20, p2: 0x80, data: new TextEncoder().encode(o.pinB) });
  if (v.sw !== SW.OK) throw pinBFailure(v.sw);
  await session.selectEf(CERT.fid, CERT.what);
  const cert = parseCvCertificate(await session.readTlvEf(CERT.what));
  if (issuer.id && !bytesEqual(cert.issuerId, issuer.id)) {
    throw notGenuine({
      en: 'its certificate names another issuer',
      ja: '証明書の発行者が違います',
    });
  }
  if (!cvCertificateSignedBy(cert, issuer.key)) {
    throw notGenuine({
      en: "its certificate is not signed by the card issuer's key",
      ja: '証明書がカード発行者の鍵で署名されていません',
    });
  }
  const r = await session.send({ ins: 0x88, p1: 0x00, p2: KEY_P2, data: challenge, ne: 256 });
  if (r.sw !== SW.OK) throw cardError(r.sw, { en: 'internal authentication', ja: '内部認証' });
  let good = false;
  try {
    good = verify(
      'sha256',
      challenge,
      { key: cert.publicKey, padding: constants.RSA_PKCS1_PADDING },
      r.data,
    );
  } catch {
    good = false;
  }
  if (!good) {
    throw notGenuine({
      en: 'its answer to the challenge does not verify with its certificate',
      ja: 'チャレンジへの応答が証明書の鍵で検証できません',
    });
  }
  return { cardKeyId: toHex(cert.subjectId).toUpperCase(), challenge, signature: r.data };
}

function pinBFailure(sw: number): AccessError {
  const left = swTriesLeft(sw);
  if (left === 0 || sw === SW.REFERENCE_DATA_NOT_USABLE) {
    return new AccessError(
      'PIN_LOCKED',
      {
        en: 'PIN B is locked; have it reset at your municipal office',
        ja: '照合番号Bはロックされています。市区町村の窓口で手続きしてください',
      },
      { triesLeft: 0, sw },
    );
  }
  if (left !== undefined) {
    return new AccessError(
      'PIN_WRONG',
      {
        en: `PIN B is wrong (birth date, expiry year or security code): ${left} tries left`,
        ja: `照合番号B（生年月日・有効期限・セキュリティコード）が違います。残り${left}回`,
      },
      { triesLeft: left, sw },
    );
  }
  return cardError(sw, PIN_B.what);
}

/** What the 券面事項確認AP shows of the card face (EF 0002), for the operator's visual check. */
export interface CardFace {
  readonly birthDate: string; // 生年月日 YYYY-MM-DD
  readonly sex: string; // 性別 (ISO 5218)
  readonly expiry: string; // 有効期限 YYYY-MM-DD
  /** 顔写真 (JPEG 2000). */
  readonly photo: Uint8Array;
  /** 氏名 and 住所 as printed: images (PNG), as the card keeps them. */
  readonly nameImage: Uint8Array;
  readonly addressImage: Uint8Array;
}

const FACE = { en: 'card face (券面事項)', ja: '券面事項' };

/** Parses EF 0002 of the 券面事項確認AP (`FF 20 { DF 21 offsets, DF 22 … DF 2A }`). */
export function parseCardFace(ef: Uint8Array): CardFace {
  let items;
  try {
    const root = parseTlv(ef, { strict: false });
    if (root.tag !== 0xff20 || !root.children) throw new Error('no FF 20 template');
    items = root.children;
  } catch (e) {
    throw badData(FACE, (e as Error).message);
  }
  const get = (tag: number, what: string) => {
    const v = items.find((i) => i.tag === tag)?.value;
    if (!v) throw badData(FACE, `no ${what} (${tag.toString(16).toUpperCase()})`);
    return v;
  };
  const date = (tag: number, what: string) => {
    const t = new TextDecoder().decode(get(tag, what));
    if (!/^[0-9]{8}$/.test(t)) throw badData(FACE, `${what} is not YYYYMMDD`);
    return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6)}`;
  };
  return {
    birthDate: date(0xdf22, 'birth date'),
    sex: new TextDecoder().decode(get(0xdf23, 'sex')),
    nameImage: get(0xdf25, 'name image'),
    addressImage: get(0xdf26, 'address image'),
    photo: get(0xdf27, 'face photo'),
    expiry: date(0xdf29, 'expiry'),
  };
}

/**
 * Reads the card face after `authenticateCard` (PIN B verified in the 券面事項確認AP
 * on this session): the birth date, sex and expiry, the face photo and the name
 * and address images. `PIN_REQUIRED` when PIN B was not verified first.
 */
export async function readCardFace(session: CardSession): Promise<CardFace> {
  await session.selectDf(AID.visual, VISUAL_AP);
  await session.selectEf(VISUAL_EF.entries, FACE);
  return parseCardFace(await session.readTlvEf(FACE));
}
