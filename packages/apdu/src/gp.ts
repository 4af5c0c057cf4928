/**
 * Card content management of the free areas (カードAP搭載・削除), host side and pure:
 * the AIDs, the INSTALL / STORE DATA / DELETE / GET STATUS / GET DATA commands and
 * their response parsers. The commands are GlobalPlatform-shaped; every byte is in
 * packages/card/README.md (Free areas). Send them through an `Scp03Host` (they need the
 * area's secure channel), except GET DATA which may also go in plain.
 */
import { ApduError, concat, toHex, u16 } from './bytes.ts';
import { command, type CommandApdu } from './command.ts';
import { AID_LENGTH, aidLengthOk } from './aid.ts';
import { encodeTlv } from './tlv.ts';
import type { GpErrorCode } from './errors.ts';

// ---------------------------------------------------------------------------
// AIDs. RID F0 4D 59 4E 41 ("F" = proprietary, not registered; 4D594E41 = "MYNA").

export const MYNA_RID = Uint8Array.of(0xf0, 0x4d, 0x59, 0x4e, 0x41);
/** 地域住民向け領域 security domain. */
export const LOCAL_SD_AID = Uint8Array.of(0xf0, 0x4d, 0x59, 0x4e, 0x41, 0x53, 0x44, 0x01);
/** 拡張利用領域 security domain. */
export const EXTENDED_SD_AID = Uint8Array.of(0xf0, 0x4d, 0x59, 0x4e, 0x41, 0x53, 0x44, 0x02);
/** Executable load file holding the card AP kinds ("CA"). */
export const CARD_AP_LOAD_FILE_AID = Uint8Array.of(0xf0, 0x4d, 0x59, 0x4e, 0x41, 0x43, 0x41);

/** カードAPの種類: 業務タイプA, タイプC (共通カードAP型), 業務タイプD, 独自カードAP. */
export type CardApType = 'A' | 'C' | 'D' | 'custom';
export const CARD_AP_TYPES: readonly CardApType[] = ['A', 'C', 'D', 'custom'];
export const CARD_AP_TYPE_CODE: Readonly<Record<CardApType, number>> = {
  A: 0x0a,
  C: 0x0c,
  D: 0x0d,
  custom: 0x0f,
};

export function cardApTypeFromCode(code: number): CardApType | undefined {
  return CARD_AP_TYPES.find((t) => CARD_AP_TYPE_CODE[t] === code);
}

/** Executable module AID of a card AP type: load file AID ‖ type code. */
export function cardApModuleAid(type: CardApType): Uint8Array {
  return concat(CARD_AP_LOAD_FILE_AID, Uint8Array.of(CARD_AP_TYPE_CODE[type]));
}

/** Size limits of seeds/000 and 002 (bytes of card AP content, user ID included). */
export const CARD_AP_MAX_SIZE: Readonly<Record<CardApType, number>> = {
  A: 255,
  C: 33,
  D: 255,
  custom: 4096,
};

/** The 13-byte user ID (利用者ID). */
export const USER_ID_LENGTH = 13;

// ---------------------------------------------------------------------------
// Minimal BER-TLV for the management data (tags of 1 or 2 bytes, lengths up to 82 xx xx).

