/**
 * The rules of an install, pure: parse INSTALL [for install] data and the
 * parameter stream, check every field against the card AP type's limits, and
 * build the card AP's image. A refusal is a status word (6A 80 bad data, …).
 */
import {
  CARD_AP_LOAD_FILE_AID,
  CARD_AP_MAX_SIZE,
  EF_TAG,
  INSTALL_TAG,
  SW,
  USER_ID_LENGTH,
  bytesEqual,
  cardApModuleAid,
  concat,
  encodeGpTlv,
  parseGpTlvs,
  toHex,
  type CardApType,
  type EfAccess,
  type GpTlv,
} from '@myna-ap/apdu';
import {
  CARD_AP_MAX_RECORDS,
  CARD_AP_PIN,
  CARD_AP_TYPES,
  CUSTOM_MAX_EFS,
  PROVIDER_ID_LENGTH,
  aidLengthOk,
  cardApPinLengthOk,
  cardApPinTriesOk,
  cardApRecordLengthOk,
} from '@myna-ap/profile';
import { newPin, type PinImage } from '../image.ts';
import type { CardApEfImage, CardApImage } from './image.ts';

export type Refusal = { readonly refused: number };
export const refuse = (sw: number): Refusal => ({ refused: sw });
export function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && 'refused' in x;
}

/** The fixed part of INSTALL [for install and make selectable]. */
export interface InstallHeader {
  readonly type: CardApType;
  readonly aid: Uint8Array;
  readonly size: number;
  readonly providerId: Uint8Array;
  /** Parameter TLVs carried in C9 itself (size and provider removed). */
  readonly params: Uint8Array;
  /** Bytes still to come in STORE DATA blocks (0: complete). */
  readonly streamLength: number;
}

function takeLv(b: Uint8Array, at: number): [Uint8Array, number] | undefined {
  const n = b[at];
  // Stryker disable next-line ConditionalExpression,LogicalOperator,ArithmeticOperator: an overrun also leaves `at` past the end, which both callers refuse
  if (n === undefined || at + 1 + n > b.length) return undefined;
  return [b.slice(at + 1, at + 1 + n), at + 1 + n];
}

function uint16(v: Uint8Array | undefined): number | undefined {
  return v && v.length === 2 ? (v[0]! << 8) | v[1]! : undefined;
}

/** INSTALL data: ELF AID, module AID, application AID, privileges, C9 params, token. */
export function parseInstallHeader(data: Uint8Array): InstallHeader | Refusal {
  const fields: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < 6; i++) {
    const r = takeLv(data, at);
    if (!r) return refuse(SW.WRONG_DATA);
    fields.push(r[0]);
    at = r[1];
  }
  if (at !== data.length) return refuse(SW.WRONG_DATA);
  const [elf, module, aid, privileges, params] = fields as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  if (!bytesEqual(elf, CARD_AP_LOAD_FILE_AID)) return refuse(SW.REFERENCED_DATA_NOT_FOUND);
  const type = CARD_AP_TYPES.find((t) => bytesEqual(module, cardApModuleAid(t)));
  if (!type) return refuse(SW.REFERENCED_DATA_NOT_FOUND);
  if (!aidLengthOk(aid.length)) return refuse(SW.WRONG_DATA);
  if (privileges.length !== 1 || privileges[0] !== 0) return refuse(SW.WRONG_DATA);
  let c9: GpTlv[];
  try {
    c9 = parseGpTlvs(params);
  } catch {
    return refuse(SW.WRONG_DATA);
  }
  const c9v = c9.length === 1 && c9[0]!.tag === 0xc9 ? c9[0]!.value : undefined;
  // Stryker disable next-line ConditionalExpression: parseGpTlvs(undefined) throws, refused below the same way
  if (!c9v) return refuse(SW.WRONG_DATA);
  let inner: GpTlv[];
  try {
    inner = parseGpTlvs(c9v);
  } catch {
    return refuse(SW.WRONG_DATA);
  }
  const one = (tag: number) => {
    const all = inner.filter((t) => t.tag === tag);
    return all.length === 1 ? all[0]!.value : all.length === 0 ? undefined : null;
  };
  const size = uint16(one(INSTALL_TAG.SIZE) ?? undefined);
  const provider = one(INSTALL_TAG.PROVIDER);
  const stream = one(INSTALL_TAG.STREAM_LENGTH);
  if (
    size === undefined ||
    size < 1 ||
    !provider ||
    provider.length < PROVIDER_ID_LENGTH.min ||
    provider.length > PROVIDER_ID_LENGTH.max
  ) {
    return refuse(SW.WRONG_DATA);
  }
  // Stryker disable next-line ConditionalExpression: uint16(null) is undefined, refused on the next line
  if (stream === null) return refuse(SW.WRONG_DATA);
  const streamLength = stream === undefined ? 0 : uint16(stream);
  if (streamLength === undefined) return refuse(SW.WRONG_DATA);
  const rest = inner.filter(
    (t) =>
      t.tag !== INSTALL_TAG.SIZE &&
      t.tag !== INSTALL_TAG.PROVIDER &&
      t.tag !== INSTALL_TAG.STREAM_LENGTH,
  );
  return {
    type,
    aid,
    size,
    providerId: provider,
    params: concat(...rest.map((t) => encodeGpTlv(t.tag, t.value))),
    streamLength,
  };
}

