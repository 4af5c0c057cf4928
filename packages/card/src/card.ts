/**
 * The emulated My Number Card: routes APDUs to applets. Applets are added by the
 * card factory (fixed APs) and by the free areas (card APs installed later).
 */
import {
  ApduError,
  SW,
  encodeResponse,
  isValidStatusWord,
  parseCommand,
  status,
  bytesEqual,
  fromHex,
  type CommandApdu,
  type ResponseApdu,
} from '@myna-ap/apdu';
import type { Applet } from './applet.ts';
import type { CardImage } from './image.ts';
import { installFixedApplets } from './apps/install.ts';
import { attachFreeAreas } from './freeArea/attach.ts';
import { attachIssuerDomain } from './issuerDomain/applet.ts';

/** ATR of the real card; OpenSC's JPKI driver matches on it (see CARD.md). */
export const MYNA_ATR = fromHex('3BE000FF8131FE4514');

export class Card {
  readonly atr: Uint8Array = MYNA_ATR;
  #applets: Applet[] = [];
  #selected: Applet | undefined;
  #image: CardImage;
  #generation = 0;

  /**
   * A card holding `image` with no applets yet. Use `Card.fromImage` for a card
   * with every application installed.
   */
  constructor(image: CardImage) {
    this.#image = image;
  }

  /** Builds the card and all its applets from a (validated) image. */
  static fromImage(img: CardImage): Card {
    const card = new Card(img);
    installFixedApplets(card);
    attachFreeAreas(card);
    attachIssuerDomain(card);
    return card;
  }

  /** The current persistent state (non-volatile memory). Treat as immutable. */
  get image(): CardImage {
    return this.#image;
  }

  /** Grows by one on every persistent change; hosts save the card when it moves. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Replaces the persistent state with `fn(image)` in one assignment, so a
   * failure inside `fn` (or the host vanishing) leaves the old state whole
   * (anti-tearing). Returning the same object is a no-op.
   */
  update(fn: (img: CardImage) => CardImage): void {
    const next = fn(this.#image);
    if (next === this.#image) return;
    this.#image = next;
    this.#generation++;
  }

  /** Power cycle: like `reset()`, and every applet drops volatile or staged state. */
  powerOff(): void {
    for (const a of this.#applets) a.powerOff?.();
    this.reset();
  }

  /** Adds an applet. Its AID must be unique on the card. */
  addApplet(applet: Applet): void {
    if (this.#applets.some((a) => bytesEqual(a.aid, applet.aid))) {
      throw new Error(`duplicate applet AID on card: ${Buffer.from(applet.aid).toString('hex')}`);
    }
    this.#applets.push(applet);
  }

  /** Removes an applet (a deleted card AP). Deselects it first when selected. */
  removeApplet(aid: Uint8Array): void {
    if (this.#selected && bytesEqual(this.#selected.aid, aid)) {
      this.#selected.deselect();
      this.#selected = undefined;
    }
    this.#applets = this.#applets.filter((a) => !bytesEqual(a.aid, aid));
  }

  findApplet(aid: Uint8Array): Applet | undefined {
    return this.#applets.find((a) => bytesEqual(a.aid, aid));
  }

  get applets(): readonly Applet[] {
    return this.#applets;
  }

  /** Warm reset (or power cycle): nothing selected, every applet's security state cleared. */
  reset(): void {
    for (const a of this.#applets) a.deselect();
    this.#selected = undefined;
  }

  /**
   * One APDU in, one response out. Never throws: malformed input gets `67 00`,
   * an internal failure `6F 00`.
   */
  transmit(command: Uint8Array): Uint8Array {
    let res: ResponseApdu;
    try {
      res = this.process(parseCommand(command));
    } catch (e) {
      res = status(e instanceof ApduError ? SW.WRONG_LENGTH : SW.NO_PRECISE_DIAGNOSIS);
    }
    if (!isValidStatusWord(res.sw)) res = status(SW.NO_PRECISE_DIAGNOSIS);
    return encodeResponse(res);
  }

  process(cmd: CommandApdu): ResponseApdu {
    if (cmd.cla === 0xff) return status(SW.CLA_NOT_SUPPORTED);
    if ((cmd.cla & 0x03) !== 0) return status(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    if ((cmd.cla & 0x80) === 0 && cmd.ins === 0xa4 && cmd.p1 === 0x04)
      return this.#selectByName(cmd);
    if (!this.#selected) return status(SW.CONDITIONS_NOT_SATISFIED);
    return this.#selected.process(cmd);
  }

  #selectByName(cmd: CommandApdu): ResponseApdu {
    const target = this.#applets.find((a) => bytesEqual(a.aid, cmd.data));
    // ISO 7816-4: a failed SELECT leaves the current selection as it was.
    if (!target) return status(SW.FILE_NOT_FOUND);
    if (this.#selected && this.#selected !== target) this.#selected.deselect();
    else if (this.#selected === target) target.deselect();
    const res = target.select(cmd);
    this.#selected = res.sw === SW.OK ? target : undefined;
    return res;
  }
}