export interface GpTlv {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** GlobalPlatform data objects are BER-TLV: the name under which gp code calls `encodeTlv`. */
export const encodeGpTlv: (tag: number, value: Uint8Array) => Uint8Array = encodeTlv;

/** Parses a sequence of BER-TLVs; malformed input raises `ApduError` (TLV_*). */
export function parseGpTlvs(b: Uint8Array): GpTlv[] {
  const out: GpTlv[] = [];
  let i = 0;
  while (i < b.length) {
    let tag = b[i++]!;
    if (tag === 0x00) {
      throw new ApduError('TLV_BAD_TAG', `tag ${tag.toString(16)} at offset ${i - 1}`);
    }
    if ((tag & 0x1f) === 0x1f) {
      const t2 = b[i++];
      if (t2 === undefined) throw new ApduError('TLV_TRUNCATED', 'tag truncated');
      if ((t2 & 0x80) !== 0)
        throw new ApduError('TLV_BAD_TAG', 'tags of more than 2 bytes are not used');
      tag = (tag << 8) | t2;
    }
    const l0 = b[i++];
    if (l0 === undefined) throw new ApduError('TLV_TRUNCATED', 'length missing');
    let len = l0;
    if (l0 === 0x81 || l0 === 0x82) {
      const k = l0 & 0x7f;
      if (i + k > b.length) throw new ApduError('TLV_TRUNCATED', 'length truncated');
      len = k === 1 ? b[i]! : (b[i]! << 8) | b[i + 1]!;
      i += k;
    } else if (l0 >= 0x80) {
      throw new ApduError('TLV_BAD_LENGTH', `length byte ${l0.toString(16)}`);
    }
    if (i + len > b.length)
      throw new ApduError('TLV_TRUNCATED', `value of tag ${tag.toString(16)} truncated`);
    out.push({ tag, value: b.slice(i, i + len) });
    i += len;
  }
  return out;
}

// ---------------------------------------------------------------------------
// INSTALL parameters (tags inside C9 and the STORE DATA stream).

export const INSTALL_TAG = {
  SIZE: 0x81,
  PROVIDER: 0x82,
  USER_ID: 0x83,
  KEY_ENC: 0x84,
  KEY_MAC: 0x85,
  PIN: 0x86,
  PIN_TRIES: 0x87,
  DATA: 0x88,
  RECORD: 0x89,
  STREAM_LENGTH: 0x8f,
  EF: 0xa0,
} as const;

/** EF-level tags inside an `A0` EF template of a custom card AP. */
export const EF_TAG = { FID: 0x80, SIZE: 0x81, ACCESS: 0x82, CONTENT: 0x83 } as const;

/**
 * Read access of an EF of a custom card AP: free (like type C), after mutual
 * authentication + PIN (like type A), or that plus encrypted reads (like type D).
 */
export type EfAccess = 'free' | 'protected' | 'encrypted';
export const EF_ACCESS_CODE: Readonly<Record<EfAccess, number>> = {
  free: 0x00,
  protected: 0x01,
  encrypted: 0x02,
};

export interface CustomEfSpec {
  readonly fid: number;
  readonly size: number;
  readonly access: EfAccess;
  readonly content?: Uint8Array;
}

/** The card AP keys for mutual authentication (types A, D, protected custom EFs). */
export interface CardApKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
}

/** Everything the loading system sends to install one card AP. */
export interface CardApInstallSpec {
  readonly aid: Uint8Array;
  readonly type: CardApType;
  /** Bytes reserved in the area for the card AP's content (user ID included). */
  readonly size: number;
  /** サービス提供者 ID, 1..16 bytes. */
  readonly providerId: Uint8Array;
  /** 利用者ID, 13 bytes, random and unique (chosen by the loading system). */
  readonly userId: Uint8Array;
  readonly keys?: CardApKeys;
  /** The card AP's PIN (ASCII bytes, 4..16), for types A, D and protected custom EFs. */
  readonly pin?: Uint8Array;
  /** PIN tries before lock (1..15), default 3. */
  readonly pinTries?: number;
  /** Type C: BER-TLV info items after the user ID; type D: bytes after the user ID. */
  readonly data?: Uint8Array;
  /** Type A: records 2..n (record 1 is the user ID). */
  readonly records?: readonly Uint8Array[];
  /** Custom: the EF layout of the provider's input file. The user ID opens the first EF. */
  readonly efs?: readonly CustomEfSpec[];
}

