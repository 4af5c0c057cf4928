/**
 * Making a new card (カード発行): checks every option, generates the two JPKI key
 * pairs (or takes pre-generated ones), has the certificates issued, writes every
 * EF and PIN object, and returns the card with the secrets a newcomer needs.
 */
import { createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { toHex, type IssuerMasterKeys } from '@myna-ap/apdu';
import {
  COMMON_EF,
  FOUR_DIGITS,
  JPKI_EF,
  JUKI_EF,
  SIGN_PASSWORD,
  TEXT_EF,
  VISUAL_EF,
  cardExpiryDate,
  isValidMunicipalityCode,
  isValidMyNumber,
  japanDate,
  parseIsoDate,
} from '@myna-ap/profile';
import { newIssuerDomain } from './issuerDomain/image.ts';
import { JPKI_SPEC, JPKI_TOKEN } from './apps/jpki.ts';
import { JUKI_SPEC } from './apps/juki.ts';
import { TEXT_SPEC } from './apps/text.ts';
import { VISUAL_SPEC } from './apps/visual.ts';
import { Card } from './card.ts';
import type { DfSpec } from './fs/spec.ts';
import { CardOptionError } from './errors.ts';
import {
  CARD_IMAGE_FORMAT,
  CARD_IMAGE_VERSION,
  fidKey,
  newPin,
  type ApImage,
  type CardImage,
  type PinImage,
} from './image.ts';
import { newCardIssuer, type CardIssuer } from './issuer.ts';
import { DEFAULT_FACE_JP2 } from './layout/faceJp2.ts';
import { randomMyNumber, randomResidentCode, randomSecurityCode } from './layout/numbers.ts';
import {
  basicInfoEf,
  cvCertificate,
  issuerCvCertificateEf,
  keyId,
  myNumberEf,
  textApInfoEf,
  textSignatureEf,
} from './layout/textAp.ts';
import { visualEntriesEf } from './layout/visualAp.ts';
import { newFreeAreas, type AreaMasterKeys } from './freeArea/keys.ts';

/** The card holder (基本4情報), as @myna-ap/pki's HolderInfo. */
export interface CardHolder {
  readonly name: string; // 氏名
  readonly address: string; // 住所
  readonly birthDate: string; // 生年月日 YYYY-MM-DD
  readonly sex: '1' | '2' | '9'; // 性別 (ISO 5218)
  readonly nameAlt?: string; // 代替文字の氏名
  readonly addressAlt?: string; // 代替文字の住所
}

/** DER certificates for the JPKI AP (as @myna-ap/pki's CardCertificates). */
export interface CardCertificates {
  readonly auth: Uint8Array;
  readonly sign: Uint8Array;
  readonly authCa: Uint8Array;
  readonly signCa: Uint8Array;
}

/** What issues the JPKI certificates: `JpkiIssuer` from @myna-ap/pki fits. */
export interface CertificateIssuer {
  issueCardCertificates(req: {
    authPublicKey: KeyObject;
    signPublicKey: KeyObject;
    holder: CardHolder;
    notBefore?: Date;
    /** The card's serial (hex), so the issuer links its certificates to the card. */
    cardId?: string;
    /** A renewal or reissue (更新・再交付): the card this one replaces (新旧紐付け). */
    replaces?: CardReplaced;
  }): Promise<CardCertificates>;
}

/** The card a renewed or reissued one replaces: its serial and its two certificates' serials (hex). */
export interface CardReplaced {
  readonly card: string;
  readonly auth: string;
  readonly sign: string;
}

/** The two JPKI private keys and the card-authentication key (RSA-2048). */
export interface CardKeys {
  readonly auth: KeyObject; // 利用者証明用
  readonly sign: KeyObject; // 署名用
  /** 券面事項確認AP's card-authentication key (カード認証用); generated when absent. */
  readonly cardAuth?: KeyObject;
}

export interface CreateCardOptions {
  readonly holder: CardHolder;
  readonly certificates: CertificateIssuer;
  /** 個人番号; default: random with a valid check digit. */
  readonly myNumber?: string;
  /** The 4-digit PIN for JPKI auth, 券面事項入力補助 and 住基; default `1234`. */
  readonly pin?: string;
  /** 署名用暗証番号; default `ABC123`. */
  readonly signPassword?: string;
  /** 市区町村コード (6 digits with check digit); default `131016` 千代田区. */
  readonly municipality?: string;
  /** Card expiry YYYY-MM-DD; default the holder's birthday 10 years on (5 if under 18). */
  readonly expiry?: string;
  /** セキュリティコード (4 digits); default random. */
  readonly securityCode?: string;
  /** 住民票コード (11 digits); default random. */
  readonly residentCode?: string;
  /** Face photo (JPEG 2000); default a drawn silhouette. */
  readonly face?: Uint8Array;
  /** Card serial, 8 to 16 bytes; default 16 random bytes. */
  readonly serial?: Uint8Array;
  /** Free-area master keys; default the published TEST keys (see src/freeArea/keys.ts). */
  readonly areaMasterKeys?: AreaMasterKeys;
  /** Card issuer master keys of the issuer SD; default the published TEST keys (@myna-ap/apdu). */
  readonly issuerMasterKeys?: IssuerMasterKeys;
  /** Pre-generated JPKI keys (tests reuse them: RSA key generation is slow). */
  readonly keys?: CardKeys;
  /** Signs the 券面 data; default a new in-memory issuer (see issuer.ts). */
  readonly cardIssuer?: CardIssuer;
  readonly now?: Date;
  /** 更新・再交付: the card this one replaces; the issuer records the link old → new. */
  readonly replaces?: CardReplaced;
}

/** Everything a person needs to use the card; print once, never store. */
export interface CardSecrets {
  readonly pin: string;
  readonly signPassword: string;
  readonly myNumber: string; // also 照合番号A
  readonly pinB: string; // 照合番号B
  readonly securityCode: string;
  readonly residentCode: string;
}

export interface CreatedCard {
  readonly card: Card;
  readonly image: CardImage;
  readonly secrets: CardSecrets;
  /** Names of the options that took their default value. */
  readonly defaulted: readonly string[];
}

export const DEFAULT_PIN = '1234';
export const DEFAULT_SIGN_PASSWORD = 'ABC123';
export const DEFAULT_MUNICIPALITY = '131016';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Three fresh RSA-2048 key pairs, generated in parallel off the main thread. */
export async function generateCardKeys(): Promise<Required<CardKeys>> {
  const [a, s, c] = await Promise.all([
    generateKeyPairAsync('rsa', { modulusLength: 2048 }),
    generateKeyPairAsync('rsa', { modulusLength: 2048 }),
    generateKeyPairAsync('rsa', { modulusLength: 2048 }),
  ]);
  return { auth: a.privateKey, sign: s.privateKey, cardAuth: c.privateKey };
}

function fail(
  code: ConstructorParameters<typeof CardOptionError>[0],
  en: string,
  ja: string,
): never {
  throw new CardOptionError(code, { en, ja });
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

function checkText(
  code: 'BAD_NAME' | 'BAD_ADDRESS',
  what: [string, string],
  s: string,
  max: number,
): void {
  // eslint-disable-next-line no-control-regex
  if (s.trim() === '' || /[\u0000-\u001f\u007f]/.test(s) || [...s].length > max) {
    fail(
      code,
      `${what[0]} must be 1 to ${max} characters without control characters`,
      `${what[1]}は制御文字を含まない1～${max}文字で指定してください`,
    );
  }
}

/**
 * Default expiry: the 10th birthday after the day of issue, the 5th for a holder
 * under 18 that day (@myna-ap/profile's `cardExpiryDate`; `now` as a calendar day in Japan).
 */
export function defaultExpiry(birth: Date, now: Date): Date {
  return parseIsoDate(cardExpiryDate(isoDay(birth), japanDate(now)))!;
}

function checkKey(k: KeyObject, which: string): KeyObject {
  if (
    k.type !== 'private' ||
    k.asymmetricKeyType !== 'rsa' ||
    k.asymmetricKeyDetails?.modulusLength !== 2048
  ) {
    fail(
      'BAD_KEY',
      `the ${which} key must be an RSA-2048 private key`,
      `${which} 鍵は RSA-2048 の秘密鍵が必要です`,
    );
  }
  return k;
}

const ascii = (s: string) => new TextEncoder().encode(s);

/** Validates the options and fills in defaults (no keys, no I/O). */
export function resolveCardOptions(opts: Omit<CreateCardOptions, 'certificates'>) {
  const now = opts.now ?? new Date();
  const defaulted: string[] = [];
  const h = opts.holder;
  checkText('BAD_NAME', ['the name', '氏名'], h.name, 64);
  checkText('BAD_ADDRESS', ['the address', '住所'], h.address, 128);
  const birth = parseIsoDate(h.birthDate);
  if (!birth || birth.getUTCFullYear() < 1900 || birth > now) {
    fail(
      'BAD_BIRTH_DATE',
      `birth date "${h.birthDate}" must be a real date YYYY-MM-DD between 1900 and today`,
      `生年月日「${h.birthDate}」は 1900年以降・今日以前の YYYY-MM-DD で指定してください`,
    );
  }
  if (h.sex !== '1' && h.sex !== '2' && h.sex !== '9') {
    fail(
      'BAD_SEX',
      `sex must be 1 (male), 2 (female) or 9 (not applicable)`,
      `性別は 1（男）・2（女）・9（適用不能）のいずれかです`,
    );
  }
  const pick = <T>(name: string, v: T | undefined, d: () => T): T => {
    if (v !== undefined) return v;
    defaulted.push(name);
    return d();
  };
  const myNumber = pick('myNumber', opts.myNumber, randomMyNumber);
  if (!isValidMyNumber(myNumber)) {
    fail(
      'BAD_MY_NUMBER',
      `My Number must be 12 digits with a valid check digit`,
      `個人番号は検査用数字の正しい12桁の数字です`,
    );
  }
  const pin = pick('pin', opts.pin, () => DEFAULT_PIN);
  if (!FOUR_DIGITS.pattern.test(pin))
    fail('BAD_PIN', `the PIN must be ${FOUR_DIGITS.en}`, `暗証番号は${FOUR_DIGITS.ja}です`);
  const signPassword = pick('signPassword', opts.signPassword, () => DEFAULT_SIGN_PASSWORD);
  if (!SIGN_PASSWORD.pattern.test(signPassword)) {
    fail(
      'BAD_SIGN_PASSWORD',
      `the sign password must be ${SIGN_PASSWORD.en}`,
      `署名用暗証番号は${SIGN_PASSWORD.ja}です`,
    );
  }
  const municipality = pick('municipality', opts.municipality, () => DEFAULT_MUNICIPALITY);
  if (!isValidMunicipalityCode(municipality)) {
    fail(
      'BAD_MUNICIPALITY',
      `municipality code "${municipality}" must be 6 digits with a valid check digit (e.g. 131016 Chiyoda)`,
      `市区町村コード「${municipality}」は検査数字付きの6桁です（例: 131016 千代田区）`,
    );
  }
  const expiryText = pick('expiry', opts.expiry, () => isoDay(defaultExpiry(birth, now)));
  const expiry = parseIsoDate(expiryText);
  if (!expiry || expiry <= now) {
    fail(
      'BAD_EXPIRY',
      `expiry "${expiryText}" must be a future date YYYY-MM-DD`,
      `有効期限「${expiryText}」は未来の日付 YYYY-MM-DD で指定してください`,
    );
  }
  const securityCode = pick('securityCode', opts.securityCode, randomSecurityCode);
  if (!/^[0-9]{4}$/.test(securityCode))
    fail(
      'BAD_SECURITY_CODE',
      'the security code must be 4 digits',
      'セキュリティコードは数字4桁です',
    );
  const residentCode = pick('residentCode', opts.residentCode, randomResidentCode);
  if (!/^[0-9]{11}$/.test(residentCode))
    fail(
      'BAD_RESIDENT_CODE',
      'the resident record code must be 11 digits',
      '住民票コードは数字11桁です',
    );
  const serial = pick('serial', opts.serial, () => new Uint8Array(randomBytes(16)));
  // Said, so a caller can warn: TEST keys open any card made with them.
  if (opts.areaMasterKeys === undefined) defaulted.push('areaMasterKeys');
  if (opts.issuerMasterKeys === undefined) defaulted.push('issuerMasterKeys');
  if (serial.length < 8 || serial.length > 16)
    fail('BAD_KEY', 'the card serial must be 8 to 16 bytes', 'カード識別番号は8～16バイトです');
  // The 4 info EF has a hard size limit: refuse now, before any key work.
  basicInfoEf({ name: h.name, address: h.address, birthDate: h.birthDate, sex: h.sex });
  const pinB =
    h.birthDate.slice(2, 4) +
    h.birthDate.slice(5, 7) +
    h.birthDate.slice(8, 10) +
    expiryText.slice(0, 4) +
    securityCode;
  return {
    now,
    holder: h,
    myNumber,
    pin,
    signPassword,
    municipality,
    expiry: expiryText,
    securityCode,
    residentCode,
    serial,
    pinB,
    defaulted,
  };
}

function ap(files: Record<number, Uint8Array>, pins: Record<number, PinImage>): ApImage {
  const f: Record<string, string> = {};
  for (const [fid, b] of Object.entries(files)) f[fidKey(Number(fid))] = toHex(b);
  const p: Record<string, PinImage> = {};
  for (const [fid, v] of Object.entries(pins)) p[fidKey(Number(fid))] = v;
  return { files: f, pins: p };
}

/** A new PIN object for `value` with the tries its DF's spec allows. */
function pinFor(spec: DfSpec, fid: number, value: string): PinImage {
  const p = spec.pins.find((x) => x.fid === fid);
  if (!p) throw new Error(`no PIN ${fidKey(fid)} in ${spec.label}`);
  return newPin(ascii(value), p.maxTries);
}

/** Makes a new card. Throws `CardOptionError` on a bad option, before any key work. */
export async function createCard(opts: CreateCardOptions): Promise<CreatedCard> {
  const o = resolveCardOptions(opts);
  const keys = opts.keys ?? (await generateCardKeys());
  checkKey(keys.auth, 'auth');
  checkKey(keys.sign, 'sign');
  const cardAuth = checkKey(
    keys.cardAuth ?? (await generateKeyPairAsync('rsa', { modulusLength: 2048 })).privateKey,
    'card authentication',
  );
  const issuer = opts.cardIssuer ?? newCardIssuer();
  const certs = await opts.certificates.issueCardCertificates({
    authPublicKey: createPublicKey(keys.auth),
    signPublicKey: createPublicKey(keys.sign),
    holder: o.holder,
    notBefore: o.now,
    cardId: toHex(o.serial).toUpperCase(),
    ...(opts.replaces ? { replaces: opts.replaces } : {}),
  });
  const pkcs8 = (k: KeyObject) => new Uint8Array(k.export({ format: 'der', type: 'pkcs8' }));
  const info = {
    name: o.holder.name,
    address: o.holder.address,
    birthDate: o.holder.birthDate,
    sex: o.holder.sex,
  };
  const myNumberFile = myNumberEf(o.myNumber);
  const basicInfoFile = basicInfoEf(info);

  const image: CardImage = {
    format: CARD_IMAGE_FORMAT,
    version: CARD_IMAGE_VERSION,
    createdAt: o.now.toISOString(),
    jpki: ap(
      {
        [JPKI_EF.signCert]: certs.sign,
        [JPKI_EF.signCaCert]: certs.signCa,
        [JPKI_EF.token]: JPKI_TOKEN,
        [JPKI_EF.authCert]: certs.auth,
        [JPKI_EF.authCaCert]: certs.authCa,
        [JPKI_EF.authKey]: pkcs8(keys.auth),
        [JPKI_EF.signKey]: pkcs8(keys.sign),
      },
      {
        [JPKI_EF.authPin]: pinFor(JPKI_SPEC, JPKI_EF.authPin, o.pin),
        [JPKI_EF.signPin]: pinFor(JPKI_SPEC, JPKI_EF.signPin, o.signPassword),
      },
    ),
    text: ap(
      {
        [TEXT_EF.myNumber]: myNumberFile,
        [TEXT_EF.basicInfo]: basicInfoFile,
        [TEXT_EF.signature]: textSignatureEf(myNumberFile, basicInfoFile, issuer),
        [TEXT_EF.certificate]: issuerCvCertificateEf(issuer),
        [TEXT_EF.apInfo]: textApInfoEf(o.serial),
      },
      {
        [TEXT_EF.pin]: pinFor(TEXT_SPEC, TEXT_EF.pin, o.pin),
        [TEXT_EF.pinA]: pinFor(TEXT_SPEC, TEXT_EF.pinA, o.myNumber),
        [TEXT_EF.pinB]: pinFor(TEXT_SPEC, TEXT_EF.pinB, o.pinB),
      },
    ),
    visual: ap(
      {
        [VISUAL_EF.entries]: visualEntriesEf(
          {
            ...info,
            expiry: o.expiry,
            securityCode: o.securityCode,
            face: opts.face ?? DEFAULT_FACE_JP2,
          },
          issuer,
        ),
        // 内部認証: the key never leaves the card; the issuer certifies its public part.
        [VISUAL_EF.cardAuthCert]: cvCertificate(
          issuer,
          keyId(createPublicKey(cardAuth)),
          createPublicKey(cardAuth),
        ),
        [VISUAL_EF.cardAuthKey]: pkcs8(cardAuth),
      },
      {
        [VISUAL_EF.pinA]: pinFor(VISUAL_SPEC, VISUAL_EF.pinA, o.myNumber),
        [VISUAL_EF.pinB]: pinFor(VISUAL_SPEC, VISUAL_EF.pinB, o.pinB),
      },
    ),
    juki: ap(
      { [JUKI_EF.residentCode]: ascii(o.residentCode) },
      { [JUKI_EF.pin]: pinFor(JUKI_SPEC, JUKI_EF.pin, o.pin) },
    ),
    common: ap(
      {
        [COMMON_EF.serial]: o.serial,
        [COMMON_EF.municipality]: ascii(o.municipality),
        [COMMON_EF.expiry]: ascii(o.expiry.replaceAll('-', '')),
      },
      {},
    ),
    // 地域住民向け領域 / 拡張利用領域: keys diversified from the area masters with the serial.
    freeAreas: newFreeAreas({
      cardId: o.serial,
      ...(opts.areaMasterKeys ? { masterKeys: opts.areaMasterKeys } : {}),
    }),
    // カード発行者SD: PIN reset, 券面 rewrite, sign certificate replacement at the counter.
    issuerDomain: newIssuerDomain({
      cardId: o.serial,
      ...(opts.issuerMasterKeys ? { masterKeys: opts.issuerMasterKeys } : {}),
    }),
  };
  const card = Card.fromImage(image);
  return {
    card,
    image,
    secrets: {
      pin: o.pin,
      signPassword: o.signPassword,
      myNumber: o.myNumber,
      pinB: o.pinB,
      securityCode: o.securityCode,
      residentCode: o.residentCode,
    },
    defaulted: o.defaulted,
  };
}
