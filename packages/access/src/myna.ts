/**
 * Host-side client for the My Number Card's public applications over any
 * CardChannel (in-process emulator, PC/SC reader, remote relay):
 * 公的個人認証AP (JPKI: certificates, PINs, signatures) and the 4 basic info
 * (基本4情報) from 券面事項入力補助AP. Layouts: ../shared/CARD.md.
 */
import { SW, parseTlv, swTriesLeft } from '@myna-ap/apdu';
import {
  AID,
  FIXED_AP_LABEL,
  FIXED_PIN,
  JPKI_EF,
  JPKI_TOKEN_LENGTH,
  TEXT_EF,
  type FixedPin,
  type PinFormat,
} from '@myna-ap/profile';
import type { CardChannel } from '@myna-ap/transport';
import type { Text } from '@myna-ap/text';
import { AccessError, cardError } from './errors.ts';
import { CardSession } from './session.ts';
import { digestInfoOf, type HashName } from './digestInfo.ts';
import { parseBasicInfo, type BasicInfo } from './basicInfo.ts';

const JPKI_AP = FIXED_AP_LABEL.jpki;
const TEXT_AP = FIXED_AP_LABEL.text;

/** The certificates of the JPKI AP. */
export type CertificateKind = 'auth' | 'sign' | 'authCa' | 'signCa';
/** The two JPKI keys: 利用者証明用 (auth) and 署名用 (sign). */
export type KeyKind = 'auth' | 'sign';
/** PINs a client may verify: the two JPKI ones and 券面事項入力補助用暗証番号. */
export type PinKind = 'auth' | 'sign' | 'text';

const CERT_EF: Record<CertificateKind, { fid: number; what: Text }> = {
  auth: { fid: JPKI_EF.authCert, what: { en: 'auth certificate', ja: '利用者証明用電子証明書' } },
  sign: { fid: JPKI_EF.signCert, what: { en: 'sign certificate', ja: '署名用電子証明書' } },
  authCa: {
    fid: JPKI_EF.authCaCert,
    what: { en: 'auth CA certificate', ja: '利用者証明用CA証明書' },
  },
  signCa: { fid: JPKI_EF.signCaCert, what: { en: 'sign CA certificate', ja: '署名用CA証明書' } },
};

interface PinDef {
  readonly ap: 'jpki' | 'text';
  readonly fid: number;
  readonly what: Text;
  readonly format: PinFormat;
}

/** The profile's PIN, named as this client's messages name it. */
function pinDef(p: FixedPin, what: Text): PinDef {
  return { ap: p.ap === 'jpki' ? 'jpki' : 'text', fid: p.ref, what, format: p.format };
}

const PIN: Record<PinKind, PinDef> = {
  auth: pinDef(FIXED_PIN.jpki_auth, { en: 'auth PIN', ja: '利用者証明用電子証明書暗証番号' }),
  sign: pinDef(FIXED_PIN.jpki_sign, { en: 'sign password', ja: '署名用電子証明書暗証番号' }),
  text: pinDef(FIXED_PIN.text, { en: 'text AP PIN', ja: '券面事項入力補助用暗証番号' }),
};

const KEY_EF: Record<KeyKind, { fid: number; pin: PinKind; what: Text }> = {
  auth: { fid: JPKI_EF.authKey, pin: 'auth', what: { en: 'auth key', ja: '利用者証明用秘密鍵' } },
  sign: { fid: JPKI_EF.signKey, pin: 'sign', what: { en: 'sign key', ja: '署名用秘密鍵' } },
};

/** What to sign: a DER DigestInfo built by the caller, or data to hash here. */
export type SignInput = Uint8Array | { readonly hash: HashName; readonly data: Uint8Array };

export class MynaClient {
  readonly session: CardSession;

  constructor(channel: CardChannel) {
    this.session = new CardSession(channel);
  }

  /** Command APDUs sent so far (for benchmarks and traces). */
  get apduCount(): number {
    return this.session.apduCount;
  }

  /** A JPKI certificate, DER. The sign certificate needs `verifyPin('sign', …)` first. */
  async readCertificate(kind: CertificateKind): Promise<Uint8Array> {
    const ef = CERT_EF[kind];
    await this.session.selectDf(AID.jpki, JPKI_AP);
    await this.session.selectEf(ef.fid, ef.what);
    return this.session.readTlvEf(ef.what);
  }

  /** The JPKI token info (EF 0006), trailing spaces removed, e.g. `JPKIAPICCTOKEN2`. */
  async readToken(): Promise<string> {
    const what = { en: 'token info', ja: 'トークン情報' };
    await this.session.selectDf(AID.jpki, JPKI_AP);
    await this.session.selectEf(JPKI_EF.token, what);
    const b = await this.session.readFixedEf(JPKI_TOKEN_LENGTH, what);
    return new TextDecoder('latin1').decode(b).replace(/[ \0]+$/, '');
  }

