/**
 * Persistent state of the two free areas (空き領域) as plain JSON: the area keys
 * (already diversified for this card), the capacity, and every installed card AP.
 * Bytes are lower-case hex. Changed only by one `card.update` per operation.
 */
import type { Text } from '@myna-ap/text';
import { z } from 'zod';
import type { CARD_IMAGE_ERRORS } from '../errors.ts';
import { hexSchema, pinSchema } from '../schemas.ts';
import type { AreaName, CardApType, EfAccess } from '@myna-ap/apdu';
import { AID_LENGTH, SD_AUTH_TRIES, cardApFootprint } from '@myna-ap/profile';
import type { PinImage } from '../image.ts';

type Hex = string;

export interface CardApEfImage {
  /** FID, 4 upper-case hex digits. */
  readonly fid: string;
  readonly size: number;
  readonly access: EfAccess;
  /** Content, exactly `size` bytes. */
  readonly data: Hex;
}

/** One installed card AP (カードAP). */
export interface CardApImage {
  readonly aid: Hex;
  readonly type: CardApType;
  /** Bytes reserved for its content (user ID included). */
  readonly size: number;
  readonly providerId: Hex; // サービス提供者ID
  readonly userId: Hex; // 利用者ID (13 bytes)
  /** Card AP keys for mutual authentication (A, D, custom with protected EFs). */
  readonly keys?: { readonly enc: Hex; readonly mac: Hex };
  readonly pin?: PinImage;
  /** Types C and D: the binary EF. */
  readonly binary?: Hex;
  /** Type A: records, record 1 being the user ID. */
  readonly records?: readonly Hex[];
  /** Custom: the provider's EFs, the first beginning with the user ID. */
  readonly efs?: readonly CardApEfImage[];
}

/** One free area: a security domain with its keys and card APs. */
export interface FreeAreaImage {
  /** AID of the area's security domain. */
  readonly aid: Hex;
  /** Bytes of the area (容量). */
  readonly capacity: number;
  /** Key version number of the SD key set. */
  readonly keyVersion: number;
  /** Key diversification data (10 bytes) the keys were diversified with. */
  readonly kdd: Hex;
  /** This card's static keys (diversified from the area master keys). */
  readonly keys: { readonly enc: Hex; readonly mac: Hex; readonly dek: Hex };
  readonly cardAps: readonly CardApImage[];
  /**
   * Failed EXTERNAL AUTHENTICATEs since the last success (absent = 0); at
   * `SD_AUTH_TRIES` the key set is blocked until the issuer SD unblocks it.
   */
  readonly failedAuthentications?: number;
}

/** 地域住民向け領域 (`local`) and 拡張利用領域 (`extended`). */
export type FreeAreasImage = { readonly local: FreeAreaImage; readonly extended: FreeAreaImage };

export const AREA_NAMES: readonly AreaName[] = ['local', 'extended'];

const hex = hexSchema;
const key16 = hex.length(32);
const pin = pinSchema;
const cardAp = z.object({
  aid: hex.min(2 * AID_LENGTH.min).max(2 * AID_LENGTH.max),
  type: z.enum(['A', 'C', 'D', 'custom']),
  size: z.number().int().min(1).max(0xffff),
  providerId: hex.min(2).max(32),
  userId: hex.length(26),
  keys: z.object({ enc: key16, mac: key16 }).optional(),
  pin: pin.optional(),
  binary: hex.optional(),
  records: z.array(hex).optional(),
  efs: z
    .array(
      z.object({
        fid: z.string().regex(/^[0-9A-F]{4}$/),
        size: z.number().int().min(1).max(0xffff),
        access: z.enum(['free', 'protected', 'encrypted']),
        data: hex,
      }),
    )
    .optional(),
});
const area = z.object({
  aid: hex.min(2 * AID_LENGTH.min).max(2 * AID_LENGTH.max),
  capacity: z.number().int().min(0).max(0xffffff),
  keyVersion: z.number().int().min(1).max(0x7f),
  kdd: hex.length(20),
  keys: z.object({ enc: key16, mac: key16, dek: key16 }),
  cardAps: z.array(cardAp),
  failedAuthentications: z.number().int().min(0).max(SD_AUTH_TRIES).optional(),
});
const areas = z.object({ local: area, extended: area });

export class FreeAreaImageError extends Error {
  override readonly name = 'FreeAreaImageError';
  readonly code = 'FREE_AREA_IMAGE_INVALID' satisfies keyof typeof CARD_IMAGE_ERRORS;
  constructor(readonly text: Text) {
    super(text.en);
  }
}

/** Validates the `freeAreas` section of a card image. */
export function parseFreeAreas(value: unknown): FreeAreasImage {
  const r = areas.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    const what = issue?.message ?? 'invalid';
    throw new FreeAreaImageError({
      en: `free areas of the card image are invalid: ${where}: ${what}`,
      ja: `カードイメージの空き領域が不正です: ${where}: ${what}`,
    });
  }
  const img = r.data as FreeAreasImage;
  const problem = semanticProblem(img);
  if (problem) {
    throw new FreeAreaImageError({
      en: `free areas of the card image are inconsistent: ${problem.en}`,
      ja: `カードイメージの空き領域に矛盾があります: ${problem.ja}`,
    });
  }
  return img;
}

/** What the schema cannot say: unique AIDs, content per type, room. */
function semanticProblem(img: FreeAreasImage): { en: string; ja: string } | undefined {
  const seen = new Set<string>([img.local.aid, img.extended.aid]);
  if (seen.size !== 2)
    return { en: 'both areas have the same AID', ja: '二つの領域のAIDが同じです' };
  for (const name of AREA_NAMES) {
    const area = img[name];
    let used = 0;
    for (const ap of area.cardAps) {
      const where = `${name} ${ap.aid}`;
      if (seen.has(ap.aid))
        return { en: `${where}: AID used twice`, ja: `${where}: AIDが重複しています` };
      seen.add(ap.aid);
      used += cardApFootprint(ap.size);
      const needsKeys = ap.type === 'A' || ap.type === 'D';
      const shapeOk =
        (ap.type === 'C' && ap.binary !== undefined && ap.binary.length / 2 <= ap.size) ||
        (ap.type === 'D' && ap.binary !== undefined && ap.binary.length / 2 === ap.size) ||
        (ap.type === 'A' && ap.records !== undefined && ap.records.length > 0) ||
        (ap.type === 'custom' &&
          ap.efs !== undefined &&
          ap.efs.length > 0 &&
          ap.efs.every((e) => e.data.length / 2 === e.size));
      if (!shapeOk || (needsKeys && (!ap.keys || !ap.pin))) {
        return {
          en: `${where}: content does not match type ${ap.type}`,
          ja: `${where}: 内容が種別 ${ap.type} と合いません`,
        };
      }
    }
    if (used > area.capacity) {
      return {
        en: `${name}: card APs use more than the capacity`,
        ja: `${name}: カードAPが容量を超えています`,
      };
    }
  }
  return undefined;
}

/** A copy of `areas` with area `name` replaced by `fn(area)`. */
export function withArea(
  areas: FreeAreasImage,
  name: AreaName,
  fn: (a: FreeAreaImage) => FreeAreaImage,
): FreeAreasImage {
  return { ...areas, [name]: fn(areas[name]) };
}

/** The card AP `aidHex` of area `name`, if installed there. */
export function findCardAp(
  areas: FreeAreasImage,
  name: AreaName,
  aidHex: Hex,
): CardApImage | undefined {
  return areas[name].cardAps.find((c) => c.aid === aidHex);
}
