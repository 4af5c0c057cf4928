/**
 * A card AP (カードAP) on the chip: reachable only by SELECT of its own AID, it
 * sees only its own entry of the free area (application firewall). Behaviour by
 * type (seeds/000, 002):
 *   C  共通カードAP型: READ BINARY without authentication.
 *   A  業務タイプA: READ/UPDATE RECORD after mutual authentication + PIN.
 *   D  業務タイプD: READ/UPDATE BINARY after mutual authentication + PIN,
 *      responses encrypted (the card AP's channel must run at level 33).
 *   custom 独自カードAP: the provider's EFs, each free / protected / encrypted.
 * Mutual authentication is an SCP03 session against the card AP's own keys.
 */
import {
  SW,
  aid as toAid,
  concat,
  encodeGpTlv,
  fromHex,
  ok,
  status,
  toHex,
  CARD_AP_TYPE_CODE,
  SCP03_LEVEL,
  CARD_AP_KEY_VERSION,
  CARD_AP_PIN_REFERENCE,
  USER_ID_LENGTH,
  type Aid,
  type AreaName,
  type CommandApdu,
  type ResponseApdu,
} from '@myna-ap/apdu';
import { cardApPinLengthOk, cardApRecordLengthOk } from '@myna-ap/profile';
import type { Applet } from '../applet.ts';
import { newPin, pinMatches, type PinImage } from '../image.ts';
import {
  CardSecureChannel,
  isExternalAuthenticate,
  isInitializeUpdate,
} from '../gp/secureChannel.ts';
import type { CardApImage } from './image.ts';
import { writeCardAp, type FreeAreaStore } from './store.ts';

/** Card AP key sets: KVN 01 and an all-zero KDD (keys are per card AP); PIN reference 81. */
export { CARD_AP_KEY_VERSION, CARD_AP_PIN_REFERENCE };
const CARD_AP_PIN_REF = CARD_AP_PIN_REFERENCE;

const MIN_LEVEL: Readonly<Record<CardApImage['type'], number>> = {
  C: 0,
  A: SCP03_LEVEL.C_MAC | SCP03_LEVEL.R_MAC, // 11
  D: 0x33, // everything: C-MAC, C-DEC, R-MAC, R-ENC
  custom: SCP03_LEVEL.C_MAC | SCP03_LEVEL.R_MAC,
};
const ENCRYPTED_LEVEL = 0x33;

/** READ BINARY of `content` (P1 b8 = 0: offset in P1-P2). Never 90 00 without data. */
export function readBinary(content: Uint8Array, cmd: CommandApdu): ResponseApdu {
  if ((cmd.p1 & 0x80) !== 0) return status(SW.FUNCTION_NOT_SUPPORTED);
  const off = (cmd.p1 << 8) | cmd.p2;
  if (off >= content.length) return status(SW.WRONG_P1P2);
  const n = Math.min(cmd.ne ?? 256, content.length - off);
  return ok(content.slice(off, off + n));
}

/** UPDATE BINARY within `content`; the first `protectedBytes` (user ID) are read-only. */
function updateBinary(
  content: Uint8Array,
  cmd: CommandApdu,
  protectedBytes: number,
): Uint8Array | ResponseApdu {
  if ((cmd.p1 & 0x80) !== 0) return status(SW.FUNCTION_NOT_SUPPORTED);
  const off = (cmd.p1 << 8) | cmd.p2;
  if (cmd.data.length === 0) return status(SW.WRONG_LENGTH);
  if (off >= content.length) return status(SW.WRONG_P1P2);
  if (off + cmd.data.length > content.length) return status(SW.WRONG_LENGTH);
  if (off < protectedBytes) return status(SW.CONDITIONS_NOT_SATISFIED);
  const next = content.slice();
  next.set(cmd.data, off);
  return next;
}

function isResponse(x: Uint8Array | ResponseApdu): x is ResponseApdu {
  return !(x instanceof Uint8Array);
}

export class CardApApplet implements Applet {
  readonly aid: Aid;
  readonly label: string;
  readonly #aidHex: string;
  #channel: CardSecureChannel | undefined;
  #pinOk = false;
  #ef: string | undefined;

