/**
 * The loading system reads cards through @myna-ap/access (the one host client of
 * the fixed APs): this file only turns what access says into the loader's errors
 * and its card key, and holds the loader's own rule about the auth PIN.
 */
import {
  GO_ON_OK,
  command,
  describeStatusWord,
  encodeCommand,
  swPattern,
  type CommandInit,
  type Script,
  type Transmit,
} from '@myna-ap/apdu';
import {
  AccessError,
  CardSession,
  readCardExpiry,
  readCardIdentity,
  readPinTriesLeft,
  selectApplication,
} from '@myna-ap/access';
import { AID, COMMON_EF, COMMON_EF_LENGTH, FIXED_PIN } from '@myna-ap/profile';
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

// --- the same reads as scripts -------------------------------------------------
// The commands access sends for `readIdentity` and `checkAuthPinNotLocked`, to send
// in one round trip; the answers then go to those very functions through a
// replay (link.ts), which checks every command byte for byte against this list.

const plain = (init: CommandInit) => encodeCommand(command(init));
const SELECT_DF = { ins: 0xa4, p1: 0x04, p2: 0x0c } as const;

/** `readIdentity`'s commands: SELECT 共通カードAP, READ BINARY of the serial (and municipality, and expiry). */
export function identityScript(withMunicipality: boolean, withExpiry = false): Script {
  const read = (sfi: number, ne: number) => ({
    apdu: plain({ ins: 0xb0, p1: 0x80 | sfi, p2: 0, ne }),
    goOn: GO_ON_OK,
  });
  return [
    { apdu: plain({ ...SELECT_DF, data: AID.common }), goOn: GO_ON_OK },
    read(COMMON_EF.serial, COMMON_EF_LENGTH.serial),
    ...(withMunicipality ? [read(COMMON_EF.municipality, COMMON_EF_LENGTH.municipality)] : []),
    ...(withExpiry ? [read(COMMON_EF.expiry, COMMON_EF_LENGTH.expiry)] : []),
  ];
}

/** `checkAuthPinNotLocked`'s commands: SELECT 公的個人認証AP, empty VERIFY (tries left: 63 Cx). */
export function authPinScript(): Script {
  return [
    { apdu: plain({ ...SELECT_DF, data: AID.jpki }), goOn: GO_ON_OK },
    {
      apdu: plain({ ins: 0x20, p1: 0x00, p2: 0x80 | FIXED_PIN.jpki_auth.ref }),
      goOn: [swPattern('9000'), swPattern('63CX')],
    },
  ];
}
