/**
 * What any host reads from a My Number Card without a key or a PIN: whether an
 * application is there, who the card is (the 共通カードAP's serial, municipality
 * code and expiry), how many tries a PIN has left (an empty VERIFY spends none)
 * and the JPKI auth certificate. The loading system reads cards through these.
 * Each takes a `CardLink` (a channel, or a relayed APDU pipe) and addresses short
 * EFs by SFI, so each read is one APDU.
 */
import { SW, swTriesLeft, toHex } from '@myna-ap/apdu';
import { AID, COMMON_EF, COMMON_EF_LENGTH, FIXED_AP_LABEL, JPKI_EF } from '@myna-ap/profile';
import type { Text } from '@myna-ap/text';
import { AccessError, badData, cardError } from './errors.ts';
import { CardSession, type CardLink } from './session.ts';

/** Who the card is, from its 共通カードAP. */
export interface CardIdentity {
  /** カード識別番号: the card's own serial (it diversifies every key of the card). */
  readonly serial: Uint8Array;
  /** The serial as upper-case hex. */
  readonly serialHex: string;
  /** 市区町村コード (6 digits) when asked for and well-formed, else null. */
  readonly municipalityCode: string | null;
}

const SELECT: Text = { en: 'SELECT', ja: 'アプリケーション選択' };

function notMyna(): AccessError {
  return new AccessError('NOT_MYNA_CARD', {
    en: 'this card has no 共通カードAP: is it a My Number Card?',
    ja: 'このカードには共通カードAPがありません。マイナンバーカードですか？',
  });
}

/** A session over `link`, or the one given (so a caller can chain reads without re-selecting). */
function sessionOf(link: CardLink | CardSession): CardSession {
  return link instanceof CardSession ? link : new CardSession(link);
}

/** SELECT by AID (`00 A4 04 0C`): true when the card has the application, false for `6A 82`. */
export async function selectApplication(
  link: CardLink | CardSession,
  aid: Uint8Array,
): Promise<boolean> {
  const s = sessionOf(link);
  const r = await s.send({ ins: 0xa4, p1: 0x04, p2: 0x0c, data: aid });
  if (r.sw === SW.OK) return true;
  if (r.sw === SW.FILE_NOT_FOUND) return false;
  throw cardError(r.sw, SELECT);
}

/** READ BINARY of a short EF of the current DF by SFI; undefined when the card refuses. */
async function readShort(s: CardSession, sfi: number, ne: number): Promise<Uint8Array | undefined> {
  const r = await s.send({ ins: 0xb0, p1: 0x80 | sfi, p2: 0, ne });
  return r.sw === SW.OK ? r.data : undefined;
}

/**
 * The card's identity from its 共通カードAP: 2 or 3 APDUs (SELECT, READ BINARY of
 * the serial and, when asked, of the municipality code). `NOT_MYNA_CARD` when the
 * AP or a serial is missing.
 */
export async function readCardIdentity(
  link: CardLink | CardSession,
  o: { readonly municipality: boolean },
): Promise<CardIdentity> {
  const s = sessionOf(link);
  if (!(await selectApplication(s, AID.common))) throw notMyna();
  const serial = await readShort(s, COMMON_EF.serial, COMMON_EF_LENGTH.serial);
  if (!serial || serial.length < 8 || serial.every((b) => b === 0)) throw notMyna();
  let municipalityCode: string | null = null;
  if (o.municipality) {
    const m = await readShort(s, COMMON_EF.municipality, COMMON_EF_LENGTH.municipality);
    const v = m ? new TextDecoder().decode(m) : '';
    municipalityCode = /^[0-9]{6}$/.test(v) ? v : null;
  }
  return { serial, serialHex: toHex(serial).toUpperCase(), municipalityCode };
}

/** The card's expiry (有効期限) as `YYYY-MM-DD`, the 共通カードAP selected; null when unreadable. */
export async function readCardExpiry(link: CardLink | CardSession): Promise<string | null> {
  const b = await readShort(sessionOf(link), COMMON_EF.expiry, COMMON_EF_LENGTH.expiry);
  const v = b ? new TextDecoder().decode(b) : '';
  return /^[0-9]{8}$/.test(v) ? `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6)}` : null;
}

/**
 * Tries left of the PIN `ref` of the selected application: empty VERIFY
 * `00 20 00 80|ref`, which spends no try. 0 when locked; undefined when the card
 * does not say.
 */
export async function readPinTriesLeft(
  link: CardLink | CardSession,
  ref: number,
): Promise<number | undefined> {
  const r = await sessionOf(link).send({ ins: 0x20, p1: 0x00, p2: 0x80 | ref });
  if (r.sw === SW.AUTH_METHOD_BLOCKED || r.sw === SW.PIN_LOCKED) return 0;
  return swTriesLeft(r.sw);
}

/**
 * The 利用者証明用電子証明書 (free to read) as DER, the JPKI AP selected: the first
 * READ BINARY addresses it by SFI and carries the DER header, which says how much
 * follows.
 */
export async function readAuthCertificate(link: CardLink | CardSession): Promise<Uint8Array> {
  const what: Text = {
    en: `${FIXED_AP_LABEL.jpki.en}: auth certificate`,
    ja: `${FIXED_AP_LABEL.jpki.ja}: 利用者証明用電子証明書`,
  };
  const der = await sessionOf(link).readTlvEf(what, JPKI_EF.authCert);
  if (der[0] !== 0x30) throw badData(what, 'not a DER certificate (SEQUENCE)');
  return der;
}
