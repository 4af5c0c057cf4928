/**
 * What an INSTALL carries for one card AP instance, from the approved version and
 * what this load adds: the user ID (always first), the provider ID, the per-card
 * keys and PIN for the types that have them, and the provider's initial data.
 * Pure: the caller brings the keys and the user ID.
 */
import {
  CARD_AP_MAX_SIZE,
  USER_ID_LENGTH,
  cardApCardKeys,
  cardApFixedPin,
  parseGpTlvs,
  type CardApInstallSpec,
  type CardApKeys,
  type CardApType,
  type CustomEfSpec,
} from '@myna-ap/apdu';
import { CARD_AP_MAX_RECORD, CARD_AP_PIN, holderCardApPinOk } from '@myna-ap/profile';
import { LoaderError, type LoaderErrorCode } from '../errors.ts';
import type { AccessConditions } from './cardAp.ts';

export interface ApprovedVersion {
  readonly type: CardApType;
  readonly aid: Uint8Array;
  readonly providerId: string;
  readonly size: number;
  readonly access: AccessConditions;
  /** Initial data fixed at approval (hex in the request), if any. */
  readonly initialData: Uint8Array | undefined;
}

export interface InstallInput {
  readonly version: ApprovedVersion;
  readonly userId: Uint8Array;
  /** The card's serial (diversifies the card AP keys and the fixed PIN). */
  readonly cardSerial: Uint8Array;
  /** The card AP's master keys (key store). */
  readonly master: CardApKeys;
  /** The holder's PIN, ASCII, when the PIN is not system-fixed. */
  readonly pin?: Uint8Array | undefined;
  /** Data for this holder, replacing the version's initial data. */
  readonly data?: Uint8Array | undefined;
}

function bad(code: LoaderErrorCode, en: string, ja: string): LoaderError {
  return new LoaderError(code, { en, ja });
}

/** Bytes left for data after the user ID (type C also spends 2 bytes on `80 0D`). */
export function dataRoom(type: CardApType, size: number): number {
  return size - USER_ID_LENGTH - (type === 'C' ? 2 : 0);
}

/** Checks a holder's PIN for a card AP: 4–16 ASCII digits or letters. */
export function checkCardApPin(pin: string): Uint8Array {
  if (!holderCardApPinOk(pin)) {
    throw bad(
      'CARDAP_PIN_FORMAT',
      `the card AP PIN must be ${CARD_AP_PIN.min} to ${CARD_AP_PIN.max} digits or letters`,
      `カードAPのPINは${CARD_AP_PIN.min}〜${CARD_AP_PIN.max}桁の英数字で指定してください`,
    );
  }
  return new TextEncoder().encode(pin);
}

export function buildInstallSpec(i: InstallInput): CardApInstallSpec {
  const v = i.version;
  if (i.userId.length !== USER_ID_LENGTH) throw new Error('user ID must be 13 bytes');
  if (v.size > CARD_AP_MAX_SIZE[v.type]) throw new Error('approved size above the type limit');
  const data = i.data ?? v.initialData ?? new Uint8Array(0);
  const room = dataRoom(v.type, v.size);
  if (data.length > room) {
    throw bad(
      'CARDAP_DATA_TOO_LARGE',
      `${data.length} bytes of data do not fit: the card AP holds ${room} bytes after the user ID`,
      `データ ${data.length} バイトは入りません（利用者IDの後に入るのは ${room} バイトです）`,
    );
  }
  const base = {
    aid: v.aid,
    type: v.type,
    size: v.size,
    providerId: new TextEncoder().encode(v.providerId),
    userId: i.userId,
  };
  const secured = (): Pick<CardApInstallSpec, 'keys' | 'pin' | 'pinTries'> => {
    const pinRule = v.access.pin;
    if (!pinRule) return {};
    let pin: Uint8Array;
    if (pinRule.fixed) pin = cardApFixedPin(i.master, i.cardSerial, v.aid);
    else if (i.pin) pin = i.pin;
    else {
      throw bad(
        'CARDAP_PIN_REQUIRED',
        'this card AP needs the PIN the holder chooses',
        'このカードAPには本人が決めるPINが必要です',
      );
    }
    return {
      keys: cardApCardKeys(i.master, i.cardSerial, v.aid),
      pin,
      pinTries: pinRule.tries,
    };
  };
  switch (v.type) {
    case 'C': {
      if (data.length > 0) {
        let ok = true;
        try {
          ok = !parseGpTlvs(data).some((t) => t.tag === 0x80);
        } catch {
          ok = false;
        }
        if (!ok) {
          throw bad(
            'CARDAP_DATA_INVALID',
            'type C data must be BER-TLV items (tag 80 is the user ID’s)',
            'タイプCのデータはBER-TLV形式で指定してください（タグ80は利用者ID用です）',
          );
        }
      }
      return { ...base, data };
    }
    case 'D':
      return { ...base, ...secured(), data };
    case 'A': {
      if (data.length > CARD_AP_MAX_RECORD) {
        throw bad(
          'CARDAP_DATA_TOO_LARGE',
          `a type A record holds at most ${CARD_AP_MAX_RECORD} bytes`,
          `タイプAのレコードは最大${CARD_AP_MAX_RECORD}バイトです`,
        );
      }
      return { ...base, ...secured(), records: data.length > 0 ? [data] : [] };
    }
    case 'custom': {
      const layout = v.access.efs ?? [];
      const efs: CustomEfSpec[] = layout.map((e, n) => ({
        fid: e.fid,
        size: e.size,
        access: e.access,
        // The user ID leads the first EF (the card writes it); the data follows it.
        ...(n === 0 && data.length > 0 ? { content: data } : {}),
      }));
      const first = layout[0];
      if (first && data.length > first.size - USER_ID_LENGTH) {
        throw bad(
          'CARDAP_DATA_TOO_LARGE',
          `the first EF holds ${first.size - USER_ID_LENGTH} bytes after the user ID`,
          `最初のEFに入るのは利用者IDの後 ${first.size - USER_ID_LENGTH} バイトです`,
        );
      }
      return { ...base, ...secured(), efs };
    }
  }
}
