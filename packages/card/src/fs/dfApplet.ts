/**
 * A DF with transparent EFs and PIN objects, answering the ISO 7816-4 commands
 * public readers send to the My Number Card (CARD.md):
 *
 * - SELECT EF `00 A4 02 0C 02 fid` (P1 00 or 02; P2 0C no data, 00/04 FCP)
 * - READ BINARY `00 B0 off-hi off-lo Le` and `00 B0 80|SFI off Le`, short or
 *   extended Le: `min(Le, remaining)` bytes + 90 00, `6B 00` at or past the end
 *   (never 90 00 without data, never 61 xx)
 * - VERIFY `00 20 00 80 Lc PIN` on the current EF, or P2 = 80|SFI; no data →
 *   `63 Cx` (tries left, `63 C0` once locked: OpenSC's JPKI binding needs SW1 63);
 *   wrong → `63 Cx` after counting down; locked → `69 84`. `00 20 FF P2` drops
 *   the verification (ISO 7816-4:2013).
 *
 * Retry counters live in the card image and are written with `card.update`
 * before the answer leaves, so a locked PIN stays locked across reset and
 * reload. Verified PINs live here and are cleared on DF change and reset.
 */
import {
  SW,
  fromHex,
  ok,
  status,
  u16,
  concat,
  encodeTlv as tlv,
  type CommandApdu,
  type ResponseApdu,
} from '@myna-ap/apdu';
import type { Applet } from '../applet.ts';
import type { Card } from '../card.ts';
import { CardImageError, fidKey, newPin, pinMatches, withPin, type PinImage } from '../image.ts';
import { accessAllowed, sfiOf, type DfSpec, type EfSpec, type PinSpec } from './spec.ts';

/** Longest PIN data accepted by VERIFY; longer data is refused without counting a try. */
const MAX_PIN_BYTES = 16;

/** The selected EF of the DF: a data or key EF, or a PIN object. */
export type Current =
  { readonly kind: 'ef'; readonly spec: EfSpec } | { readonly kind: 'pin'; readonly spec: PinSpec };

export class DfApplet implements Applet {
  readonly aid;
  readonly label;
  readonly #verified = new Set<number>();
  #current: Current | undefined;

  constructor(
    protected readonly card: Card,
    readonly spec: DfSpec,
  ) {
    this.aid = spec.aid;
    this.label = spec.label;
    const section = card.image[spec.section];
    for (const ef of spec.efs) {
      if (section.files[fidKey(ef.fid)] === undefined && !ef.optional)
        missing(spec, `EF ${fidKey(ef.fid)}`);
    }
    for (const p of spec.pins) {
      if (section.pins[fidKey(p.fid)] === undefined) missing(spec, `PIN ${fidKey(p.fid)}`);
    }
  }

  /** PINs verified in this DF since it was selected (read-only view, for tests and tools). */
  get verifiedPins(): ReadonlySet<number> {
    return this.#verified;
  }

  select(cmd: CommandApdu): ResponseApdu {
    this.deselect();
    switch (cmd.p2 & 0xfc) {
      case 0x0c:
        return ok();
      case 0x00: // FCI requested: the DF name is all we disclose
        return withinNe(cmd, tlv(0x6f, tlv(0x84, this.aid)));
      case 0x04:
        return withinNe(cmd, tlv(0x62, tlv(0x84, this.aid)));
      default:
        return status(SW.INCORRECT_P1P2);
    }
  }

  deselect(): void {
    this.#verified.clear();
    this.#current = undefined;
  }

  process(cmd: CommandApdu): ResponseApdu {
    if ((cmd.cla & 0x0c) !== 0) return status(SW.SECURE_MESSAGING_NOT_SUPPORTED);
    if ((cmd.cla & 0x80) !== 0) return this.processProprietary(cmd);
    switch (cmd.ins) {
      case 0xa4:
        return this.#selectEf(cmd);
      case 0xb0:
        return this.#readBinary(cmd);
      case 0x20:
        return this.#verify(cmd);
      case 0x24:
        return this.#changeReferenceData(cmd);
      default:
        return this.processInterindustry(cmd);
    }
  }

  /** Other CLA 00 commands (INTERNAL AUTHENTICATE in the visual AP). None by default. */
  protected processInterindustry(_cmd: CommandApdu): ResponseApdu {
    return status(SW.INS_NOT_SUPPORTED);
  }

  /** Commands with a proprietary CLA (bit 8 set). None by default. */
  protected processProprietary(_cmd: CommandApdu): ResponseApdu {
    return status(SW.CLA_NOT_SUPPORTED);
  }

  /** The object that P2 = 80|SFI names (SFI 0: the current EF), for VERIFY and signing. */
  protected resolveByP2(p2: number): Current | undefined | 'bad' {
    if ((p2 & 0xe0) !== 0x80) return 'bad';
    const sfi = p2 & 0x1f;
    if (sfi === 0) return this.#current;
    // A reference in P2 names the object for this command only; the current EF stays.
    return this.#find((f) => sfiOf(f) === sfi);
  }