const ALLOWED_TAGS: Readonly<Record<CardApType, readonly number[]>> = {
  C: [INSTALL_TAG.USER_ID, INSTALL_TAG.DATA],
  D: [
    INSTALL_TAG.USER_ID,
    INSTALL_TAG.KEY_ENC,
    INSTALL_TAG.KEY_MAC,
    INSTALL_TAG.PIN,
    INSTALL_TAG.PIN_TRIES,
    INSTALL_TAG.DATA,
  ],
  A: [
    INSTALL_TAG.USER_ID,
    INSTALL_TAG.KEY_ENC,
    INSTALL_TAG.KEY_MAC,
    INSTALL_TAG.PIN,
    INSTALL_TAG.PIN_TRIES,
    INSTALL_TAG.RECORD,
  ],
  custom: [
    INSTALL_TAG.USER_ID,
    INSTALL_TAG.KEY_ENC,
    INSTALL_TAG.KEY_MAC,
    INSTALL_TAG.PIN,
    INSTALL_TAG.PIN_TRIES,
    INSTALL_TAG.EF,
  ],
};
const REPEATABLE: readonly number[] = [INSTALL_TAG.RECORD, INSTALL_TAG.EF];

const ACCESS: Readonly<Record<number, EfAccess>> = { 0: 'free', 1: 'protected', 2: 'encrypted' };

function fidOk(fid: number): boolean {
  // 3F00 (MF), FFFF and 0000 are reserved by ISO 7816-4.
  return fid !== 0x3f00 && fid !== 0xffff && fid !== 0x0000;
}

/** Builds the card AP from the header and the full parameter stream, or refuses. */
export function buildCardAp(h: InstallHeader, stream: Uint8Array): CardApImage | Refusal {
  let tlvs: GpTlv[];
  try {
    tlvs = parseGpTlvs(concat(h.params, stream));
  } catch {
    return refuse(SW.WRONG_DATA);
  }
  const allowed = ALLOWED_TAGS[h.type];
  for (const t of tlvs) {
    if (!allowed.includes(t.tag)) return refuse(SW.WRONG_DATA);
    if (!REPEATABLE.includes(t.tag) && tlvs.filter((x) => x.tag === t.tag).length > 1)
      return refuse(SW.WRONG_DATA);
  }
  const get = (tag: number) => tlvs.find((t) => t.tag === tag)?.value;
  const all = (tag: number) => tlvs.filter((t) => t.tag === tag).map((t) => t.value);
  if (h.size > CARD_AP_MAX_SIZE[h.type]) return refuse(SW.WRONG_DATA);
  const userId = get(INSTALL_TAG.USER_ID);
  if (!userId || userId.length !== USER_ID_LENGTH) return refuse(SW.WRONG_DATA);

  const enc = get(INSTALL_TAG.KEY_ENC);
  const mac = get(INSTALL_TAG.KEY_MAC);
  const pin = get(INSTALL_TAG.PIN);
  const triesRaw = get(INSTALL_TAG.PIN_TRIES);
  if ((enc === undefined) !== (mac === undefined)) return refuse(SW.WRONG_DATA);
  if (enc && (enc.length !== 16 || mac!.length !== 16)) return refuse(SW.WRONG_DATA);
  if (pin && !cardApPinLengthOk(pin.length)) return refuse(SW.WRONG_DATA);
  if (triesRaw && (triesRaw.length !== 1 || !cardApPinTriesOk(triesRaw[0]!)))
    return refuse(SW.WRONG_DATA);
  if (triesRaw && !pin) return refuse(SW.WRONG_DATA);
  const tries = triesRaw?.[0] ?? CARD_AP_PIN.defaultTries;

  const base = {
    aid: toHex(h.aid),
    type: h.type,
    size: h.size,
    providerId: toHex(h.providerId),
    userId: toHex(userId),
  };
  const secured = () => ({
    keys: { enc: toHex(enc!), mac: toHex(mac!) },
    pin: newPin(pin!, tries),
  });

  switch (h.type) {
    case 'C': {
      // ヘッダ + 利用者ID, then the provider's TLV items (情報1..3), 33 bytes at most.
      const data = get(INSTALL_TAG.DATA) ?? new Uint8Array(0);
      try {
        if (parseGpTlvs(data).some((t) => t.tag === 0x80)) return refuse(SW.WRONG_DATA);
      } catch {
        return refuse(SW.WRONG_DATA);
      }
      const content = concat(Uint8Array.of(0x80, USER_ID_LENGTH), userId, data);
      if (content.length > h.size) return refuse(SW.WRONG_DATA);
      return { ...base, binary: toHex(content) };
    }
    case 'D': {
      if (!enc || !pin) return refuse(SW.WRONG_DATA);
      const data = get(INSTALL_TAG.DATA) ?? new Uint8Array(0);
      if (USER_ID_LENGTH + data.length > h.size) return refuse(SW.WRONG_DATA);
      const content = new Uint8Array(h.size);
      content.set(userId);
      content.set(data, USER_ID_LENGTH);
      return { ...base, ...secured(), binary: toHex(content) };
    }
    case 'A': {
      if (!enc || !pin) return refuse(SW.WRONG_DATA);
      const records = [userId, ...all(INSTALL_TAG.RECORD)];
      // Record 1 is the 13-byte user ID; every record obeys the one record limit.
      if (
        // Stryker disable next-line ConditionalExpression,EqualityOperator: 254 records take 266 bytes or more, over the 255 of type A, refused by the size first
        records.length > CARD_AP_MAX_RECORDS ||
        records.some((r) => !cardApRecordLengthOk(r.length))
      )
        return refuse(SW.WRONG_DATA);
      if (records.reduce((n, r) => n + r.length, 0) > h.size) return refuse(SW.WRONG_DATA);
      return { ...base, ...secured(), records: records.map(toHex) };
    }
    case 'custom': {
      const efs: CardApEfImage[] = [];
      for (const [i, raw] of all(INSTALL_TAG.EF).entries()) {
        let f: GpTlv[];
        try {
          f = parseGpTlvs(raw);
        } catch {
          return refuse(SW.WRONG_DATA);
        }
        const val = (tag: number) => f.find((x) => x.tag === tag)?.value;
        if (f.some((x) => !(Object.values(EF_TAG) as number[]).includes(x.tag)))
          return refuse(SW.WRONG_DATA);
        const fid = uint16(val(EF_TAG.FID));
        const size = uint16(val(EF_TAG.SIZE));
        const accessByte = val(EF_TAG.ACCESS);
        const access = accessByte?.length === 1 ? ACCESS[accessByte[0]!] : undefined;
        const given = val(EF_TAG.CONTENT) ?? new Uint8Array(0);
        if (fid === undefined || !fidOk(fid) || size === undefined || size < 1 || !access)
          return refuse(SW.WRONG_DATA);
        const fidHex = fid.toString(16).toUpperCase().padStart(4, '0');
        if (efs.some((e) => e.fid === fidHex)) return refuse(SW.WRONG_DATA);
        const lead = i === 0 ? userId : new Uint8Array(0);
        if (lead.length + given.length > size) return refuse(SW.WRONG_DATA);
        const content = new Uint8Array(size);
        content.set(lead);
        content.set(given, lead.length);
        efs.push({ fid: fidHex, size, access, data: toHex(content) });
      }
      if (efs.length === 0 || efs.length > CUSTOM_MAX_EFS) return refuse(SW.WRONG_DATA);
      if (efs.reduce((n, e) => n + e.size, 0) > h.size) return refuse(SW.WRONG_DATA);
      if ((enc === undefined) !== (pin === undefined)) return refuse(SW.WRONG_DATA);
      const needsAuth = efs.some((e) => e.access !== 'free');
      // Stryker disable next-line LogicalOperator: keys and PIN come both or neither (checked above)
      if (needsAuth && (!enc || !pin)) return refuse(SW.WRONG_DATA);
      // Keys without protected EFs still allow authenticated writes.
      // Stryker disable next-line LogicalOperator: keys and PIN come both or neither (checked above)
      return { ...base, ...(enc && pin ? secured() : {}), efs };
    }
  }
}

