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
import { CardImageError, fidKey, pinMatches, withPin, type PinImage } from '../image.ts';
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
      if (section.files[fidKey(ef.fid)] === undefined) missing(spec, `EF ${fidKey(ef.fid)}`);
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
      default:
        return status(SW.INS_NOT_SUPPORTED);
    }
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
    const ef = this.spec.efs.find((e) => match(e.fid));
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

function missing(spec: DfSpec, what: string): never {
  throw new CardImageError('CARD_IMAGE_INVALID', {
    en: `card image lacks ${what} of ${spec.label}`,
    ja: `カードイメージに ${spec.label} の ${what} がありません`,
  });
}
