/** DF names (AIDs) of the card's fixed applications (CARD.md). */
import { aid } from '@myna-ap/apdu';

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
