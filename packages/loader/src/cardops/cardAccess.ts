/**
 * The loading system reads cards through @myna-ap/access (the one host client of
 * the fixed APs): this file only turns what access says into the loader's errors
 * and its card key, and holds the loader's own rule about the auth PIN.
 */
import { describeStatusWord, type Transmit } from '@myna-ap/apdu';
import {
  AccessError,
  CardSession,
  readCardExpiry,
  readCardIdentity,
  readPinTriesLeft,
  selectApplication,
} from '@myna-ap/access';
import { AID, FIXED_PIN } from '@myna-ap/profile';
import { LoaderError } from '../errors.ts';
import type { CardId } from '../domain/ids.ts';

export interface CardIdentity {
  /** The card serial (カード識別番号) as upper-case hex: the card's key in the database. */
  readonly cardId: CardId;
  readonly serial: Uint8Array;
  /** 市区町村コード of the 共通カードAP, when read. */
  readonly municipalityCode: string | null;
  /** 有効期限 `YYYY-MM-DD` of the 共通カードAP when asked for (null: unreadable). */
  readonly expiry?: string | null;
}

export function cardRefused(sw: number, what: { en: string; ja: string }): LoaderError {
  return new LoaderError(
    'CARD_REFUSED',
    {
      en: `${what.en}: the card answered ${describeStatusWord(sw, 'en')}`,
      ja: `${what.ja}: カードの応答 ${describeStatusWord(sw, 'ja')}`,
    },
    409,
    { sw: sw.toString(16).toUpperCase().padStart(4, '0') },
  );
}

/** Access's failure as the loader's: same text, the loader's code and HTTP status. */
export function fromAccess(e: unknown): unknown {
  if (!(e instanceof AccessError)) return e;
  switch (e.code) {
    case 'NOT_MYNA_CARD':
      return new LoaderError('NOT_MYNA_CARD', e.text, 409);
    case 'BAD_DATA':
      return new LoaderError('CARD_DATA_INVALID', e.text);
    default:
      return new LoaderError(
        'CARD_REFUSED',
        e.text,
        409,
        e.sw === undefined ? undefined : { sw: e.sw.toString(16).toUpperCase().padStart(4, '0') },
      );
  }
}

/** Runs an access read, its failures as the loader's. */
export async function viaAccess<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw fromAccess(e);
  }
}

/**
 * Who the card is (2 to 4 APDUs): its serial and, when asked, its municipality
 * and its expiry (one READ BINARY each, the 共通カードAP still selected).
 * `NOT_MYNA_CARD` when the card has no 共通カードAP or no serial.
 */
export async function readIdentity(
  t: Transmit,
  withMunicipality: boolean,
  withExpiry = false,
): Promise<CardIdentity> {
  const s = new CardSession({ transmit: t });
  const id = await viaAccess(() => readCardIdentity(s, { municipality: withMunicipality }));
  const expiry = withExpiry ? await viaAccess(() => readCardExpiry(s)) : undefined;
  return {
    cardId: id.serialHex as CardId,
    serial: id.serial,
    municipalityCode: id.municipalityCode,
    ...(expiry !== undefined ? { expiry } : {}),
  };
}

/**
 * The JPKI auth PIN (利用者証明用暗証番号) must not be locked for a load: the holder
 * confirms identity with it at the counter, and a locked card goes to the
 * municipality for a PIN reset first. 2 APDUs.
 */
export async function checkAuthPinNotLocked(t: Transmit): Promise<void> {
  const s = new CardSession({ transmit: t });
  const present = await viaAccess(() => selectApplication(s, AID.jpki));
  if (!present) {
    throw new LoaderError(
      'NOT_MYNA_CARD',
      {
        en: 'this card has no 公的個人認証AP: is it a My Number Card?',
        ja: 'このカードには公的個人認証APがありません。マイナンバーカードですか？',
      },
      409,
    );
  }
  const left = await viaAccess(() => readPinTriesLeft(s, FIXED_PIN.jpki_auth.ref));
  if (left === 0) {
    throw new LoaderError(
      'PIN_LOCKED',
      {
        en: 'the JPKI auth PIN of this card is locked: the holder resets it at the municipal counter first',
        ja: 'このカードの利用者証明用暗証番号がロックされています。先に市区町村窓口で暗証番号の初期化を行ってください',
      },
      409,
    );
  }
}
