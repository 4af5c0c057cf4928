/**
 * The security domain (SD) of one free area: opens the SCP03-style channel with
 * the area's keys and carries out card content management (カードAP搭載・削除)
 * inside it. Every byte is in packages/card/README.md (Free areas).
 *
 * Anti-tearing: an install spread over INSTALL + STORE DATA blocks is staged in
 * volatile memory (this object), and the card's persistent state changes in one
 * `card.update` at the commit point (the last block, or a DELETE). Deselect,
 * reset and power-off drop the staging and the channel.
 */
import {
  SW,
  SCP03_LEVEL,
  aid as toAid,
  bytesEqual,
  cardApModuleAid,
  concat,
  encodeGpTlv,
  fromHex,
  ok,
  parseGpTlvs,
  status,
  toHex,
  u16,
  CARD_AP_TYPE_CODE,
  type Aid,
  type AreaName,
  type CommandApdu,
  type ResponseApdu,
} from '@myna-ap/apdu';
import { SD_AUTH_TRIES } from '@myna-ap/profile';
import type { Applet } from '../applet.ts';
import {
  CardSecureChannel,
  isExternalAuthenticate,
  isInitializeUpdate,
} from '../gp/secureChannel.ts';
import { areaUsage, fits } from './capacity.ts';
import { withArea, type CardApImage, type FreeAreaImage } from './image.ts';
import {
  buildCardAp,
  isRefusal,
  parseInstallHeader,
  parsePersonalizeHeader,
  parsePinReset,
  type InstallHeader,
} from './install.ts';
import { writeCardAp, type FreeAreaStore } from './store.ts';

/** What the SD needs from the card besides its own state: the applet table. */
export interface AppletTable {
  /** True when any applet on the card (fixed AP, SD or card AP) has this AID. */
  hasApplet(aid: Uint8Array): boolean;
  /** Called after a committed install / delete to (un)register the card AP applet. */
  installed(area: AreaName, ap: CardApImage): void;
  deleted(aid: Uint8Array): void;
}

/** A multi-APDU operation waiting for its STORE DATA blocks (volatile). */
type Staging =
  | {
      readonly kind: 'install';
      readonly header: InstallHeader;
      readonly blocks: Uint8Array[];
      received: number;
    }
  | {
      readonly kind: 'personalize';
      readonly aidHex: string;
      readonly blocks: Uint8Array[];
      received: number;
    };

/** Largest personalisation stream (a PIN and its tries fit in a few bytes). */
const MAX_PERSONALIZE_BYTES = 64;

/** Plain-text bytes per GET STATUS response, so that R-ENC + R-MAC still fit 256. */
const STATUS_BATCH_BYTES = 200;

export class SecurityDomainApplet implements Applet {
  readonly aid: Aid;
  readonly label: string;
  readonly #channel: CardSecureChannel;
  #staging: Staging | undefined;
  #statusCursor = 0;

  constructor(
    readonly store: FreeAreaStore,
    readonly area: AreaName,
    readonly table: AppletTable,
  ) {
    const img = store.read()[area];
    this.aid = toAid(img.aid);
    this.label = area === 'local' ? 'SD 地域住民向け領域 (local)' : 'SD 拡張利用領域 (extended)';
    this.#channel = new CardSecureChannel({
      keys: () => {
        const k = this.#area().keys;
        return { enc: fromHex(k.enc), mac: fromHex(k.mac) };
      },
      keyVersion: img.keyVersion,
      kdd: () => fromHex(this.#area().kdd),
      minLevel: SCP03_LEVEL.C_MAC,
      attempts: {
        blocked: () => (this.#area().failedAuthentications ?? 0) >= SD_AUTH_TRIES,
        failed: () => this.#countFailures((n) => Math.min(n + 1, SD_AUTH_TRIES)),
        succeeded: () => this.#countFailures(() => 0),
      },
    });
  }