/** INSTALL [for personalization] data: `00 00 <L> <card AP AID> 00 00 00`. */
export function parsePersonalizeHeader(data: Uint8Array): Uint8Array | Refusal {
  const fields: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < 6; i++) {
    const r = takeLv(data, at);
    if (!r) return refuse(SW.WRONG_DATA);
    fields.push(r[0]);
    at = r[1];
  }
  if (at !== data.length) return refuse(SW.WRONG_DATA);
  const aid = fields[2]!;
  if (fields.some((f, i) => i !== 2 && f.length !== 0)) return refuse(SW.WRONG_DATA);
  if (!aidLengthOk(aid.length)) return refuse(SW.WRONG_DATA);
  return aid;
}

/** The STORE DATA of a personalisation: `86 L <new PIN>` [`87 01 <tries>`]. */
export function parsePinReset(stream: Uint8Array): PinImage | Refusal {
  let tlvs: GpTlv[];
  try {
    tlvs = parseGpTlvs(stream);
  } catch {
    return refuse(SW.WRONG_DATA);
  }
  const pins = tlvs.filter((t) => t.tag === INSTALL_TAG.PIN);
  const tries = tlvs.filter((t) => t.tag === INSTALL_TAG.PIN_TRIES);
  if (tlvs.length !== pins.length + tries.length || pins.length !== 1 || tries.length > 1) {
    return refuse(SW.WRONG_DATA);
  }
  const pin = pins[0]!.value;
  if (!cardApPinLengthOk(pin.length)) return refuse(SW.WRONG_DATA);
  const t = tries[0]?.value;
  if (t && (t.length !== 1 || !cardApPinTriesOk(t[0]!))) return refuse(SW.WRONG_DATA);
  return newPin(pin, t?.[0] ?? CARD_AP_PIN.defaultTries);
}