  constructor(
    readonly store: FreeAreaStore,
    readonly area: AreaName,
    ap: CardApImage,
  ) {
    this.aid = toAid(ap.aid);
    this.#aidHex = ap.aid;
    this.label = `card AP type ${ap.type} (${area})`;
    if (ap.keys) {
      const keys = ap.keys;
      this.#channel = new CardSecureChannel({
        keys: () => ({ enc: fromHex(keys.enc), mac: fromHex(keys.mac) }),
        keyVersion: CARD_AP_KEY_VERSION,
        kdd: () => new Uint8Array(10),
        minLevel: MIN_LEVEL[ap.type],
      });
    }
  }

  #ap(): CardApImage | undefined {
    return this.store.read()[this.area].cardAps.find((c) => c.aid === this.#aidHex);
  }

  #drop(): void {
    this.#channel?.drop();
    this.#pinOk = false;
    this.#ef = undefined;
  }

  select(cmd: CommandApdu): ResponseApdu {
    this.#drop();
    const ap = this.#ap();
    if (!ap) return status(SW.FILE_NOT_FOUND);
    // FCI 6F { 84 DF name, A5 { DF20 type code } }, only when asked (P2 00 with Le), ≤ Ne.
    if (cmd.p2 === 0x0c || cmd.ne === undefined) return ok();
    const fci = encodeGpTlv(
      0x6f,
      concat(
        encodeGpTlv(0x84, this.aid),
        encodeGpTlv(0xa5, encodeGpTlv(0xdf20, Uint8Array.of(CARD_AP_TYPE_CODE[ap.type]))),
      ),
    );
    return ok(fci.slice(0, cmd.ne));
  }

  deselect(): void {
    this.#drop();
  }

  powerOff(): void {
    this.#drop();
  }

  process(cmd: CommandApdu): ResponseApdu {
    const ap = this.#ap();
    if (!ap) return status(SW.FILE_NOT_FOUND);
    const ch = this.#channel;
    if (isInitializeUpdate(cmd) || isExternalAuthenticate(cmd)) {
      if (!ch) return status(SW.INS_NOT_SUPPORTED);
      this.#pinOk = false;
      return isInitializeUpdate(cmd) ? ch.initializeUpdate(cmd) : ch.externalAuthenticate(cmd);
    }
    if ((cmd.cla & 0x0c) !== 0) {
      if (!ch) return status(SW.SECURE_MESSAGING_NOT_SUPPORTED);
      const u = ch.unwrap(cmd);
      if (!u.ok) {
        this.#pinOk = false;
        return u.res;
      }
      return ch.wrap(this.#handle(ap, u.cmd, ch.level ?? 0));
    }
    return this.#handle(ap, cmd, undefined);
  }

  /** `level` is the secure channel level for a wrapped command, `undefined` for a plain one. */
  #handle(ap: CardApImage, cmd: CommandApdu, level: number | undefined): ResponseApdu {
    if (cmd.cla !== 0x00) return status(SW.CLA_NOT_SUPPORTED);
    if (cmd.ins === 0x20) return this.#verify(ap, cmd, level);
    if (cmd.ins === 0x24) return this.#changePin(ap, cmd, level);
    const authorised = level !== undefined && this.#pinOk;
    switch (ap.type) {
      case 'C':
        if (cmd.ins === 0xb0) return readBinary(fromHex(ap.binary ?? ''), cmd);
        return status(SW.INS_NOT_SUPPORTED);
      case 'D':
        return this.#binary(
          fromHex(ap.binary ?? ''),
          cmd,
          authorised,
          authorised,
          USER_ID_LENGTH,
          (data) => ({
            ...ap,
            binary: toHex(data),
          }),
        );
      case 'A':
        return this.#records(ap, cmd, authorised);
      case 'custom':
        return this.#custom(ap, cmd, level);
    }
  }

  #binary(
    content: Uint8Array,
    cmd: CommandApdu,
    mayRead: boolean,
    mayWrite: boolean,
    protectedBytes: number,
    save: (data: Uint8Array) => CardApImage,
  ): ResponseApdu {
    if (cmd.ins === 0xb0)
      return mayRead ? readBinary(content, cmd) : status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (cmd.ins === 0xd6) {
      if (!mayWrite) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
      const next = updateBinary(content, cmd, protectedBytes);
      if (isResponse(next)) return next;
      const updated = save(next);
      writeCardAp(this.store, this.area, this.#aidHex, () => updated);
      return ok();
    }
    return status(SW.INS_NOT_SUPPORTED);
  }

  #records(ap: CardApImage, cmd: CommandApdu, authorised: boolean): ResponseApdu {
    if (cmd.ins !== 0xb2 && cmd.ins !== 0xdc) return status(SW.INS_NOT_SUPPORTED);
    if (!authorised) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (cmd.p2 !== 0x04 || cmd.p1 === 0) return status(SW.INCORRECT_P1P2);
    const records = ap.records ?? [];
    const i = cmd.p1 - 1;
    const rec = records[i];
    if (rec === undefined) return status(SW.RECORD_NOT_FOUND);
    if (cmd.ins === 0xb2) {
      const b = fromHex(rec);
      return ok(cmd.ne !== undefined && cmd.ne < b.length ? b.slice(0, cmd.ne) : b);
    }
    // UPDATE RECORD: record 1 is the user ID, written once at install.
    if (i === 0) return status(SW.CONDITIONS_NOT_SATISFIED);
    if (!cardApRecordLengthOk(cmd.data.length)) return status(SW.WRONG_LENGTH);
    const total = records.reduce((n, r, j) => n + (j === i ? cmd.data.length : r.length / 2), 0);
    if (total > ap.size) return status(SW.NOT_ENOUGH_MEMORY);
    const next = records.map((r, j) => (j === i ? toHex(cmd.data) : r));
    writeCardAp(this.store, this.area, this.#aidHex, (c) => ({ ...c, records: next }));
    return ok();
  }

  #custom(ap: CardApImage, cmd: CommandApdu, level: number | undefined): ResponseApdu {
    const efs = ap.efs ?? [];
    if (cmd.ins === 0xa4) {
      if (cmd.p1 !== 0x02 || cmd.data.length !== 2) return status(SW.INCORRECT_P1P2);
      const fid = toHex(cmd.data).toUpperCase();
      if (!efs.some((e) => e.fid === fid)) return status(SW.FILE_NOT_FOUND);
      this.#ef = fid;
      return ok();
    }
    if (cmd.ins !== 0xb0 && cmd.ins !== 0xd6) return status(SW.INS_NOT_SUPPORTED);
    const ef = efs.find((e) => e.fid === this.#ef);
    if (!ef) return status(SW.COMMAND_NOT_ALLOWED_NO_EF);
    const authorised = level !== undefined && this.#pinOk;
    const mayRead =
      ef.access === 'free' ||
      (authorised && (ef.access === 'protected' || (level! & ENCRYPTED_LEVEL) === ENCRYPTED_LEVEL));
    const first = efs[0]?.fid === ef.fid;
    return this.#binary(
      fromHex(ef.data),
      cmd,
      mayRead,
      authorised,
      first ? USER_ID_LENGTH : 0,
      (data) => ({
        ...ap,
        efs: efs.map((e) => (e.fid === ef.fid ? { ...e, data: toHex(data) } : e)),
      }),
    );
  }

  /** VERIFY `00 20 00 81 [PIN]` (the PIN only inside the secure channel). */
  #verify(ap: CardApImage, cmd: CommandApdu, level: number | undefined): ResponseApdu {
    if (cmd.p1 !== 0x00 || cmd.p2 !== CARD_AP_PIN_REF) return status(SW.INCORRECT_P1P2);
    const pin = ap.pin;
    if (!pin) return status(SW.REFERENCED_DATA_NOT_FOUND);
    if (cmd.data.length === 0) {
      // No data: report the tries left (or the lock), as ISO 7816-4 says.
      return pin.triesLeft === 0 ? status(SW.AUTH_METHOD_BLOCKED) : status(0x63c0 | pin.triesLeft);
    }
    if (level === undefined) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (pin.triesLeft === 0) return status(SW.AUTH_METHOD_BLOCKED);
    if (pinMatches(pin, cmd.data)) {
      if (pin.triesLeft !== pin.maxTries) this.#savePin({ ...pin, triesLeft: pin.maxTries });
      this.#pinOk = true;
      return ok();
    }
    this.#pinOk = false;
    const left = pin.triesLeft - 1;
    this.#savePin({ ...pin, triesLeft: left });
    return status(0x63c0 | left);
  }

  /**
   * CHANGE REFERENCE DATA `00 24 01 81 Lc <new PIN>` (ISO 7816-4 §11.5.7, P1 `01`:
   * the data is the new PIN only, the old one verified in this channel before).
   * A card AP PIN has no format to split `old ‖ new` on, so P1 `00` is not taken.
   * The new PIN object replaces the old in one write, every try back; it is to be
   * verified again.
   */
  #changePin(ap: CardApImage, cmd: CommandApdu, level: number | undefined): ResponseApdu {
    if (cmd.p1 !== 0x01 || cmd.p2 !== CARD_AP_PIN_REF) return status(SW.INCORRECT_P1P2);
    const pin = ap.pin;
    if (!pin) return status(SW.REFERENCED_DATA_NOT_FOUND);
    if (pin.triesLeft === 0) return status(SW.AUTH_METHOD_BLOCKED);
    if (level === undefined || !this.#pinOk) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (!cardApPinLengthOk(cmd.data.length)) return status(SW.WRONG_DATA);
    this.#savePin(newPin(cmd.data.slice(), pin.maxTries));
    this.#pinOk = false;
    return ok();
  }

  #savePin(pin: PinImage): void {
    writeCardAp(this.store, this.area, this.#aidHex, (c) => ({ ...c, pin }));
  }
}
