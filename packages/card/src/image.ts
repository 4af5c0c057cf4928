/**
 * The card image (カードイメージ): everything a My Number Card keeps in its
 * non-volatile memory, as plain JSON so a card is a file that can be saved,
 * inspected and diffed. Bytes are lower-case hex strings.
 *
 * What lives here is what survives a power cycle: EF contents, key files, PIN
 * reference data and their retry counters (リトライカウンタ), and the free areas.
 * What does not (selected DF, verified PINs) lives in the applets.
 *
 * The file tree (which FIDs exist, who may read them) is fixed by the card's OS
 * and defined in code (see the applets); the image holds only the contents.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Text } from '@myna-ap/text';
import { z } from 'zod';
import type { CardImageErrorCode } from './errors.ts';
import { hexSchema, pinSchema } from './schemas.ts';
import { fromHex, toHex } from '@myna-ap/apdu';
import { FreeAreaImageError, parseFreeAreas, type FreeAreasImage } from './freeArea/image.ts';
import { newFreeAreas } from './freeArea/keys.ts';
import { issuerDomainSchema, type IssuerDomainImage } from './issuerDomain/image.ts';

export const CARD_IMAGE_FORMAT = 'myna-card';
export const CARD_IMAGE_VERSION = 1;

/** Lower-case hex string of bytes, e.g. `'3be0'`. */
export type HexString = string;

/**
 * A PIN object (暗証番号). The PIN itself is not kept in clear: `digest` is
 * SHA-256(salt ‖ PIN as ASCII). That only stops accidental disclosure (printing,
 * logs); the image also holds private keys and must be protected as a whole.
 */
export interface PinImage {
  readonly salt: HexString;
  readonly digest: HexString;
  /** Tries allowed after a success (3 or 5 on the real card). */
  readonly maxTries: number;
  /** Tries left now; 0 means locked (ロック) until reset by the issuer. */
  readonly triesLeft: number;
}

/** One application's persistent content: EFs and PIN objects by 4-hex-digit FID. */
export interface ApImage {
  readonly files: Readonly<Record<string, HexString>>;
  readonly pins: Readonly<Record<string, PinImage>>;
}

/** The sections of the image that belong to the card's fixed applications. */
export type ApName = 'jpki' | 'text' | 'visual' | 'juki' | 'common';

export interface CardImage {
  readonly format: typeof CARD_IMAGE_FORMAT;
  readonly version: typeof CARD_IMAGE_VERSION;
  /** ISO 8601 time the card was made (発行日時). */
  readonly createdAt: string;
  readonly jpki: ApImage; // 公的個人認証AP
  readonly text: ApImage; // 券面事項入力補助AP
  readonly visual: ApImage; // 券面事項確認AP
  readonly juki: ApImage; // 住基AP
  readonly common: ApImage; // 共通カードAP
  /** 地域住民向け領域 and 拡張利用領域; owned and validated by src/freeArea. */
  readonly freeAreas: FreeAreasImage;
  /** The card issuer's security domain (src/issuerDomain); absent in older card files. */
  readonly issuerDomain?: IssuerDomainImage;
}

/** A card image that cannot be used, with a message for people in both languages. */
export class CardImageError extends Error {
  override readonly name = 'CardImageError';
  constructor(
    readonly code: CardImageErrorCode,
    readonly text: Text,
  ) {
    super(text.en);
  }
}

const hex = hexSchema;
const fid = z.string().regex(/^[0-9A-F]{4}$/, 'FID of 4 upper-case hex digits');
const apSchema = z.object({
  files: z.record(fid, hex),
  pins: z.record(fid, pinSchema),
});
const imageSchema = z.object({
  format: z.literal(CARD_IMAGE_FORMAT),
  version: z.literal(CARD_IMAGE_VERSION),
  createdAt: z.string().min(1),
  jpki: apSchema,
  text: apSchema,
  visual: apSchema,
  juki: apSchema,
  common: apSchema,
  freeAreas: z.unknown(),
  issuerDomain: issuerDomainSchema.optional(),
});

/**
 * Checks that a parsed JSON value is a card image this version understands.
 * Does not check which EFs are present: each applet does that when built.
 */