/** Encodes the parameters of a card AP (without size/provider, which `installCommands` adds). */
export function encodeInstallBody(spec: CardApInstallSpec): Uint8Array {
  const parts: Uint8Array[] = [encodeGpTlv(INSTALL_TAG.USER_ID, spec.userId)];
  if (spec.keys) {
    parts.push(
      encodeGpTlv(INSTALL_TAG.KEY_ENC, spec.keys.enc),
      encodeGpTlv(INSTALL_TAG.KEY_MAC, spec.keys.mac),
    );
  }
  if (spec.pin) parts.push(encodeGpTlv(INSTALL_TAG.PIN, spec.pin));
  if (spec.pinTries !== undefined)
    parts.push(encodeGpTlv(INSTALL_TAG.PIN_TRIES, Uint8Array.of(spec.pinTries)));
  if (spec.data) parts.push(encodeGpTlv(INSTALL_TAG.DATA, spec.data));
  for (const r of spec.records ?? []) parts.push(encodeGpTlv(INSTALL_TAG.RECORD, r));
  for (const ef of spec.efs ?? []) {
    parts.push(
      encodeGpTlv(
        INSTALL_TAG.EF,
        concat(
          encodeGpTlv(EF_TAG.FID, u16(ef.fid)),
          encodeGpTlv(EF_TAG.SIZE, u16(ef.size)),
          encodeGpTlv(EF_TAG.ACCESS, Uint8Array.of(EF_ACCESS_CODE[ef.access])),
          ...(ef.content ? [encodeGpTlv(EF_TAG.CONTENT, ef.content)] : []),
        ),
      ),
    );
  }
  return concat(...parts);
}

