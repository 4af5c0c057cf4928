/**
 * Host side of the free areas over any transport: open an SCP03-style channel to
 * a security domain or a card AP, and read card APs of types A, C, D (the access
 * module and the loading system build on this). No I/O of its own: the caller
 * passes `transmit`, so a PC/SC reader, the in-process emulator or a remote relay
 * all work the same.
 */
import { concat } from './bytes.ts';
import { command, encodeCommand, type CommandApdu } from './command.ts';
import { CardStatusError, parseResponse, type ResponseApdu } from './response.ts';
import {
  AREA_CODE,
  CARD_AP_MAX_SIZE,
  EXTENDED_SD_AID,
  LOCAL_SD_AID,
  USER_ID_LENGTH,
  deleteCommand,
  getCapacityCommand,
  getStatusCommand,
  installCommands,
  parseCapacity,
  parseGetStatus,
  parseGpTlvs,
  resetPinCommands,
  selectAidCommand,
  type AreaCapacity,
  type AreaMasterKeys,
  type AreaName,
  type CardApInstallSpec,
  type CardApKeys,
  type CardApStatusEntry,
  type CardApType,
  type GpTlv,
} from './gp.ts';
import { Scp03Host, diversifyScp03Keys, type Scp03HostOptions } from './scp03.ts';
import { SW } from './status.ts';