export function parseCardImage(value: unknown): CardImage {
  if (typeof value === 'object' && value !== null) {
    const v = value as { format?: unknown; version?: unknown };
    if (v.format === CARD_IMAGE_FORMAT && v.version !== CARD_IMAGE_VERSION) {
      throw new CardImageError('CARD_IMAGE_UNSUPPORTED', {
        en: `card image version ${String(v.version)} is not supported (this program reads version ${CARD_IMAGE_VERSION})`,
        ja: `カードイメージのバージョン ${String(v.version)} には対応していません（対応: ${CARD_IMAGE_VERSION}）`,
      });
    }
  }
  const r = imageSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue ? issue.path.join('.') || '(top)' : '(top)';
    const what = issue ? issue.message : 'invalid';
    throw new CardImageError('CARD_IMAGE_INVALID', {
      en: `not a valid card image: ${where}: ${what}`,
      ja: `カードイメージが不正です: ${where}: ${what}`,
    });
  }
  let freeAreas: FreeAreasImage;
  try {
    freeAreas = parseFreeAreas(r.data.freeAreas);
  } catch (e) {
    // One error type for every bad image, whichever part found the fault.
    if (e instanceof FreeAreaImageError) throw new CardImageError('CARD_IMAGE_INVALID', e.text);
    throw e;
  }
  return { ...(r.data as Omit<CardImage, 'freeAreas'>), freeAreas };
}

/** Parses the text of a card file (JSON). */
export function parseCardImageJson(text: string): CardImage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CardImageError('CARD_IMAGE_INVALID', {
      en: `card file is not JSON: ${(e as Error).message}`,
      ja: `カードファイルが JSON ではありません: ${(e as Error).message}`,
    });
  }
  return parseCardImage(value);
}

/** The card file's text: stable, indented JSON ending in a newline. */
export function serializeCardImage(img: CardImage): string {
  return JSON.stringify(img, null, 2) + '\n';
}

/** Formats a FID number as the image's key, e.g. 0x000a → `'000A'`. */
export function fidKey(fid: number): string {
  return fid.toString(16).toUpperCase().padStart(4, '0');
}

/** The content of EF `fid` of application `ap`, or `undefined` when absent. */
export function readEf(img: CardImage, ap: ApName, fid: number): Uint8Array | undefined {
  const h = img[ap].files[fidKey(fid)];
  return h === undefined ? undefined : fromHex(h);
}

/** A new image with EF `fid` of application `ap` replaced. */
export function withEf(img: CardImage, ap: ApName, fid: number, content: Uint8Array): CardImage {
  const section = img[ap];
  return {
    ...img,
    [ap]: { ...section, files: { ...section.files, [fidKey(fid)]: toHex(content) } },
  };
}

/** A new image with the PIN object `fid` of application `ap` replaced. */
export function withPin(img: CardImage, ap: ApName, fid: number, pin: PinImage): CardImage {
  const section = img[ap];
  return { ...img, [ap]: { ...section, pins: { ...section.pins, [fidKey(fid)]: pin } } };
}

function pinDigest(salt: Uint8Array, pin: Uint8Array): Uint8Array {
  return createHash('sha256').update(salt).update(pin).digest();
}

/** A fresh PIN object for `pin` (ASCII bytes) with every try left. */
export function newPin(pin: Uint8Array, maxTries: number): PinImage {
  const salt = randomBytes(16);
  return {
    salt: toHex(salt),
    digest: toHex(pinDigest(salt, pin)),
    maxTries,
    triesLeft: maxTries,
  };
}

/** True when `candidate` is the PIN (constant-time compare of the digests). */
export function pinMatches(p: PinImage, candidate: Uint8Array): boolean {
  const expected = fromHex(p.digest);
  const got = pinDigest(fromHex(p.salt), candidate);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

/**
 * An image with every section empty: a card with no files yet. The card factory
 * (`createCard`) fills it; tests of one part (e.g. the free areas) start from it.
 */
export function emptyCardImage(createdAt: Date = new Date()): CardImage {
  const ap: ApImage = { files: {}, pins: {} };
  return {
    format: CARD_IMAGE_FORMAT,
    version: CARD_IMAGE_VERSION,
    createdAt: createdAt.toISOString(),
    jpki: ap,
    text: ap,
    visual: ap,
    juki: ap,
    common: ap,
    // A random serial: such a card is for tests of one part, never issued.
    freeAreas: newFreeAreas({ cardId: new Uint8Array(randomBytes(16)) }),
  };
}
