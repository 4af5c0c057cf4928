/**
 * The APDU conversation with one card over a CardChannel: SELECT by DF name and
 * FID, READ BINARY of whole EFs with the largest Le the channel carries, VERIFY.
 * It remembers the current DF and EF so repeated operations send no redundant
 * SELECT (fewer APDUs: every one costs a round trip on a contactless card).
 */
import {
  SW,
  command,
  encodeCommand,
  parseResponse,
  peekTlvHeader,
  swTriesLeft,
  type CommandInit,
  type ResponseApdu,
  type Transmit,
} from '@myna-ap/apdu';
import type { CardChannel } from '@myna-ap/transport';
import type { Text } from '@myna-ap/text';
import { AccessError, badData, cardError } from './errors.ts';

/** Highest offset READ BINARY can address with P1-P2 (P1 bit 8 means SFI). */
const MAX_OFFSET = 0x7fff;

/**
 * What a session needs of the way to the card: a whole `CardChannel`, or only its
 * `transmit` (a relayed APDU pipe: then short Le, and no removal events).
 */
export type CardLink =
  | CardChannel
  | {
      readonly transmit: Transmit;
      readonly maxResponseLength?: number;
    };

export class CardSession {
  readonly #transmit: Transmit;
  #apdus = 0;
  #df: string | undefined;
  #ef: number | undefined;
  /** Largest Ne to ask for; lowered to 256 if the card refuses extended Le. */
  #chunk: number;

  constructor(link: CardLink) {
    this.#transmit = (apdu) => link.transmit(apdu);
    this.#chunk = Math.min(link.maxResponseLength ?? 256, 0x10000);
    if ('on' in link) link.on('removed', () => this.forget());
  }

  /** Command APDUs sent through this session. */
  get apduCount(): number {
    return this.#apdus;
  }

  /** Forgets the selection (after a reset, a removal, or any unexpected answer). */
  forget(): void {
    this.#df = undefined;
    this.#ef = undefined;
  }

  /**
   * The bare APDU pipe under this session, for a secure channel of its own (a
   * security domain's): every APDU through it may move the card's selection, so
   * the session forgets its own.
   */
  pipe(): Transmit {
    return (apdu) => {
      this.#apdus++;
      this.forget();
      return this.#transmit(apdu);
    };
  }

  async send(init: CommandInit): Promise<ResponseApdu> {
    this.#apdus++;
    const res = parseResponse(await this.#transmit(encodeCommand(command(init))));
    if (res.sw !== SW.OK && swTriesLeft(res.sw) === undefined) this.forget();
    return res;
  }

  /** SELECT by DF name (`00 A4 04 0C`), skipped when that DF is current. */
  async selectDf(aid: Uint8Array, what: Text): Promise<void> {
    const key = Buffer.from(aid).toString('hex');
    if (this.#df === key) return;
    this.forget();
    const r = await this.send({ ins: 0xa4, p1: 0x04, p2: 0x0c, data: aid });
    if (r.sw === SW.FILE_NOT_FOUND) {
      throw new AccessError(
        'NOT_MYNA_CARD',
        {
          en: `${what.en} is not on this card (is it a My Number Card?)`,
          ja: `このカードに${what.ja}がありません（マイナンバーカードですか？）`,
        },
        { sw: r.sw },
      );
    }
    if (r.sw !== SW.OK) throw cardError(r.sw, what);
    this.#df = key;
  }

  /** SELECT EF by FID (`00 A4 02 0C 02 FID`) in the current DF, skipped when current. */
  async selectEf(fid: number, what: Text): Promise<void> {
    if (this.#ef === fid) return;
    const r = await this.send({
      ins: 0xa4,
      p1: 0x02,
      p2: 0x0c,
      data: Uint8Array.of(fid >> 8, fid & 0xff),
    });
    if (r.sw !== SW.OK) throw cardError(r.sw, what);
    this.#ef = fid;
  }

  /**
   * One READ BINARY of up to `ne` bytes; falls back to short Le if extended is
   * refused. With `sfi` it reads from the start of that EF of the current DF
   * (`P1 = 80|SFI`, ISO 7816-4 §11.2.3) and makes it the current EF: no SELECT EF.
   */
  async readBinary(offset: number, ne: number, sfi?: number): Promise<ResponseApdu> {
    const want = Math.min(ne, this.#chunk);
    const p1 = sfi === undefined ? offset >> 8 : 0x80 | sfi;
    const p2 = sfi === undefined ? offset & 0xff : 0;
    const r = await this.send({ ins: 0xb0, p1, p2, ne: want });
    if (r.sw === SW.WRONG_LENGTH && want > 256) {
      this.#chunk = 256;
      return this.readBinary(offset, ne, sfi);
    }
    if ((r.sw & 0xff00) === 0x6c00 && (r.sw & 0xff) > 0 && (r.sw & 0xff) < want) {
      return this.readBinary(offset, r.sw & 0xff, sfi); // 6C xx: exact length is xx
    }
    if (sfi !== undefined && r.sw === SW.OK) this.#ef = sfi;
    return r;
  }

  /**
   * Reads a whole TLV-structured EF (a DER certificate, `FF 20 …`): the first
   * read also carries the header, which says how much is left. With `sfi` the
   * first read addresses the EF by its short identifier (no SELECT EF first).
   */
  async readTlvEf(what: Text, sfi?: number): Promise<Uint8Array> {
    const first = await this.readBinary(0, this.#chunk, sfi);
    this.#check(first, what);
    let head;
    try {
      head = peekTlvHeader(first.data);
    } catch (e) {
      throw badData(what, (e as Error).message);
    }
    if (!head) throw badData(what, `${first.data.length} bytes, no TLV header`);
    const total = head.headerLength + head.length;
    if (total > MAX_OFFSET + 1) throw badData(what, `TLV of ${total} bytes`);
    const parts = [first.data];
    let have = first.data.length;
    while (have < total) {
      const r = await this.readBinary(have, total - have);
      if (r.sw === SW.WRONG_P1P2) throw badData(what, `EF ends at ${have}, TLV says ${total}`);
      this.#check(r, what);
      if (r.data.length === 0) throw badData(what, `empty read at ${have}`);
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

  /** Reads a fixed-size EF of `size` bytes (e.g. the 32-byte token info). */
  async readFixedEf(size: number, what: Text): Promise<Uint8Array> {
    const out = new Uint8Array(size);
    let have = 0;
    while (have < size) {
      const r = await this.readBinary(have, size - have);
      if (r.sw === SW.WRONG_P1P2 && have > 0) break;
      this.#check(r, what);
      if (r.data.length === 0) break;
      out.set(r.data.subarray(0, size - have), have);
      have += r.data.length;
    }
    return out.subarray(0, have);
  }

  #check(r: ResponseApdu, what: Text): void {
    if (r.sw === SW.OK) return;
    if (r.sw === SW.SECURITY_STATUS_NOT_SATISFIED) {
      throw new AccessError(
        'PIN_REQUIRED',
        {
          en: `${what.en}: verify the PIN first`,
          ja: `${what.ja}: 先に暗証番号を照合してください`,
        },
        { sw: r.sw },
      );
    }
    throw cardError(r.sw, what);
  }
}
