/**
 * The EFs (and PIN objects, which share the FID space) of each fixed application
 * (CARD.md). FIDs 0001–001E double as short file identifiers (SFI, ISO 7816-4
 * §7.2.2): `READ BINARY P1 = 80|SFI` reads without a SELECT EF.
 */

/** 公的個人認証AP */
export const JPKI_EF = {
  signCert: 0x0001, // 署名用電子証明書
  signCaCert: 0x0002, // 署名用CA証明書
  token: 0x0006, // トークン情報
  authCert: 0x000a, // 利用者証明用電子証明書
  authCaCert: 0x000b, // 利用者証明用CA証明書
  authKey: 0x0017, // 利用者証明用秘密鍵
  authPin: 0x0018, // 利用者証明用暗証番号
  signKey: 0x001a, // 署名用秘密鍵
  signPin: 0x001b, // 署名用暗証番号
} as const;

/** The JPKI token info (EF 0006): this label, space-padded to 32 bytes. */
export const JPKI_TOKEN_LABEL = 'JPKIAPICCTOKEN2';
export const JPKI_TOKEN_LENGTH = 32;

/** 券面事項入力補助AP */
export const TEXT_EF = {
  myNumber: 0x0001, // 個人番号
  basicInfo: 0x0002, // 基本4情報
  signature: 0x0003, // ハッシュ値と署名
  certificate: 0x0004, // 券面AP用証明書 (card-verifiable)
  apInfo: 0x0005, // AP基本情報
  pin: 0x0011, // 券面事項入力補助用暗証番号
  pinA: 0x0014, // 照合番号A
  pinB: 0x0015, // 照合番号B
} as const;

/** 券面事項確認AP */
export const VISUAL_EF = {
  entries: 0x0002, // 券面事項
  cardAuthCert: 0x0003, // カード認証用証明書 (card-verifiable, free to read)
  cardAuthKey: 0x0010, // カード認証用秘密鍵 (never read; INTERNAL AUTHENTICATE)
  pinB: 0x0012, // 照合番号B
  pinA: 0x0013, // 照合番号A
} as const;

/** 住基AP (our layout: the real one is not public) */
export const JUKI_EF = {
  residentCode: 0x0001, // 住民票コード
  pin: 0x0011, // 住民基本台帳用暗証番号
} as const;

/**
 * 共通カードAP (our layout): what identifies the card, free to read.
 * - serial (カード識別番号): 16 random bytes
 * - municipality (市区町村コード where the holder is registered): 6 ASCII digits incl. check digit
 * - expiry (有効期限): 8 ASCII digits YYYYMMDD
 */
export const COMMON_EF = {
  serial: 0x0001,
  municipality: 0x0002,
  expiry: 0x0003,
} as const;

/** Bytes of each 共通カードAP EF. */
export const COMMON_EF_LENGTH = { serial: 16, municipality: 6, expiry: 8 } as const;