/** Sends one command APDU and returns the response bytes. */
export type Transmit = (apdu: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** Key version of card AP key sets (INITIALIZE UPDATE P1). */
export const CARD_AP_KEY_VERSION = 0x01;
/** VERIFY P2 of a card AP's PIN. */
export const CARD_AP_PIN_REFERENCE = 0x81;

export async function sendPlain(transmit: Transmit, cmd: CommandApdu): Promise<ResponseApdu> {
  return parseResponse(await transmit(encodeCommand(cmd)));
}

/** An open secure channel: `send` wraps, transmits and unwraps. */
export interface SecureSession {
  readonly host: Scp03Host;
  send(cmd: CommandApdu): Promise<ResponseApdu>;
}

/**
 * SELECT `aid`, then INITIALIZE UPDATE + EXTERNAL AUTHENTICATE. Throws
 * `CardStatusError` when the card refuses a step, `Scp03Error` when the card does
 * not prove the keys.
 */
export async function openSecureSession(
  transmit: Transmit,
  aid: Uint8Array,
  options: Scp03HostOptions,
): Promise<SecureSession> {
  const sel = await sendPlain(transmit, selectAidCommand(aid));
  if (sel.sw !== SW.OK) throw new CardStatusError(sel.sw, 'SELECT');
  const host = new Scp03Host(options);
  const ea = host.onInitUpdateResponse(await transmit(host.begin()));
  host.onExternalAuthResponse(await transmit(ea));
  return {
    host,
    send: async (cmd) => host.unwrap(await transmit(host.wrap(cmd))),
  };
}

export interface CardApContent {
  readonly userId: Uint8Array; // 利用者ID
  /** Type C: the info TLVs after the user ID; type D: the bytes after it. */
  readonly data: Uint8Array;
  /** Type C: `data` parsed. */
  readonly items?: readonly GpTlv[];
  /** Type A: records 2..n. */
  readonly records?: readonly Uint8Array[];
}

export interface ReadCardApOptions {
  readonly aid: Uint8Array;
  readonly type: Exclude<CardApType, 'custom'>;
  /** Card AP keys (types A and D). */
  readonly keys?: CardApKeys;
  /** The card AP's PIN, ASCII bytes (types A and D). */
  readonly pin?: Uint8Array;
}

function expect(r: ResponseApdu, what: string): Uint8Array {
  if (r.sw !== SW.OK) throw new CardStatusError(r.sw, what);
  return r.data;
}

/** Reads a binary EF until its end (chunks that fit R-ENC + R-MAC in 256 bytes). */
async function readAll(
  send: (c: CommandApdu) => Promise<ResponseApdu>,
  max: number,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let off = 0;
  const chunk = 200;
  while (off < max) {
    const r = await send(
      command({ cla: 0x00, ins: 0xb0, p1: off >> 8, p2: off & 0xff, ne: chunk }),
    );
    if (r.sw === SW.WRONG_P1P2 && off > 0) break;
    const d = expect(r, 'READ BINARY');
    parts.push(d);
    off += d.length;
    if (d.length < chunk) break;
  }
  return concat(...parts);
}

/**
 * Reads a card AP: type C freely; A and D after mutual authentication with the
 * card AP keys (level 11 for A, 33 for D: encrypted responses) and VERIFY of its
 * PIN. A wrong PIN throws `CardStatusError` with `63 Cx` (x tries left); a locked
 * one `69 83`.
 */
export async function readCardAp(transmit: Transmit, o: ReadCardApOptions): Promise<CardApContent> {
  if (o.type === 'C') {
    const sel = await sendPlain(transmit, selectAidCommand(o.aid));
    expect(sel, 'SELECT card AP');
    const b = await readAll((c) => sendPlain(transmit, c), CARD_AP_MAX_SIZE.C);
    const tlvs = parseGpTlvs(b);
    const first = tlvs[0];
    if (!first || first.tag !== 0x80 || first.value.length !== USER_ID_LENGTH) {
      throw new CardStatusError(
        SW.WRONG_DATA,
        'type C content does not begin with 80 0D <user ID>',
      );
    }
    const data = b.slice(2 + USER_ID_LENGTH);
    return { userId: first.value, data, items: tlvs.slice(1) };
  }
  if (!o.keys || !o.pin) {
    throw new CardStatusError(SW.SECURITY_STATUS_NOT_SATISFIED, 'type A/D needs keys and PIN');
  }
  const s = await openCardAp(transmit, {
    aid: o.aid,
    keys: o.keys,
    pin: o.pin,
    level: o.type === 'D' ? 0x33 : 0x11,
  });
  if (o.type === 'D') {
    const b = await s.readBinary(CARD_AP_MAX_SIZE.D);
    return { userId: b.slice(0, USER_ID_LENGTH), data: b.slice(USER_ID_LENGTH) };
  }
  const records: Uint8Array[] = [];
  for (let n = 1; n <= 254; n++) {
    try {
      records.push(await s.readRecord(n));
    } catch (e) {
      if (e instanceof CardStatusError && e.sw === SW.RECORD_NOT_FOUND) break;
      throw e;
    }
  }
  const [userId, ...rest] = records;
  if (!userId || userId.length !== USER_ID_LENGTH) {
    throw new CardStatusError(SW.RECORD_NOT_FOUND, 'type A record 1 is not a 13-byte user ID');
  }
  return { userId, data: concat(...rest), records: rest };
}

// ---------------------------------------------------------------------------
// An authenticated card AP session: what a provider's business system uses to
// read and write its own card AP (types A, D and custom).

export interface CardApSession {
  /** READ RECORD n (type A). */
  readRecord(n: number): Promise<Uint8Array>;
  /** UPDATE RECORD n (type A; record 1, the user ID, is read-only). */
  updateRecord(n: number, data: Uint8Array): Promise<void>;
  /** SELECT EF (custom card APs). */
  selectEf(fid: number): Promise<void>;
  /** The whole binary EF (type D, or the selected EF of a custom card AP). */
  readBinary(max?: number): Promise<Uint8Array>;
  /** UPDATE BINARY at `offset` (not over the user ID). */
  updateBinary(offset: number, data: Uint8Array): Promise<void>;
}

export interface OpenCardApOptions {
  readonly aid: Uint8Array;
  readonly keys: CardApKeys;
  /** The card AP's PIN (ASCII bytes). */
  readonly pin: Uint8Array;
  /** Channel level: 11 (type A, protected EFs) or 33 (type D, encrypted EFs); default 33. */
  readonly level?: number;
}

/**
 * SELECT + mutual authentication with the card AP keys + VERIFY of its PIN.
 * Throws `Scp03Error` for wrong keys (another provider's card AP), and
 * `CardStatusError` for a wrong PIN (`63 Cx`) or a locked one (`69 83`).
 */
export async function openCardAp(transmit: Transmit, o: OpenCardApOptions): Promise<CardApSession> {
  const s = await openSecureSession(transmit, o.aid, {
    keys: o.keys,
    keyVersion: CARD_AP_KEY_VERSION,
    level: o.level ?? 0x33,
  });
  expect(
    await s.send(
      command({ cla: 0x00, ins: 0x20, p1: 0x00, p2: CARD_AP_PIN_REFERENCE, data: o.pin }),
    ),
    'VERIFY',
  );
  return {
    readRecord: async (n) =>
      expect(
        await s.send(command({ cla: 0x00, ins: 0xb2, p1: n, p2: 0x04, ne: 256 })),
        `READ RECORD ${n}`,
      ),
    updateRecord: async (n, data) => {
      expect(
        await s.send(command({ cla: 0x00, ins: 0xdc, p1: n, p2: 0x04, data })),
        `UPDATE RECORD ${n}`,
      );
    },
    selectEf: async (fid) => {
      expect(
        await s.send(
          command({
            cla: 0x00,
            ins: 0xa4,
            p1: 0x02,
            p2: 0x0c,
            data: Uint8Array.of(fid >> 8, fid & 0xff),
          }),
        ),
        'SELECT EF',
      );
    },
    readBinary: (max = 0x7fff) => readAll((c) => s.send(c), max),
    updateBinary: async (offset, data) => {
      // Chunks that still fit a short APDU after padding and C-MAC.
      for (let i = 0; i < data.length; i += 200) {
        const at = offset + i;
        expect(
          await s.send(
            command({
              cla: 0x00,
              ins: 0xd6,
              p1: at >> 8,
              p2: at & 0xff,
              data: data.subarray(i, i + 200),
            }),
          ),
          'UPDATE BINARY',
        );
      }
    },
  };
}

// ---------------------------------------------------------------------------
// Card content management of an area, for the loading system.

/**
 * Opens the SD channel of an area the way a key store does: the card's keys are
 * diversified from the area master keys with the KDD the card sends.
 */
export function openAreaSession(
  transmit: Transmit,
  area: AreaName,
  masters: AreaMasterKeys,
  level = 0x33,
): Promise<SecureSession> {
  return openSecureSession(transmit, areaSdAid(area), areaHostOptions(area, masters, level));
}

/** The AID of a free area's security domain. */
export function areaSdAid(area: AreaName): Uint8Array {
  return area === 'local' ? LOCAL_SD_AID : EXTENDED_SD_AID;
}

/** How the host opens a free area's channel: keys diversified per card from the area masters. */
export function areaHostOptions(
  area: AreaName,
  masters: AreaMasterKeys,
  level = 0x33,
): Scp03HostOptions {
  return {
    keys: (kdd) => diversifyScp03Keys(masters[area], kdd, AREA_CODE[area]),
    keyVersion: AREA_KEY_VERSION,
    level,
  };
}

async function sendAll(
  s: SecureSession,
  cmds: readonly CommandApdu[],
  what: string,
): Promise<void> {
  for (const c of cmds) expect(await s.send(c), what);
}

/**
 * Installs a card AP (one INSTALL, or INSTALL + STORE DATA blocks). Refusals throw
 * `CardStatusError`: `6A 84` no room (ask `areaCapacity`), `6A 89` AID exists,
 * `6A 80` bad parameters.
 */
export function installCardAp(s: SecureSession, spec: CardApInstallSpec): Promise<void> {
  return sendAll(s, installCommands(spec), 'INSTALL');
}

/** Deletes a card AP of the area; `6A 88` when it is not there. */
export function deleteCardAp(s: SecureSession, aid: Uint8Array): Promise<void> {
  return sendAll(s, [deleteCommand(aid)], 'DELETE');
}

/** Resets a card AP's PIN (all tries back). */
export function resetCardApPin(
  s: SecureSession,
  aid: Uint8Array,
  pin: Uint8Array,
  tries?: number,
): Promise<void> {
  return sendAll(s, resetPinCommands(aid, pin, tries), 'PIN reset');
}

/** Every card AP of the area (follows `63 10` pages). */
export async function listCardAps(s: SecureSession): Promise<CardApStatusEntry[]> {
  const out: CardApStatusEntry[] = [];
  let r = await s.send(getStatusCommand(false));
  if (r.sw === SW.REFERENCED_DATA_NOT_FOUND) return out;
  for (let page = 0; ; page++) {
    if (r.sw !== SW.OK && r.sw !== 0x6310) throw new CardStatusError(r.sw, 'GET STATUS');
    out.push(...parseGetStatus(r.data));
    if (r.sw === SW.OK || page > 255) return out;
    r = await s.send(getStatusCommand(true));
  }
}

/** Capacity of the area (total / used / free bytes, number of card APs). */
export async function areaCapacity(s: SecureSession): Promise<AreaCapacity> {
  return parseCapacity(expect(await s.send(getCapacityCommand()), 'GET DATA'));
}

/** Key version number of the area key sets. */
export const AREA_KEY_VERSION = 0x30;
