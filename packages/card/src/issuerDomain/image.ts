/**
 * Persistent state of the card issuer's security domain (カード発行者SD): its
 * key set, diversified for this card from the issuer master keys, and the count
 * of failed authentications. Optional in the card image: card files made before
 * it have no issuer SD, and no issuer operation reaches them.
 */
import { z } from 'zod';
import {
  ISSUER_DIVERSIFY_CODE,
  ISSUER_KEY_VERSION,
  TEST_ISSUER_MASTER_KEYS,
  diversifyScp03Keys,
  keyDiversificationData,
  toHex,
  type IssuerMasterKeys,
} from '@myna-ap/apdu';
import { ISSUER_SD_AID, SD_AUTH_TRIES } from '@myna-ap/profile';
import { hexSchema } from '../schemas.ts';

type Hex = string;

export interface IssuerDomainImage {
  readonly aid: Hex;
  readonly keyVersion: number;
  /** Key diversification data (10 bytes): SHA-256(card serial)[0..9], as the areas'. */
  readonly kdd: Hex;
  /** This card's static keys, diversified from the issuer masters with code 00. */
  readonly keys: { readonly enc: Hex; readonly mac: Hex; readonly dek: Hex };
  /** Failed EXTERNAL AUTHENTICATEs since the last success (absent = 0). */
  readonly failedAuthentications?: number;
}

const key16 = hexSchema.length(32);
export const issuerDomainSchema = z.object({
  aid: hexSchema.min(10).max(32),
  keyVersion: z.number().int().min(1).max(0x7f),
  kdd: hexSchema.length(20),
  keys: z.object({ enc: key16, mac: key16, dek: key16 }),
  failedAuthentications: z.number().int().min(0).max(SD_AUTH_TRIES).optional(),
});

export interface NewIssuerDomainOptions {
  /** Card serial from the 共通カードAP. */
  readonly cardId: Uint8Array;
  /** Issuer master keys; default the published TEST keys (never for real cards). */
  readonly masterKeys?: IssuerMasterKeys;
}

export function newIssuerDomain(opts: NewIssuerDomainOptions): IssuerDomainImage {
  const kdd = keyDiversificationData(opts.cardId);
  const k = diversifyScp03Keys(
    opts.masterKeys ?? TEST_ISSUER_MASTER_KEYS,
    kdd,
    ISSUER_DIVERSIFY_CODE,
  );
  return {
    aid: toHex(ISSUER_SD_AID),
    keyVersion: ISSUER_KEY_VERSION,
    kdd: toHex(kdd),
    keys: { enc: toHex(k.enc), mac: toHex(k.mac), dek: toHex(k.dek) },
  };
}
