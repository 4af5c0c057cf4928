/**
 * What the loading system reads from a card without any key: who the card is
 * (the 共通カードAP's serial and municipality code), whether an AP is there, and
 * how many tries each PIN has left (an empty VERIFY spends none). Each function
 * takes the APDU pipe (`Transmit`) as its only I/O.
 */
import {
  SW,
  command,
  describeStatusWord,
  sendPlain,
  swTriesLeft,
  toHex,
  type Transmit,
} from '@myna-ap/apdu';
import { AID, COMMON_EF } from '@myna-ap/card';
import { LoaderError } from '../errors.ts';
import type { CardId } from '../domain/ids.ts';

export interface CardIdentity {
  /** The card serial (カード識別番号) as upper-case hex: the card's key in the database. */
  readonly cardId: CardId;
  readonly serial: Uint8Array;
  /** 市区町村コード of the 共通カードAP, when read. */
  readonly municipalityCode: string | null;
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

const notMyna = () =>
  new LoaderError(
    'NOT_MYNA_CARD',
    {
      en: 'this card has no 共通カードAP: is it a My Number Card?',
      ja: 'このカードには共通カードAPがありません。マイナンバーカードですか？',
    },
    409,
  );

/** SELECT by AID; true when the card has the application, false for `6A 82`. */
export async function selectAid(t: Transmit, aid: Uint8Array): Promise<boolean> {
  const r = await sendPlain(t, command({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: aid }));
  if (r.sw === SW.OK) return true;
  if (r.sw === SW.FILE_NOT_FOUND) return false;
  throw cardRefused(r.sw, { en: 'SELECT', ja: 'アプリケーション選択' });
}

/** READ BINARY of a short EF by short file identifier (`P1 = 80|SFI`): one APDU. */
async function readSfi(t: Transmit, sfi: number, ne: number): Promise<Uint8Array | undefined> {
  const r = await sendPlain(t, command({ cla: 0x00, ins: 0xb0, p1: 0x80 | sfi, p2: 0, ne }));
  return r.sw === SW.OK ? r.data : undefined;
}

/**
 * Reads the card's identity from its 共通カードAP: 2 or 3 APDUs (SELECT, READ BINARY
 * of the serial and, when asked, of the municipality code, by SFI).
 */
export async function readIdentity(t: Transmit, withMunicipality: boolean): Promise<CardIdentity> {
  if (!(await selectAid(t, AID.common))) throw notMyna();
  const serial = await readSfi(t, COMMON_EF.serial, 16);
  if (!serial || serial.length < 8 || serial.every((b) => b === 0)) throw notMyna();
  let municipalityCode: string | null = null;
  if (withMunicipality) {
    const m = await readSfi(t, COMMON_EF.municipality, 6);
    const s = m ? new TextDecoder().decode(m) : '';
    municipalityCode = /^[0-9]{6}$/.test(s) ? s : null;
  }
  return { cardId: toHex(serial).toUpperCase() as CardId, serial, municipalityCode };
}

/** A PIN of the card, by application and short file identifier. */
export interface CardPinRef {
  readonly name: string;
  readonly label: { readonly en: string; readonly ja: string };
  readonly app: Uint8Array;
  readonly sfi: number;
}

/** The PINs of the fixed applications (CARD.md), in the order diagnose reports them. */
export const CARD_PINS: readonly CardPinRef[] = [
  {
    name: 'jpki_auth',
    label: { en: 'JPKI auth PIN', ja: '利用者証明用暗証番号' },
    app: AID.jpki,
    sfi: 0x18,
  },
  {
    name: 'jpki_sign',
    label: { en: 'JPKI sign password', ja: '署名用暗証番号' },
    app: AID.jpki,
    sfi: 0x1b,
  },
  {
    name: 'text',
    label: { en: 'text AP PIN', ja: '券面事項入力補助用暗証番号' },
    app: AID.text,
    sfi: 0x11,
  },
  {
    name: 'text_pin_a',
    label: { en: 'text AP PIN A', ja: '券面事項入力補助AP 照合番号A' },
    app: AID.text,
    sfi: 0x14,
  },
  {
    name: 'text_pin_b',
    label: { en: 'text AP PIN B', ja: '券面事項入力補助AP 照合番号B' },
    app: AID.text,
    sfi: 0x15,
  },
  {
    name: 'visual_pin_a',
    label: { en: 'visual AP PIN A', ja: '券面事項確認AP 照合番号A' },
    app: AID.visual,
    sfi: 0x13,
  },
  {
    name: 'visual_pin_b',
    label: { en: 'visual AP PIN B', ja: '券面事項確認AP 照合番号B' },
    app: AID.visual,
    sfi: 0x12,
  },
  { name: 'juki', label: { en: 'juki AP PIN', ja: '住基用暗証番号' }, app: AID.juki, sfi: 0x11 },
];

/**
 * Tries left of a PIN of the selected application: empty VERIFY `00 20 00 80|SFI`
 * (spends no try). 0 when locked; undefined when the card does not say.
 */
export async function pinTriesLeft(t: Transmit, sfi: number): Promise<number | undefined> {
  const r = await sendPlain(t, command({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80 | sfi }));
  if (r.sw === SW.AUTH_METHOD_BLOCKED || r.sw === SW.PIN_LOCKED) return 0;
  return swTriesLeft(r.sw);
}

/**
 * The JPKI auth PIN (利用者証明用暗証番号) must not be locked for a load: the holder
 * confirms identity with it at the counter, and a locked card goes to the
 * municipality for a PIN reset first. 2 APDUs.
 */
export async function checkAuthPinNotLocked(t: Transmit): Promise<void> {
  if (!(await selectAid(t, AID.jpki))) throw notMyna();
  const left = await pinTriesLeft(t, 0x18);
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

/** The card's expiry (有効期限) from the 共通カードAP, `YYYY-MM-DD`; the AP must be selected. */
export async function readExpiry(t: Transmit): Promise<string | null> {
  const b = await readSfi(t, COMMON_EF.expiry, 8);
  const s = b ? new TextDecoder().decode(b) : '';
  return /^[0-9]{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6)}` : null;
}

/**
 * The 利用者証明用電子証明書 (EF 000A, free to read) as DER, the JPKI AP selected:
 * the first READ BINARY (by SFI) carries the DER header, which says how much follows.
 */
export async function readAuthCertificate(t: Transmit): Promise<Uint8Array> {
  const what = { en: 'reading the auth certificate', ja: '利用者証明用電子証明書の読み出し' };
  const first = await sendPlain(
    t,
    command({ cla: 0x00, ins: 0xb0, p1: 0x80 | 0x0a, p2: 0, ne: 256 }),
  );
  if (first.sw !== SW.OK) throw cardRefused(first.sw, what);
  const d = first.data;
  // 30 82 LL LL: a certificate is always longer than 255 bytes.
  if (d.length < 4 || d[0] !== 0x30 || d[1] !== 0x82) {
    throw new LoaderError('CARD_DATA_INVALID', {
      en: 'the auth certificate EF does not hold a DER certificate',
      ja: '利用者証明用電子証明書のEFにDER形式の証明書がありません',
    });
  }
  const total = ((d[2]! << 8) | d[3]!) + 4;
  const parts = [d];
  let have = d.length;
  while (have < total) {
    const r = await sendPlain(
      t,
      command({
        cla: 0x00,
        ins: 0xb0,
        p1: (have >> 8) & 0x7f,
        p2: have & 0xff,
        ne: Math.min(256, total - have),
      }),
    );
    if (r.sw !== SW.OK || r.data.length === 0) throw cardRefused(r.sw, what);
    parts.push(r.data);
    have += r.data.length;
  }
  const out = new Uint8Array(have);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.subarray(0, total);
}