export class GpError extends Error {
  override readonly name = 'GpError';
  constructor(
    readonly code: GpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function lv(b: Uint8Array): Uint8Array {
  if (b.length > 255) throw new GpError('GP_BAD_SPEC', 'field longer than 255 bytes');
  return concat(Uint8Array.of(b.length), b);
}

/**
 * Largest plain data field per command: after C-DECRYPTION padding (to 16) and the
 * 8-byte C-MAC it still fits a short APDU (239 → 240 + 8 = 248 ≤ 255).
 */
export const MAX_PLAIN_BLOCK = 239;

/**
 * INSTALL [for install and make selectable] `80 E6 0C 00`, followed by STORE DATA
 * `80 E2` blocks when the parameters do not fit one command. The last command
 * (INSTALL alone, or the STORE DATA with P1 b8 set) is the commit point on the card.
 * Plain commands: wrap each with the area's `Scp03Host` (C-DECRYPTION required, the
 * card AP keys and PIN travel inside).
 */
export function installCommands(
  spec: CardApInstallSpec,
  maxBlock: number = MAX_PLAIN_BLOCK,
): CommandApdu[] {
  if (maxBlock < 64 || maxBlock > MAX_PLAIN_BLOCK) {
    throw new GpError('GP_BAD_SPEC', `block size ${maxBlock} outside 64..${MAX_PLAIN_BLOCK}`);
  }
  if (!aidLengthOk(spec.aid.length))
    throw new GpError('GP_BAD_SPEC', `AID must have ${AID_LENGTH.min}..${AID_LENGTH.max} bytes`);
  if (!Number.isInteger(spec.size) || spec.size < 1 || spec.size > 0xffff) {
    throw new GpError('GP_BAD_SPEC', `size ${spec.size} out of range`);
  }
  const head = concat(
    encodeGpTlv(INSTALL_TAG.SIZE, u16(spec.size)),
    encodeGpTlv(INSTALL_TAG.PROVIDER, spec.providerId),
  );
  const body = encodeInstallBody(spec);
  const header = (c9: Uint8Array) => {
    const params = encodeGpTlv(0xc9, c9);
    return concat(
      lv(CARD_AP_LOAD_FILE_AID),
      lv(cardApModuleAid(spec.type)),
      lv(spec.aid),
      lv(Uint8Array.of(0x00)), // privileges: none
      lv(params),
      Uint8Array.of(0x00), // no install token: the secure channel authorises
    );
  };
  // One INSTALL when everything fits (C9 needs 3 bytes of tag and length).
  const whole = concat(head, body);
  if (whole.length <= 200) {
    const single = header(whole);
    if (single.length <= maxBlock)
      return [command({ cla: 0x80, ins: 0xe6, p1: 0x0c, p2: 0x00, data: single })];
  }
  const first = header(concat(head, encodeGpTlv(INSTALL_TAG.STREAM_LENGTH, u16(body.length))));
  const cmds = [command({ cla: 0x80, ins: 0xe6, p1: 0x0c, p2: 0x00, data: first })];
  const blocks = Math.ceil(body.length / maxBlock);
  if (blocks > 256) throw new GpError('GP_BAD_SPEC', 'install too large (more than 256 blocks)');
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1;
    cmds.push(
      command({
        cla: 0x80,
        ins: 0xe2,
        p1: last ? 0x80 : 0x00,
        p2: i,
        data: body.slice(i * maxBlock, (i + 1) * maxBlock),
      }),
    );
  }
  return cmds;
}

/**
 * Resets a card AP's PIN (ロック解除 / 再設定): INSTALL [for personalization]
 * `80 E6 20 00 … 00 00 L <AID> 00 00 00`, then STORE DATA `80 E2 80 00` with
 * `86 L <new PIN>` [`87 01 <tries>`]. Send through the area's channel with C-DECRYPTION.
 */
export function resetPinCommands(aid: Uint8Array, pin: Uint8Array, tries?: number): CommandApdu[] {
  if (!aidLengthOk(aid.length))
    throw new GpError('GP_BAD_SPEC', `AID must have ${AID_LENGTH.min}..${AID_LENGTH.max} bytes`);
  return [
    command({
      cla: 0x80,
      ins: 0xe6,
      p1: 0x20,
      p2: 0x00,
      data: concat(Uint8Array.of(0x00, 0x00), lv(aid), Uint8Array.of(0x00, 0x00, 0x00)),
    }),
    command({
      cla: 0x80,
      ins: 0xe2,
      p1: 0x80,
      p2: 0x00,
      data: concat(
        encodeGpTlv(INSTALL_TAG.PIN, pin),
        ...(tries !== undefined ? [encodeGpTlv(INSTALL_TAG.PIN_TRIES, Uint8Array.of(tries))] : []),
      ),
    }),
  ];
}

/** DELETE `80 E4 00 00 Lc 4F L <AID>`: removes a card AP and frees its space. */
export function deleteCommand(aid: Uint8Array): CommandApdu {
  return command({ cla: 0x80, ins: 0xe4, p1: 0x00, p2: 0x00, data: encodeGpTlv(0x4f, aid) });
}

/** GET STATUS `80 F2 40 02|03 02 4F 00 00`: card APs of the area (first or next batch). */
export function getStatusCommand(next = false): CommandApdu {
  return command({
    cla: 0x80,
    ins: 0xf2,
    p1: 0x40,
    p2: next ? 0x03 : 0x02,
    data: Uint8Array.of(0x4f, 0x00),
    ne: 256,
  });
}

export interface CardApStatusEntry {
  readonly aid: Uint8Array;
  readonly type: CardApType;
  readonly size: number;
  readonly providerId: Uint8Array;
  /** GP life cycle state: 07 SELECTABLE. */
  readonly lifeCycle: number;
}

/** Parses GET STATUS data: `E3` templates. */
export function parseGetStatus(data: Uint8Array): CardApStatusEntry[] {
  try {
    return parseGpTlvs(data).map((e) => {
      if (e.tag !== 0xe3)
        throw new GpError('GP_BAD_RESPONSE', `expected E3, got ${e.tag.toString(16)}`);
      const f = new Map(parseGpTlvs(e.value).map((t) => [t.tag, t.value]));
      const aid = f.get(0x4f);
      const typeCode = f.get(0xdf20)?.[0];
      const size = f.get(0xdf21);
      const provider = f.get(0xdf22);
      const type = typeCode === undefined ? undefined : cardApTypeFromCode(typeCode);
      if (!aid || !type || !size || size.length !== 2 || !provider) {
        throw new GpError('GP_BAD_RESPONSE', 'GET STATUS entry lacks 4F / DF20 / DF21 / DF22');
      }
      return {
        aid,
        type,
        size: (size[0]! << 8) | size[1]!,
        providerId: provider,
        lifeCycle: f.get(0x9f70)?.[0] ?? 0,
      };
    });
  } catch (e) {
    if (e instanceof GpError) throw e;
    throw new GpError('GP_BAD_RESPONSE', `GET STATUS data is not TLV: ${(e as Error).message}`);
  }
}

/** GET DATA `80 CA FF 21 00`: capacity of the area (extended card resources information). */
export function getCapacityCommand(): CommandApdu {
  return command({ cla: 0x80, ins: 0xca, p1: 0xff, p2: 0x21, ne: 256 });
}

export interface AreaCapacity {
  readonly cardAps: number;
  readonly total: number;
  readonly used: number;
  readonly free: number;
}

function uint(b: Uint8Array | undefined): number | undefined {
  if (!b || b.length === 0 || b.length > 4) return undefined;
  let n = 0;
  for (const x of b) n = n * 256 + x;
  return n;
}

/** Parses `FF 21 L { 81 02 count, 82 04 free, C0 04 total, C1 04 used }`. */
export function parseCapacity(data: Uint8Array): AreaCapacity {
  let outer: GpTlv[];
  try {
    outer = parseGpTlvs(data);
  } catch (e) {
    throw new GpError('GP_BAD_RESPONSE', `capacity data is not TLV: ${(e as Error).message}`);
  }
  const t = outer[0];
  if (outer.length !== 1 || !t || t.tag !== 0xff21)
    throw new GpError('GP_BAD_RESPONSE', 'expected one FF21 template');
  const f = new Map(parseGpTlvs(t.value).map((x) => [x.tag, x.value]));
  const cardAps = uint(f.get(0x81));
  const free = uint(f.get(0x82));
  const total = uint(f.get(0xc0));
  const used = uint(f.get(0xc1));
  if (cardAps === undefined || free === undefined || total === undefined || used === undefined) {
    throw new GpError('GP_BAD_RESPONSE', 'FF21 lacks 81 / 82 / C0 / C1');
  }
  return { cardAps, total, used, free };
}

/** SELECT by AID `00 A4 04 0C Lc AID` (no FCI). */
export function selectAidCommand(aid: Uint8Array): CommandApdu {
  return command({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: aid });
}

/** `aid` as upper-case hex, for messages. */
export function aidLabel(aid: Uint8Array): string {
  return toHex(aid).toUpperCase();
}

// ---------------------------------------------------------------------------
// Area master keys.

/** Area codes used in key diversification and as the SD AID's last byte. */
export const AREA_CODE = { local: 0x01, extended: 0x02 } as const;
export type AreaName = keyof typeof AREA_CODE;

export interface AreaMasterKeySet {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}
export type AreaMasterKeys = Readonly<Record<AreaName, AreaMasterKeySet>>;

function testKey(area: number, role: number): Uint8Array {
  // 40 41 … 4F with the area and role in the first bytes: easy to spot in a trace.
  return Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? area : i === 1 ? role : 0x40 + i));
}

/**
 * ⚠ PUBLISHED TEST KEYS — NOT SECRET. ⚠ Anyone can open the free areas of a card
 * made with them. For emulated demo cards and tests only; a real deployment puts
 * its own master keys in the key store and passes them to `newFreeAreas`.
 */
export const TEST_AREA_MASTER_KEYS: AreaMasterKeys = {
  local: { enc: testKey(0x01, 0x01), mac: testKey(0x01, 0x02), dek: testKey(0x01, 0x03) },
  extended: { enc: testKey(0x02, 0x01), mac: testKey(0x02, 0x02), dek: testKey(0x02, 0x03) },
};