  protected isVerified(fid: number): boolean {
    return this.#verified.has(fid);
  }

  protected efContent(fid: number): Uint8Array {
    const h = this.card.image[this.spec.section].files[fidKey(fid)];
    // The constructor checked every EF exists and images are replaced whole.
    return h === undefined ? new Uint8Array(0) : fromHex(h);
  }

  protected allowed(ef: EfSpec): boolean {
    return accessAllowed(ef.access, this.#verified);
  }

  #find(match: (fid: number) => boolean): Current | undefined {
    const files = this.card.image[this.spec.section].files;
    // An optional EF this card's image lacks does not exist on this card.
    const ef = this.spec.efs.find(
      (e) => match(e.fid) && (!e.optional || files[fidKey(e.fid)] !== undefined),
    );
    if (ef) return { kind: 'ef', spec: ef };
    const pin = this.spec.pins.find((p) => match(p.fid));
    if (pin) return { kind: 'pin', spec: pin };
    return undefined;
  }

  #selectEf(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x02 && cmd.p1 !== 0x00) {
      // Only EFs under this DF can be selected by FID; other forms are not supported.
      return status(cmd.p1 <= 0x09 ? SW.FILE_NOT_FOUND : SW.INCORRECT_P1P2);
    }
    if (cmd.p2 !== 0x0c && cmd.p2 !== 0x00 && cmd.p2 !== 0x04) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length !== 2) return status(SW.WRONG_LENGTH);
    const fid = (cmd.data[0]! << 8) | cmd.data[1]!;
    const found = this.#find((f) => f === fid);
    if (!found) return status(SW.FILE_NOT_FOUND);
    this.#current = found;
    if (cmd.p2 === 0x0c) return ok();
    return withinNe(cmd, this.#fcp(found));
  }

  /** FCP template: size (80) for binary EFs, descriptor (82), FID (83). */
  #fcp(c: Current): Uint8Array {
    const fid = tlv(0x83, u16(c.spec.fid));
    if (c.kind === 'ef' && c.spec.kind === 'binary') {
      const size = this.efContent(c.spec.fid).length;
      return tlv(0x62, concat(tlv(0x80, u16(size)), tlv(0x82, Uint8Array.of(0x01)), fid));
    }
    // Internal EFs (keys, PINs): descriptor "working EF, internal structure", no size.
    return tlv(0x62, concat(tlv(0x82, Uint8Array.of(0x11)), fid));
  }

  #readBinary(cmd: CommandApdu): ResponseApdu {
    if (cmd.data.length > 0) return status(SW.WRONG_LENGTH);
    if (cmd.ne === undefined) return status(SW.WRONG_LENGTH);
    let target: Current | undefined;
    let offset: number;
    if ((cmd.p1 & 0x80) !== 0) {
      if ((cmd.p1 & 0x60) !== 0) return status(SW.INCORRECT_P1P2);
      const sfi = cmd.p1 & 0x1f;
      target = this.#find((f) => sfiOf(f) === sfi);
      if (!target) return status(SW.FILE_NOT_FOUND);
      this.#current = target;
      offset = cmd.p2;
    } else {
      target = this.#current;
      if (!target) return status(SW.COMMAND_NOT_ALLOWED_NO_EF);
      offset = (cmd.p1 << 8) | cmd.p2;
    }
    if (target.kind !== 'ef' || target.spec.kind !== 'binary') {
      return status(SW.COMMAND_INCOMPATIBLE);
    }
    if (!this.allowed(target.spec)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    const content = this.efContent(target.spec.fid);
    if (offset >= content.length) return status(SW.WRONG_P1P2);
    const n = Math.min(cmd.ne, content.length - offset);
    return ok(content.slice(offset, offset + n));
  }

  #verify(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x00 && cmd.p1 !== 0xff) return status(SW.INCORRECT_P1P2);
    const target = this.resolveByP2(cmd.p2);
    if (target === 'bad') return status(SW.INCORRECT_P1P2);
    if (!target)
      return status(cmd.p2 === 0x80 ? SW.COMMAND_NOT_ALLOWED_NO_EF : SW.REFERENCED_DATA_NOT_FOUND);
    if (target.kind !== 'pin') return status(SW.COMMAND_INCOMPATIBLE);
    const spec = target.spec;
    if (cmd.p1 === 0xff) {
      if (cmd.data.length > 0) return status(SW.WRONG_LENGTH);
      this.#verified.delete(spec.fid);
      return ok();
    }
    const pin = this.#pinImage(spec);
    if (cmd.data.length === 0) return status(SW.VERIFY_FAILED | Math.min(pin.triesLeft, 15));
    if (pin.triesLeft === 0) return status(SW.REFERENCE_DATA_NOT_USABLE);
    if (cmd.data.length > MAX_PIN_BYTES) return status(SW.WRONG_LENGTH);
    if (pinMatches(pin, cmd.data)) {
      if (pin.triesLeft !== pin.maxTries) this.#storePin(spec, { ...pin, triesLeft: pin.maxTries });
      this.#verified.add(spec.fid);
      return ok();
    }
    // Count the try down in non-volatile memory before answering (anti-tearing).
    const left = pin.triesLeft - 1;
    this.#storePin(spec, { ...pin, triesLeft: left });
    this.#verified.delete(spec.fid);
    return status(SW.VERIFY_FAILED | left);
  }

  /**
   * CHANGE REFERENCE DATA `00 24 P1 P2 Lc data` (ISO 7816-4 §11.5.7), the
   * holder's 暗証番号の変更: P1 `00` data = old PIN ‖ new PIN; P1 `01` data = the
   * new PIN, the old one verified in this DF before. P2 as VERIFY. Only PINs the
   * holder chooses (`holderSet`); the new PIN must meet the PIN's format.
   */
  #changeReferenceData(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x00 && cmd.p1 !== 0x01) return status(SW.INCORRECT_P1P2);
    const target = this.resolveByP2(cmd.p2);
    if (target === 'bad') return status(SW.INCORRECT_P1P2);
    if (!target)
      return status(cmd.p2 === 0x80 ? SW.COMMAND_NOT_ALLOWED_NO_EF : SW.REFERENCED_DATA_NOT_FOUND);
    if (target.kind !== 'pin') return status(SW.COMMAND_INCOMPATIBLE);
    const spec = target.spec;
    if (!spec.holderSet) return status(SW.CONDITIONS_NOT_SATISFIED);
    const pin = this.#pinImage(spec);
    if (pin.triesLeft === 0) return status(SW.REFERENCE_DATA_NOT_USABLE);
    if (cmd.data.length === 0 || cmd.data.length > 2 * MAX_PIN_BYTES)
      return status(SW.WRONG_LENGTH);
    const fits = (b: Uint8Array) => meetsFormat(spec, b);
    if (cmd.p1 === 0x01) {
      if (!this.#verified.has(spec.fid)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
      if (!fits(cmd.data)) return status(SW.WRONG_DATA);
      return this.#replacePin(spec, cmd.data);
    }
    // Where old ends and new begins: every split whose two parts both meet the format.
    const splits: number[] = [];
    for (let k = 1; k < cmd.data.length; k++) {
      if (fits(cmd.data.subarray(0, k)) && fits(cmd.data.subarray(k))) splits.push(k);
    }
    // A new PIN that breaks the rules is refused before the old one is tried: no try spent.
    if (splits.length === 0) return status(SW.WRONG_DATA);
    const k = splits.find((at) => pinMatches(pin, cmd.data.subarray(0, at)));
    if (k === undefined) {
      const left = pin.triesLeft - 1;
      this.#storePin(spec, { ...pin, triesLeft: left });
      this.#verified.delete(spec.fid);
      return status(SW.VERIFY_FAILED | left);
    }
    return this.#replacePin(spec, cmd.data.subarray(k));
  }

  /** The new PIN object in one image write; the PIN is to be verified again. */
  #replacePin(spec: PinSpec, value: Uint8Array): ResponseApdu {
    this.#storePin(spec, newPin(value.slice(), spec.maxTries));
    this.#verified.delete(spec.fid);
    return ok();
  }

  #pinImage(spec: PinSpec): PinImage {
    const p = this.card.image[this.spec.section].pins[fidKey(spec.fid)];
    // The constructor checked every PIN exists; a missing one reads as locked.
    return p ?? { salt: '', digest: '00'.repeat(32), maxTries: spec.maxTries, triesLeft: 0 };
  }

  #storePin(spec: PinSpec, pin: PinImage): void {
    this.card.update((img) => withPin(img, this.spec.section, spec.fid, pin));
  }
}

/**
 * Response data as ISO 7816-4 allows it: none when the command had no Le field
 * (Ne = 0), at most Ne bytes otherwise. A host that wants the FCI sends Le.
 */
function withinNe(cmd: CommandApdu, data: Uint8Array): ResponseApdu {
  if (cmd.ne === undefined) return ok();
  return ok(data.subarray(0, Math.min(cmd.ne, data.length)));
}

/** True when `value` (ASCII bytes) meets the PIN's format (4 digits, the sign password's rule…). */
export function meetsFormat(spec: PinSpec, value: Uint8Array): boolean {
  if (value.some((b) => b < 0x20 || b > 0x7e)) return false;
  return spec.format.pattern.test(String.fromCharCode(...value));
}

function missing(spec: DfSpec, what: string): never {
  throw new CardImageError('CARD_IMAGE_INVALID', {
    en: `card image lacks ${what} of ${spec.label}`,
    ja: `カードイメージに ${spec.label} の ${what} がありません`,
  });
}