  #area(): FreeAreaImage {
    return this.store.read()[this.area];
  }

  /** Writes the failed-authentication count (no write when it does not move). */
  #countFailures(next: (n: number) => number): void {
    const now = this.#area().failedAuthentications ?? 0;
    const n = next(now);
    if (n === now) return;
    this.store.write((areas) =>
      withArea(areas, this.area, (a) => {
        const { failedAuthentications: _, ...rest } = a;
        return n === 0 ? rest : { ...rest, failedAuthentications: n };
      }),
    );
  }

  #drop(): void {
    this.#channel.drop();
    this.#staging = undefined;
    this.#statusCursor = 0;
  }

  select(cmd: CommandApdu): ResponseApdu {
    this.#drop();
    // FCI 6F { 84 <SD AID> }, only when asked (P2 00 with Le), never more than Ne.
    if (cmd.p2 === 0x0c || cmd.ne === undefined) return ok();
    return ok(encodeGpTlv(0x6f, encodeGpTlv(0x84, this.aid)).slice(0, cmd.ne));
  }

  deselect(): void {
    this.#drop();
  }

  powerOff(): void {
    this.#drop();
  }

  process(cmd: CommandApdu): ResponseApdu {
    if (isInitializeUpdate(cmd)) {
      this.#staging = undefined;
      return this.#channel.initializeUpdate(cmd);
    }
    if (isExternalAuthenticate(cmd)) return this.#channel.externalAuthenticate(cmd);
    if (this.#channel.level === undefined) {
      // No channel: only GET DATA (capacity, key information) is open to anyone.
      if (cmd.cla === 0x80 && cmd.ins === 0xca) return this.#getData(cmd);
      return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    }
    const u = this.#channel.unwrap(cmd);
    if (!u.ok) {
      this.#staging = undefined;
      return u.res;
    }
    const level = this.#channel.level ?? 0;
    const res = this.#manage(u.cmd, level);
    if (res.sw !== SW.OK && res.sw !== 0x6310) this.#staging = undefined;
    return this.#channel.wrap(res);
  }

  #manage(cmd: CommandApdu, level: number): ResponseApdu {
    if (cmd.cla !== 0x80) return status(SW.CLA_NOT_SUPPORTED);
    switch (cmd.ins) {
      case 0xe6:
        return this.#install(cmd, level);
      case 0xe2:
        return this.#storeData(cmd);
      case 0xe4:
        return this.#delete(cmd);
      case 0xf2:
        return this.#getStatus(cmd);
      case 0xca:
        return this.#getData(cmd);
      default:
        return status(SW.INS_NOT_SUPPORTED);
    }
  }

  /**
   * INSTALL [for install and make selectable] `80 E6 0C 00`, or
   * INSTALL [for personalization] `80 E6 20 00` (a card AP's new PIN follows).
   */
  #install(cmd: CommandApdu, level: number): ResponseApdu {
    this.#staging = undefined;
    if ((cmd.p1 !== 0x0c && cmd.p1 !== 0x20) || cmd.p2 !== 0x00) return status(SW.INCORRECT_P1P2);
    // Card AP keys and PINs travel in the data: C-DECRYPTION is required.
    if ((level & SCP03_LEVEL.C_DECRYPTION) === 0) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (cmd.p1 === 0x20) return this.#personalize(cmd);
    const h = parseInstallHeader(cmd.data);
    if (isRefusal(h)) return status(h.refused);
    const early = this.#admissible(h);
    if (early !== undefined) return status(early);
    if (h.streamLength === 0) return this.#commit(h, new Uint8Array(0));
    this.#staging = { kind: 'install', header: h, blocks: [], received: 0 };
    return ok();
  }

  /** INSTALL [for personalization]: names a card AP of this area that has a PIN. */
  #personalize(cmd: CommandApdu): ResponseApdu {
    const aid = parsePersonalizeHeader(cmd.data);
    if (isRefusal(aid)) return status(aid.refused);
    const ap = this.#area().cardAps.find((c) => c.aid === toHex(aid));
    if (!ap) return status(SW.REFERENCED_DATA_NOT_FOUND);
    if (!ap.pin) return status(SW.CONDITIONS_NOT_SATISFIED);
    this.#staging = { kind: 'personalize', aidHex: ap.aid, blocks: [], received: 0 };
    return ok();
  }

  /** Checks that need only the header: duplicate AID (6A 89), room (6A 84). */
  #admissible(h: InstallHeader): number | undefined {
    if (this.table.hasApplet(h.aid)) return SW.FILE_ALREADY_EXISTS;
    if (!fits(this.#area(), h.size)) return SW.NOT_ENOUGH_MEMORY;
    return undefined;
  }

  /** STORE DATA `80 E2 P1 P2`: P1 b8 = last block, P2 = block number from 00. */
  #storeData(cmd: CommandApdu): ResponseApdu {
    const s = this.#staging;
    if (!s) return status(SW.CONDITIONS_NOT_SATISFIED);
    if ((cmd.p1 & 0x7f) !== 0 || cmd.p2 !== s.blocks.length) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length === 0) return status(SW.WRONG_LENGTH);
    s.blocks.push(cmd.data);
    s.received += cmd.data.length;
    const last = (cmd.p1 & 0x80) !== 0;
    const limit = s.kind === 'install' ? s.header.streamLength : MAX_PERSONALIZE_BYTES;
    if (s.received > limit) return status(SW.WRONG_DATA);
    if (!last) return ok();
    this.#staging = undefined;
    if (s.kind === 'personalize') return this.#commitPin(s.aidHex, concat(...s.blocks));
    if (s.received !== s.header.streamLength) return status(SW.WRONG_DATA);
    return this.#commit(s.header, concat(...s.blocks));
  }

  /** Commit of a personalisation: the card AP's PIN replaced, every try back (ロック解除). */
  #commitPin(aidHex: string, stream: Uint8Array): ResponseApdu {
    const pin = parsePinReset(stream);
    if (isRefusal(pin)) return status(pin.refused);
    if (!this.#area().cardAps.some((c) => c.aid === aidHex))
      return status(SW.REFERENCED_DATA_NOT_FOUND);
    writeCardAp(this.store, this.area, aidHex, (c) => ({ ...c, pin }));
    return ok();
  }

  /** The commit point: one `card.update`, then the applet table follows. */
  #commit(h: InstallHeader, stream: Uint8Array): ResponseApdu {
    const ap = buildCardAp(h, stream);
    if (isRefusal(ap)) return status(ap.refused);
    const again = this.#admissible(h); // state may have moved since INSTALL
    if (again !== undefined) return status(again);
    this.store.write((areas) =>
      withArea(areas, this.area, (a) => ({ ...a, cardAps: [...a.cardAps, ap] })),
    );
    this.table.installed(this.area, ap);
    return ok();
  }

  /** DELETE `80 E4 00 00 Lc 4F L AID`. */
  #delete(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x00 || (cmd.p2 !== 0x00 && cmd.p2 !== 0x80)) return status(SW.INCORRECT_P1P2);
    let aidBytes: Uint8Array;
    try {
      const t = parseGpTlvs(cmd.data);
      if (t.length !== 1 || t[0]!.tag !== 0x4f) return status(SW.WRONG_DATA);
      aidBytes = t[0]!.value;
    } catch {
      return status(SW.WRONG_DATA);
    }
    const hex = toHex(aidBytes);
    // Only this area's card APs: an SD cannot delete the other area's, nor fixed APs.
    if (!this.#area().cardAps.some((c) => c.aid === hex))
      return status(SW.REFERENCED_DATA_NOT_FOUND);
    this.store.write((areas) =>
      withArea(areas, this.area, (a) => ({
        ...a,
        cardAps: a.cardAps.filter((c) => c.aid !== hex),
      })),
    );
    this.table.deleted(aidBytes);
    return ok();
  }

  /** GET STATUS `80 F2 40 02|03 Lc 4F 00|4F L AID-prefix`. */
  #getStatus(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x40) return status(SW.INCORRECT_P1P2);
    if (cmd.p2 !== 0x02 && cmd.p2 !== 0x03) return status(SW.INCORRECT_P1P2);
    let prefix: Uint8Array;
    try {
      const t = parseGpTlvs(cmd.data);
      if (t.length !== 1 || t[0]!.tag !== 0x4f) return status(SW.WRONG_DATA);
      prefix = t[0]!.value;
    } catch {
      return status(SW.WRONG_DATA);
    }
    const matching = this.#area().cardAps.filter((c) => {
      const a = fromHex(c.aid);
      return a.length >= prefix.length && bytesEqual(a.subarray(0, prefix.length), prefix);
    });
    if (cmd.p2 === 0x02) this.#statusCursor = 0;
    if (matching.length === 0 && cmd.p2 === 0x02) return status(SW.REFERENCED_DATA_NOT_FOUND);
    const out: Uint8Array[] = [];
    let bytes = 0;
    let i = this.#statusCursor;
    for (; i < matching.length; i++) {
      const e = statusEntry(matching[i]!);
      if (out.length > 0 && bytes + e.length > STATUS_BATCH_BYTES) break;
      out.push(e);
      bytes += e.length;
    }
    this.#statusCursor = i;
    if (out.length === 0) return status(SW.REFERENCED_DATA_NOT_FOUND);
    return { data: concat(...out), sw: i < matching.length ? 0x6310 : SW.OK };
  }

  /** GET DATA `80 CA FF 21` (capacity) or `80 CA 00 E0` (key information). */
  #getData(cmd: CommandApdu): ResponseApdu {
    const a = this.#area();
    if (cmd.p1 === 0xff && cmd.p2 === 0x21) {
      const u = areaUsage(a);
      return ok(
        encodeGpTlv(
          0xff21,
          concat(
            encodeGpTlv(0x81, u16(u.cardAps)),
            encodeGpTlv(0x82, u32(u.free)),
            encodeGpTlv(0xc0, u32(u.total)),
            encodeGpTlv(0xc1, u32(u.used)),
          ),
        ),
      );
    }
    if (cmd.p1 === 0x00 && cmd.p2 === 0xe0) {
      // Key information template: key IDs 1..3 (ENC, MAC, DEK), AES (88), 16 bytes.
      const kv = a.keyVersion;
      return ok(
        encodeGpTlv(
          0xe0,
          concat(...[1, 2, 3].map((id) => encodeGpTlv(0xc0, Uint8Array.of(id, kv, 0x88, 0x10)))),
        ),
      );
    }
    return status(SW.REFERENCED_DATA_NOT_FOUND);
  }
}

function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** `E3 { 4F AID, 9F70 07, C5 00, 84 module AID, DF20 type, DF21 size, DF22 provider }`. */
function statusEntry(ap: CardApImage): Uint8Array {
  return encodeGpTlv(
    0xe3,
    concat(
      encodeGpTlv(0x4f, fromHex(ap.aid)),
      encodeGpTlv(0x9f70, Uint8Array.of(0x07)),
      encodeGpTlv(0xc5, Uint8Array.of(0x00)),
      encodeGpTlv(0x84, cardApModuleAid(ap.type)),
      encodeGpTlv(0xdf20, Uint8Array.of(CARD_AP_TYPE_CODE[ap.type])),
      encodeGpTlv(0xdf21, u16(ap.size)),
      encodeGpTlv(0xdf22, fromHex(ap.providerId)),
    ),
  );
}
