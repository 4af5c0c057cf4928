/**
 * The holder's own PIN operations (暗証番号の変更), as the JPKI user software
 * offers them: change a PIN with the old one, CHANGE REFERENCE DATA
 * `00 24 00 80 Lc old ‖ new` (ISO 7816-4) after selecting the PIN EF, for each
 * PIN the holder chooses. The PIN rules are checked here first: a PIN that
 * breaks them never reaches the card, so no try is spent and nothing changes.
 * Bytes: packages/card/README.md, "Holder and issuer PIN operations".
 */
import { SW, swTriesLeft } from '@myna-ap/apdu';
import { AID, FIXED_AP_LABEL, FIXED_PIN, type FixedPin, type PinFormat } from '@myna-ap/profile';
import type { Text } from '@myna-ap/text';
import { AccessError, cardError } from './errors.ts';
import type { CardSession } from './session.ts';

/** The PINs a holder chooses: JPKI auth and sign, 券面事項入力補助, 住基. */
export type HolderPinKind = 'auth' | 'sign' | 'text' | 'juki';

export interface HolderPinDef {
  /** The fixed AP holding the PIN. */
  readonly aid: Uint8Array;
  readonly ap: Text;
  /** The PIN object's FID (VERIFY / CHANGE REFERENCE DATA P2 `80` after selecting it). */
  readonly fid: number;
  readonly what: Text;
  readonly format: PinFormat;
}

/** The profile's PIN, named as the holder's messages name it. */
function holderPin(p: FixedPin, what: Text): HolderPinDef {
  return { aid: AID[p.ap], ap: FIXED_AP_LABEL[p.ap], fid: p.ref, what, format: p.format };
}

export const HOLDER_PINS: Readonly<Record<HolderPinKind, HolderPinDef>> = {
  auth: holderPin(FIXED_PIN.jpki_auth, { en: 'auth PIN', ja: '利用者証明用電子証明書暗証番号' }),
  sign: holderPin(FIXED_PIN.jpki_sign, { en: 'sign password', ja: '署名用電子証明書暗証番号' }),
  text: holderPin(FIXED_PIN.text, { en: 'text AP PIN', ja: '券面事項入力補助用暗証番号' }),
  juki: holderPin(FIXED_PIN.juki, { en: 'resident registry PIN', ja: '住民基本台帳用暗証番号' }),
};

/** Throws `PIN_FORMAT` when `pin` breaks the rules of its kind (4 digits; the sign password's). */
export function checkPinFormat(kind: HolderPinKind, pin: string, role?: Text): void {
  const def = HOLDER_PINS[kind];
  if (def.format.pattern.test(pin)) return;
  const who = role ? { en: `${role.en} `, ja: role.ja } : { en: '', ja: '' };
  throw new AccessError('PIN_FORMAT', {
    en: `the ${who.en}${def.what.en} must be ${def.format.en}`,
    ja: `${who.ja}${def.what.ja}は${def.format.ja}で入力してください`,
  });
}

const ascii = (s: string) => new TextEncoder().encode(s);

/**
 * Changes a PIN with the old one. Rejects with `PIN_FORMAT` (nothing sent),
 * `PIN_WRONG` (the old PIN; `triesLeft` says how many are left), `PIN_LOCKED`
 * (reset at the counter), or `CARD_ERROR`. On success the new PIN is in force
 * and must be verified again.
 */
export async function changePin(
  session: CardSession,
  kind: HolderPinKind,
  oldPin: string,
  newPin: string,
): Promise<void> {
  checkPinFormat(kind, oldPin, { en: 'current', ja: '現在の' });
  checkPinFormat(kind, newPin, { en: 'new', ja: '新しい' });
  const def = HOLDER_PINS[kind];
  await session.selectDf(def.aid, def.ap);
  await session.selectEf(def.fid, def.what);
  const data = new Uint8Array([...ascii(oldPin), ...ascii(newPin)]);
  const r = await session.send({ ins: 0x24, p1: 0x00, p2: 0x80, data });
  data.fill(0);
  if (r.sw === SW.OK) return;
  throw pinFailure(def, r.sw);
}

/** The holder-facing error for a PIN command's status word. */
export function pinFailure(def: HolderPinDef, sw: number): AccessError {
  const left = swTriesLeft(sw);
  if (left === 0 || sw === SW.REFERENCE_DATA_NOT_USABLE || sw === SW.AUTH_METHOD_BLOCKED) {
    return new AccessError(
      'PIN_LOCKED',
      {
        en: `${def.what.en} is locked; have it reset at your municipal office`,
        ja: `${def.what.ja}はロックされています。市区町村の窓口で初期化してください`,
      },
      { triesLeft: 0, sw },
    );
  }
  if (left !== undefined) {
    return new AccessError(
      'PIN_WRONG',
      {
        en: `${def.what.en} is wrong: ${left} ${left === 1 ? 'try' : 'tries'} left before it locks`,
        ja: `${def.what.ja}が違います。あと${left}回間違えるとロックされます`,
      },
      { triesLeft: left, sw },
    );
  }
  if (sw === SW.WRONG_DATA) {
    return new AccessError(
      'PIN_FORMAT',
      {
        en: `the card refused the new ${def.what.en}: it must be ${def.format.en}`,
        ja: `カードが新しい${def.what.ja}を受け付けませんでした（${def.format.ja}）`,
      },
      { sw },
    );
  }
  return cardError(sw, def.what);
}
