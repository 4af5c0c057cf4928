/**
 * DF names (AIDs) of the card's fixed applications (CARD.md, "Applications"), and
 * the free areas' security domains (defined in @myna-ap/apdu, whose GlobalPlatform
 * commands address them; named here too so a host finds every AID in one place).
 */
import {
  EXTENDED_SD_AID,
  ISSUER_SD_AID as ISSUER_SD_AID_BYTES,
  LOCAL_SD_AID,
  aid,
  type Aid,
  type AreaName,
} from '@myna-ap/apdu';
import type { Text } from '@myna-ap/text';

export const AID = {
  /** 公的個人認証AP (JPKI) */
  jpki: aid('D392F000260100000001'),
  /** 券面事項入力補助AP */
  text: aid('D3921000310001010408'),
  /** 券面事項確認AP */
  visual: aid('D3921000310001010402'),
  /** 住基AP */
  juki: aid('D3921000310001010401'),
  /** 共通カードAP */
  common: aid('D3921000310001010100'),
} as const;

/** The fixed applications by name, in the order the card lists them. */
export type FixedApName = keyof typeof AID;
export const FIXED_AP_NAMES: readonly FixedApName[] = ['jpki', 'text', 'visual', 'juki', 'common'];

/** What to call each fixed application in a message. */
export const FIXED_AP_LABEL: Readonly<Record<FixedApName, Text>> = {
  jpki: { en: 'the JPKI application', ja: '公的個人認証AP' },
  text: { en: 'the text application', ja: '券面事項入力補助AP' },
  visual: { en: 'the visual application', ja: '券面事項確認AP' },
  juki: { en: 'the juki application', ja: '住基AP' },
  common: { en: 'the card common application', ja: '共通カードAP' },
};

/** The security domain (セキュリティドメイン) of each free area. */
export const SD_AID: Readonly<Record<AreaName, Aid>> = {
  local: aid(LOCAL_SD_AID), // 地域住民向け領域
  extended: aid(EXTENDED_SD_AID), // 拡張利用領域
};

/**
 * The card issuer's security domain (カード発行者セキュリティドメイン): PIN reset,
 * 券面 rewrite and sign key replacement at the counter, under the issuer keys.
 */
export const ISSUER_SD_AID: Aid = aid(ISSUER_SD_AID_BYTES);