  /**
   * Verifies a PIN. Resolves on success; rejects with `PIN_WRONG` (and
   * `triesLeft`), `PIN_LOCKED`, or `PIN_FORMAT` (then nothing reached the card,
   * so no try was spent).
   */
  async verifyPin(kind: PinKind, pin: string): Promise<void> {
    const def = PIN[kind];
    if (!def.format.pattern.test(pin)) {
      throw new AccessError('PIN_FORMAT', {
        en: `${def.what.en} must be ${def.format.en}`,
        ja: `${def.what.ja}は${def.format.ja}で入力してください`,
      });
    }
    await this.#selectPin(def);
    const r = await this.session.send({ ins: 0x20, p2: 0x80, data: new TextEncoder().encode(pin) });
    if (r.sw === SW.OK) return;
    const left = swTriesLeft(r.sw);
    if (left === 0 || r.sw === SW.REFERENCE_DATA_NOT_USABLE || r.sw === SW.AUTH_METHOD_BLOCKED) {
      throw locked(def, r.sw);
    }
    if (left !== undefined) {
      throw new AccessError(
        'PIN_WRONG',
        {
          en: `${def.what.en} is wrong: ${left} ${left === 1 ? 'try' : 'tries'} left before it locks`,
          ja: `${def.what.ja}が違います。あと${left}回間違えるとロックされます`,
        },
        { triesLeft: left, sw: r.sw },
      );
    }
    throw cardError(r.sw, def.what);
  }

  /** Tries left for a PIN (0 = locked), asked with an empty VERIFY: spends no try. */
  async pinTriesLeft(kind: PinKind): Promise<number> {
    const def = PIN[kind];
    await this.#selectPin(def);
    const r = await this.session.send({ ins: 0x20, p2: 0x80 });
    const left = swTriesLeft(r.sw);
    if (left !== undefined) return left;
    if (r.sw === SW.REFERENCE_DATA_NOT_USABLE || r.sw === SW.AUTH_METHOD_BLOCKED) return 0;
    throw cardError(r.sw, def.what);
  }

  /**
   * Signs with a JPKI key (PKCS#1 v1.5, RSA-2048): the card pads the DigestInfo
   * and applies the key. Verify the key's PIN first (`verifyPin`).
   */
  async sign(kind: KeyKind, input: SignInput): Promise<Uint8Array> {
    const key = KEY_EF[kind];
    const di = input instanceof Uint8Array ? input : digestInfoOf(input.hash, input.data);
    await this.session.selectDf(AID.jpki, JPKI_AP);
    await this.session.selectEf(key.fid, key.what);
    const r = await this.session.send({
      cla: 0x80,
      ins: 0x2a,
      p1: 0x00,
      p2: 0x80,
      data: di,
      ne: 256,
    });
    if (r.sw === SW.OK) return r.data;
    if (r.sw === SW.SECURITY_STATUS_NOT_SATISFIED) {
      throw new AccessError(
        'PIN_REQUIRED',
        {
          en: `${key.what.en}: verify the ${PIN[key.pin].what.en} first`,
          ja: `${key.what.ja}: 先に${PIN[key.pin].what.ja}を照合してください`,
        },
        { sw: r.sw },
      );
    }
    throw cardError(r.sw, key.what);
  }

  /**
   * The 4 basic info (基本4情報) from 券面事項入力補助AP EF 0002, after verifying
   * the 券面事項入力補助用暗証番号 (on issued cards the same 4 digits as the auth PIN).
   */
  async readBasicInfo(pin: string): Promise<BasicInfo> {
    await this.verifyPin('text', pin);
    const what = { en: 'basic info', ja: '基本4情報' };
    await this.session.selectEf(TEXT_EF.basicInfo, what);
    return parseBasicInfo(await this.session.readTlvEf(what));
  }

  /**
   * The SHA-256 of the My Number as the card keeps it (券面事項入力補助AP EF 0003,
   * DF 31), after the 券面事項入力補助用暗証番号: what the issuer re-signs after
   * 記載事項変更, so the counter never reads the My Number itself.
   */
  async readMyNumberHash(pin: string): Promise<Uint8Array> {
    await this.verifyPin('text', pin);
    const what = { en: 'hashes and signature', ja: 'ハッシュ値と署名' };
    await this.session.selectEf(TEXT_EF.signature, what);
    const ef = await this.session.readTlvEf(what);
    let hash: Uint8Array | undefined;
    try {
      hash = parseTlv(ef).children?.find((c) => c.tag === 0xdf31)?.value;
    } catch {
      hash = undefined;
    }
    if (hash?.length !== 32) {
      throw new AccessError('BAD_DATA', {
        en: `${what.en}: no 32-byte My Number hash (DF 31)`,
        ja: `${what.ja}: 個人番号のハッシュ値（DF 31, 32バイト）がありません`,
      });
    }
    return hash;
  }

  async #selectPin(def: PinDef): Promise<void> {
    await this.session.selectDf(
      def.ap === 'jpki' ? AID.jpki : AID.text,
      def.ap === 'jpki' ? JPKI_AP : TEXT_AP,
    );
    await this.session.selectEf(def.fid, def.what);
  }
}

function locked(def: PinDef, sw: number): AccessError {
  return new AccessError(
    'PIN_LOCKED',
    {
      en: `${def.what.en} is locked; have it reset at your municipal office`,
      ja: `${def.what.ja}はロックされています。市区町村の窓口で初期化してください`,
    },
    { triesLeft: 0, sw },
  );
}
