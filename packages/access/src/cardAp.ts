/**
 * The card AP access module (カードAPアクセスモジュール): what a provider's business
 * system (業務システム) uses to read — and, where the type allows, write — its own
 * card AP on a card, over any CardChannel. Type C is read freely; types A, D and
 * protected custom EFs need the provider's key package (the card AP master keys,
 * diversified here with the card's serial) and the PIN — the holder's, or the
 * system-fixed one derived from the key package. Byte layouts:
 * packages/card/README.md §5; a vendor's guide: docs/access-module.md.
 *
 * What each type allows a business system (seeds/000, 002; DESIGN.md):
 *   C       read without keys; no writes (anyone can read it, so nobody but the
 *           loading system writes it: its content is set at loading).
 *   A       read and UPDATE RECORD of records 2.. after authentication + PIN.
 *   D       read and UPDATE BINARY after the bytes of the user ID, level 33.
 *   custom  read free EFs without keys; with keys read protected and encrypted
 *           EFs and UPDATE BINARY any EF (not over the user ID).
 * Every write is one UPDATE command, so the card commits it whole or not at all
 * (its anti-tearing, packages/card/README.md §6).
 */
import {
  CardStatusError,
  MAX_PLAIN_BLOCK,
  SW,
  Scp03Error,
  USER_ID_LENGTH,
  CARD_AP_KEY_VERSION,
  CARD_AP_PIN_REFERENCE,
  cardApCardKeys,
  cardApFixedPin,
  cardApTypeFromCode,
  command,
  concat,
  encodeCommand,
  fromHex,
  keyPackageMaster,
  openSecureSession,
  parseGpTlvs,
  parseResponse,
  swTriesLeft,
  toHex,
  type CardApKeyPackage,
  type CardApType,
  type CommandApdu,
  type GpTlv,
  type ResponseApdu,
  type Transmit,
} from '@myna-ap/apdu';
import type { CardChannel } from '@myna-ap/transport';
import {
  AID,
  CARD_AP_MAX_RECORD,
  CARD_AP_MAX_RECORDS,
  CARD_AP_PIN,
  COMMON_EF,
  COMMON_EF_LENGTH,
  holderCardApPinOk,
} from '@myna-ap/profile';
import type { Text } from '@myna-ap/text';
import { AccessError, cardError } from './errors.ts';
import { checkCardStatus, type CardStatusLookup } from './cardStatus.ts';
import { transportFailure } from './reader.ts';

/**
 * The most bytes one write may carry: one UPDATE command that still fits a short
 * APDU once padded and MACed at level 33 (239 → 240 + 8 = 248 ≤ 255), so that the
 * card commits the write whole. A longer write is the caller's to split into
 * parts that each make sense alone.
 */
export const CARD_AP_WRITE_MAX = MAX_PLAIN_BLOCK;

/** READ BINARY chunk that fits R-ENC padding and R-MAC in a 256-byte response. */
const READ_CHUNK = 200;

export interface CardApReadOptions {
  /** The card AP's AID (bytes or hex). */
  readonly aid: Uint8Array | string;
  /** The provider's key package (types A, D, protected custom). */
  readonly keyPackage?: CardApKeyPackage | undefined;
  /** The holder's PIN (ASCII); not needed when the key package says the PIN is system-fixed. */
  readonly pin?: string | undefined;
  /** Custom card APs without a key package: the FIDs to read (default 0001). */
  readonly efs?: readonly number[] | undefined;
  /**
   * What the system's status feed says of a user ID (see `cardStatusFromFeed`):
   * a card reported lost, suspended or revoked is refused with `CARD_LOST`,
   * `CARD_SUSPENDED`, `CARD_REVOKED` before anything is returned or written.
   */
  readonly status?: CardStatusLookup | undefined;
}

export interface CardApReading {
  readonly aid: string;
  readonly type: CardApType;
  /** 利用者ID, upper-case hex (13 bytes). */
  readonly userId: string;
  /** Type C: the info TLVs after the user ID; D: the bytes after it; A: records 2.. joined; custom: first EF after it. */
  readonly data: Uint8Array;
  readonly items?: readonly GpTlv[] | undefined;
  readonly records?: readonly Uint8Array[] | undefined;
  readonly efs?: readonly { readonly fid: number; readonly data: Uint8Array }[] | undefined;
}

/** A card AP opened on one card: read, write, change the PIN, in one authentication. */
export interface CardApConnection {
  readonly aid: string;
  readonly type: CardApType;
  /** 利用者ID, upper-case hex. */
  readonly userId: string;
  /** True after mutual authentication and VERIFY (types A, D, custom with a key package). */
  readonly authenticated: boolean;
  /** The card AP as read when the connection opened. */
  readonly content: CardApReading;
  /** Reads the whole card AP again (after writes, say). */
  read(): Promise<CardApReading>;
  /**
   * UPDATE RECORD `n` of a type A card AP (n ≥ 2: record 1 is the user ID). The
   * record must exist (the loading system makes the records); its new length may
   * differ while the card AP's size holds.
   */
  writeRecord(n: number, data: Uint8Array): Promise<void>;
  /**
   * UPDATE BINARY at `offset` of a type D card AP (offsets 13.. : the user ID is
   * read-only), or of the EF `fid` of a custom card AP (default its first EF).
   */
  writeBinary(offset: number, data: Uint8Array, fid?: number): Promise<void>;
  /**
   * Changes the card AP's PIN to `newPin` (the old one was verified when the
   * connection opened); the connection stays open with the new PIN verified.
   * Refused for a system-fixed PIN and for card APs without one.
   */
  changePin(newPin: string): Promise<void>;
  /** Command APDUs sent so far (benchmarks, traces). */
  readonly apduCount: number;
}

const CARD_AP: Text = { en: 'the card AP', ja: 'カードAP' };
const ascii = (s: string) => new TextEncoder().encode(s);

function notFound(aid: string): AccessError {
  return new AccessError('CARD_AP_NOT_FOUND', {
    en: `no card AP ${aid} on this card`,
    ja: `このカードにカードAP ${aid} はありません`,
  });
}

function notMyna(): AccessError {
  return new AccessError('NOT_MYNA_CARD', {
    en: 'this card has no 共通カードAP: it is not a My Number Card',
    ja: 'このカードには共通カードAPがありません（マイナンバーカードではありません）',
  });
}

function notAllowed(en: string, ja: string): AccessError {
  return new AccessError('WRITE_NOT_ALLOWED', { en, ja });
}

function tooLarge(en: string, ja: string): AccessError {
  return new AccessError('WRITE_TOO_LARGE', { en, ja });
}

async function plain(t: Transmit, init: CommandApdu): Promise<ResponseApdu> {
  return parseResponse(await t(encodeCommand(init)));
}

const selectCommand = (aid: Uint8Array, fci: boolean) =>
  command({
    cla: 0x00,
    ins: 0xa4,
    p1: 0x04,
    p2: fci ? 0x00 : 0x0c,
    data: aid,
    ...(fci ? { ne: 256 } : {}),
  });

/**
 * SELECT with FCI: the card says the card AP's type (`6F { 84 AID, A5 { DF20 type } }`).
 * An AID the card does not know is an absent card AP on a My Number Card, and a
 * card without the 共通カードAP is no My Number Card at all.
 */
async function selectType(t: Transmit, aid: Uint8Array): Promise<CardApType> {
  const r = await plain(t, selectCommand(aid, true));
  if (r.sw === SW.FILE_NOT_FOUND) {
    const common = await plain(t, selectCommand(AID.common, false));
    throw common.sw === SW.OK ? notFound(toHex(aid).toUpperCase()) : notMyna();
  }
  if (r.sw !== SW.OK) throw cardError(r.sw, CARD_AP);
  try {
    const fci = parseGpTlvs(r.data)[0];
    const a5 =
      fci && fci.tag === 0x6f ? parseGpTlvs(fci.value).find((x) => x.tag === 0xa5) : undefined;
    const code = a5 ? parseGpTlvs(a5.value).find((x) => x.tag === 0xdf20)?.value[0] : undefined;
    const type = code === undefined ? undefined : cardApTypeFromCode(code);
    if (type) return type;
  } catch {
    /* fall through: not a card AP's FCI */
  }
  throw new AccessError('CARD_AP_NOT_FOUND', {
    en: `${toHex(aid).toUpperCase()} is an application of the card, not a card AP`,
    ja: `${toHex(aid).toUpperCase()} はカードAPではありません`,
  });
}

/** The card's serial (カード識別番号), which diversifies the card AP keys. */
async function readSerial(t: Transmit): Promise<Uint8Array> {
  if ((await plain(t, selectCommand(AID.common, false))).sw !== SW.OK) throw notMyna();
  const r = await plain(
    t,
    command({
      cla: 0x00,
      ins: 0xb0,
      p1: 0x80 | COMMON_EF.serial,
      p2: 0x00,
      ne: COMMON_EF_LENGTH.serial,
    }),
  );
  if (r.sw !== SW.OK || r.data.length < 8)
    throw cardError(r.sw, { en: 'card serial', ja: 'カード識別番号' });
  return r.data;
}

/** The AccessError of a card AP PIN's status word, or undefined when it is not about the PIN. */
function pinFailure(sw: number): AccessError | undefined {
  const left = swTriesLeft(sw);
  if (left !== undefined && left > 0) {
    return new AccessError(
      'PIN_WRONG',
      {
        en: `wrong card AP PIN, ${left} ${left === 1 ? 'try' : 'tries'} left`,
        ja: `カードAPのPINが違います（残り${left}回）`,
      },
      { triesLeft: left, sw },
    );
  }
  if (sw === SW.AUTH_METHOD_BLOCKED || left === 0) {
    return new AccessError(
      'PIN_LOCKED',
      {
        en: 'the card AP PIN is locked: its provider resets it through the loading system',
        ja: 'カードAPのPINがロックされています。サービス提供者がカードAP搭載システムで再設定します',
      },
      { triesLeft: 0, sw },
    );
  }
  return undefined;
}

/** Card answers on the way in (authentication, VERIFY, reads) as AccessErrors. */
function mapFailure(e: unknown): never {
  if (e instanceof AccessError) throw e;
  if (e instanceof Scp03Error) {
    throw new AccessError('KEYS_REJECTED', {
      en: 'the card AP refused these keys: it is another provider’s card AP, or the key package is of another system',
      ja: 'カードAPがこの鍵を受け付けませんでした。他のサービス提供者のカードAPか、別システムの鍵パッケージです',
    });
  }
  if (e instanceof CardStatusError) {
    const p = pinFailure(e.sw);
    if (p) throw p;
    if (e.sw === SW.SECURITY_STATUS_NOT_SATISFIED) {
      throw new AccessError(
        'KEYS_REQUIRED',
        {
          en: `${e.context}: this part of the card AP is read with its provider's key package and PIN`,
          ja: `${e.context}: カードAPのこの部分の読み取りにはサービス提供者の鍵パッケージとPINが必要です`,
        },
        { sw: e.sw },
      );
    }
    throw cardError(e.sw, {
      en: `${CARD_AP.en} (${e.context})`,
      ja: `${CARD_AP.ja}（${e.context}）`,
    });
  }
  throw transportFailure(e);
}

function needKeys(type: CardApType): AccessError {
  return new AccessError('KEYS_REQUIRED', {
    en: `a type ${type} card AP is read with its provider's key package and PIN`,
    ja: `タイプ${type}のカードAPの読み取りにはサービス提供者の鍵パッケージとPINが必要です`,
  });
}

function expect(r: ResponseApdu, what: string): Uint8Array {
  if (r.sw !== SW.OK) throw new CardStatusError(r.sw, what);
  return r.data;
}

type Send = (c: CommandApdu) => Promise<ResponseApdu>;

/** Reads the selected binary EF to its end (or `max` bytes). */
async function readWhole(send: Send, max: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let off = 0; off < max;) {
    const r = await send(
      command({ cla: 0x00, ins: 0xb0, p1: off >> 8, p2: off & 0xff, ne: READ_CHUNK }),
    );
    if (r.sw === SW.WRONG_P1P2 && off > 0) break;
    const d = expect(r, 'READ BINARY');
    parts.push(d);
    off += d.length;
    if (d.length < READ_CHUNK) break;
  }
  return concat(...parts);
}

async function selectEf(send: Send, fid: number): Promise<void> {
  expect(
    await send(
      command({
        cla: 0x00,
        ins: 0xa4,
        p1: 0x02,
        p2: 0x0c,
        data: Uint8Array.of(fid >> 8, fid & 0xff),
      }),
    ),
    `SELECT EF ${fid.toString(16).padStart(4, '0').toUpperCase()}`,
  );
}

function badUserId(what: string): AccessError {
  return new AccessError('BAD_DATA', {
    en: `${what} does not hold a 13-byte user ID`,
    ja: `${what}に利用者ID（13バイト）がありません`,
  });
}

/** Reads the card AP's content as its type lays it out. */
async function readContent(
  send: Send,
  aidHex: string,
  type: CardApType,
  layout: readonly { fid: number }[],
): Promise<CardApReading> {
  if (type === 'C') {
    const b = await readWhole(send, 0x7fff);
    let tlvs: GpTlv[];
    try {
      tlvs = parseGpTlvs(b);
    } catch {
      throw badUserId('type C content');
    }
    const first = tlvs[0];
    if (!first || first.tag !== 0x80 || first.value.length !== USER_ID_LENGTH)
      throw badUserId('type C content (80 0D …)');
    return {
      aid: aidHex,
      type,
      userId: toHex(first.value).toUpperCase(),
      data: b.slice(2 + USER_ID_LENGTH),
      items: tlvs.slice(1),
    };
  }
  if (type === 'D') {
    const b = await readWhole(send, 0x7fff);
    if (b.length < USER_ID_LENGTH) throw badUserId('the type D EF');
    return {
      aid: aidHex,
      type,
      userId: toHex(b.subarray(0, USER_ID_LENGTH)).toUpperCase(),
      data: b.slice(USER_ID_LENGTH),
    };
  }
  if (type === 'A') {
    const records: Uint8Array[] = [];
    for (let n = 1; n <= CARD_AP_MAX_RECORDS; n++) {
      const r = await send(command({ cla: 0x00, ins: 0xb2, p1: n, p2: 0x04, ne: 256 }));
      if (r.sw === SW.RECORD_NOT_FOUND) break;
      records.push(expect(r, `READ RECORD ${n}`));
    }
    const [userId, ...rest] = records;
    if (!userId || userId.length !== USER_ID_LENGTH) throw badUserId('type A record 1');
    return {
      aid: aidHex,
      type,
      userId: toHex(userId).toUpperCase(),
      data: concat(...rest),
      records: rest,
    };
  }
  const efs: { fid: number; data: Uint8Array }[] = [];
  for (const e of layout) {
    await selectEf(send, e.fid);
    efs.push({ fid: e.fid, data: await readWhole(send, 0x7fff) });
  }
  const first = efs[0]?.data ?? new Uint8Array(0);
  if (first.length < USER_ID_LENGTH) throw badUserId('the first EF');
  return {
    aid: aidHex,
    type,
    userId: toHex(first.subarray(0, USER_ID_LENGTH)).toUpperCase(),
    data: first.subarray(USER_ID_LENGTH),
    efs,
  };
}

/** Throws `PIN_FORMAT` (nothing sent) when `pin` is not a card AP PIN. */
function checkCardApPin(pin: string, which: Text): Uint8Array {
  // The loading system's rule too (profile), so a PIN changed here is one it accepts.
  if (holderCardApPinOk(pin)) return ascii(pin);
  throw new AccessError('PIN_FORMAT', {
    en: `the ${which.en} must be ${CARD_AP_PIN.min} to ${CARD_AP_PIN.max} digits or letters`,
    ja: `${which.ja}は${CARD_AP_PIN.min}〜${CARD_AP_PIN.max}桁の英数字で入力してください`,
  });
}

/**
 * Opens the card AP `aid` on the card in `channel`: the type from the card, the
 * keys and PIN when the type needs them, the user ID read and checked against
 * the status feed. Then read, write and change the PIN in the same session.
 */
export async function connectCardAp(
  channel: CardChannel,
  o: CardApReadOptions,
): Promise<CardApConnection> {
  let apdus = 0;
  const t: Transmit = async (b) => {
    apdus++;
    try {
      return await channel.transmit(b);
    } catch (e) {
      throw transportFailure(e);
    }
  };
  const aid = typeof o.aid === 'string' ? fromHex(o.aid) : o.aid;
  const aidHex = toHex(aid).toUpperCase();
  const pkg = o.keyPackage;
  if (pkg && pkg.aid !== aidHex) {
    throw new AccessError('KEY_PACKAGE_MISMATCH', {
      en: `the key package is for ${pkg.aid}, not ${aidHex}`,
      ja: `鍵パッケージは ${pkg.aid} 用です（${aidHex} ではありません）`,
    });
  }
  const type = await selectType(t, aid);
  if (pkg && pkg.type !== type) {
    throw new AccessError('KEY_PACKAGE_MISMATCH', {
      en: `the key package is for a type ${pkg.type} card AP; ${aidHex} on this card is type ${type}`,
      ja: `鍵パッケージはタイプ${pkg.type}のカードAP用です（このカードの ${aidHex} はタイプ${type}）`,
    });
  }
  const needsKeys =
    type === 'A' || type === 'D' || (type === 'custom' && pkg !== undefined && pkg.pin !== null);
  const layout = pkg?.efs ?? (o.efs ?? [0x0001]).map((fid) => ({ fid, access: 'free' as const }));
  let send: Send = (c) => plain(t, c);
  let verify: ((pin: Uint8Array) => Promise<void>) | undefined;
  let reading: CardApReading;
  try {
    if (needsKeys) {
      if (!pkg || pkg.pin === null) throw needKeys(type);
      let pin: Uint8Array;
      const serial = await readSerial(t);
      const master = keyPackageMaster(pkg);
      if (pkg.pin.fixed) pin = cardApFixedPin(master, serial, aid);
      else if (o.pin !== undefined)
        pin = checkCardApPin(o.pin, { en: 'card AP PIN', ja: 'カードAPのPIN' });
      else {
        throw new AccessError('PIN_REQUIRED', {
          en: 'this card AP needs the PIN its holder chose',
          ja: 'このカードAPには本人が決めたPINが必要です',
        });
      }
      const level =
        type === 'D' || layout.some((e) => 'access' in e && e.access === 'encrypted') ? 0x33 : 0x11;
      const s = await openSecureSession(t, aid, {
        keys: cardApCardKeys(master, serial, aid),
        keyVersion: CARD_AP_KEY_VERSION,
        level,
      });
      send = (c) => s.send(c);
      verify = async (p) => {
        expect(
          await send(
            command({ cla: 0x00, ins: 0x20, p1: 0x00, p2: CARD_AP_PIN_REFERENCE, data: p }),
          ),
          'VERIFY',
        );
      };
      await verify(pin);
      pin.fill(0);
    }
    // (Types C and custom without keys: the SELECT that told the type selected it.)
    reading = await readContent(send, aidHex, type, layout);
  } catch (e) {
    mapFailure(e);
  }
  if (o.status) await checkCardStatus(o.status, aidHex, reading.userId);

  const authenticated = verify !== undefined;
  let current = reading;
  const guarded = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      return mapFailure(e);
    }
  };
  const refuseUnauthenticated = () => {
    if (type === 'C') {
      throw notAllowed(
        'a type C card AP is read by anyone without keys, so no business system writes it: its content is set when the loading system loads it',
        'タイプCのカードAPは鍵なしで誰でも読めるため、業務システムからは書き込めません。内容はカードAP搭載システムが搭載時に書き込みます',
      );
    }
    if (!authenticated) throw needKeys(type);
  };
  const checkSize = (data: Uint8Array) => {
    if (data.length === 0) throw tooLarge('nothing to write', '書き込むデータがありません');
    if (data.length > CARD_AP_WRITE_MAX) {
      throw tooLarge(
        `${data.length} bytes: one write is at most ${CARD_AP_WRITE_MAX} bytes (one UPDATE command, which the card commits whole)`,
        `${data.length}バイト: 1回の書き込みは${CARD_AP_WRITE_MAX}バイトまでです（カードが一括して確定する1コマンド）`,
      );
    }
  };
  /** The write's answer: refusals of the card as the business system's errors. */
  const writeFailure = (sw: number, what: string): AccessError => {
    if (sw === SW.NOT_ENOUGH_MEMORY || sw === SW.WRONG_LENGTH)
      return tooLarge(
        `${what}: the card AP has no room for it (card answered ${sw.toString(16).toUpperCase()})`,
        `${what}: カードAPに収まりません（応答 ${sw.toString(16).toUpperCase()}）`,
      );
    if (sw === SW.CONDITIONS_NOT_SATISFIED)
      return notAllowed(
        `${what}: the user ID is read-only`,
        `${what}: 利用者IDは書き換えられません`,
      );
    if (sw === SW.RECORD_NOT_FOUND)
      return notAllowed(
        `${what}: no such record (the loading system makes the records; a business system replaces them)`,
        `${what}: そのレコードはありません（レコードはカードAP搭載システムが作り、業務システムは書き換えのみ）`,
      );
    return cardError(sw, { en: what, ja: what });
  };

  return {
    aid: aidHex,
    type,
    userId: reading.userId,
    content: reading,
    authenticated,
    get apduCount() {
      return apdus;
    },
    read: () =>
      guarded(async () => {
        current = await readContent(send, aidHex, type, layout);
        return current;
      }),
    writeRecord: (n, data) =>
      guarded(async () => {
        refuseUnauthenticated();
        if (type !== 'A')
          throw notAllowed(
            `a type ${type} card AP has no records: use writeBinary`,
            `タイプ${type}のカードAPにはレコードがありません（writeBinary を使います）`,
          );
        if (!Number.isInteger(n) || n < 1 || n > CARD_AP_MAX_RECORDS)
          throw notAllowed(
            `record ${n}: records are 2..${CARD_AP_MAX_RECORDS}`,
            `レコード ${n}: 2〜${CARD_AP_MAX_RECORDS} です`,
          );
        if (n === 1)
          throw notAllowed(
            'record 1 is the user ID: read-only',
            'レコード1は利用者IDで、書き換えられません',
          );
        if (data.length === 0 || data.length > CARD_AP_MAX_RECORD)
          throw tooLarge(
            `a record is 1..${CARD_AP_MAX_RECORD} bytes, not ${data.length}`,
            `レコードは1〜${CARD_AP_MAX_RECORD}バイトです（${data.length}バイト）`,
          );
        if (o.status) await checkCardStatus(o.status, aidHex, reading.userId);
        const r = await send(command({ cla: 0x00, ins: 0xdc, p1: n, p2: 0x04, data }));
        if (r.sw !== SW.OK) throw writeFailure(r.sw, `UPDATE RECORD ${n}`);
      }),
    writeBinary: (offset, data, fid) =>
      guarded(async () => {
        refuseUnauthenticated();
        if (type === 'A')
          throw notAllowed(
            'a type A card AP holds records: use writeRecord',
            'タイプAのカードAPはレコード形式です（writeRecord を使います）',
          );
        checkSize(data);
        let content: Uint8Array;
        let protectedBytes = 0;
        if (type === 'D') {
          if (fid !== undefined)
            throw notAllowed(
              'a type D card AP has one EF: no fid',
              'タイプDのカードAPのEFは1つです（fid は指定しません）',
            );
          content = concat(fromHex(current.userId), current.data);
          protectedBytes = USER_ID_LENGTH;
        } else {
          const efs = current.efs ?? [];
          const target = fid ?? efs[0]?.fid;
          const i = efs.findIndex((e) => e.fid === target);
          if (target === undefined || i < 0)
            throw notAllowed(
              `EF ${target ?? '-'} is not in the key package's layout of this card AP`,
              `EF ${target ?? '-'} はこのカードAPの鍵パッケージのEF構成にありません`,
            );
          content = efs[i]!.data;
          if (i === 0) protectedBytes = USER_ID_LENGTH;
          await selectEf(send, target);
        }
        if (!Number.isInteger(offset) || offset < protectedBytes)
          throw notAllowed(
            `offset ${offset}: bytes 0..${protectedBytes - 1} are the user ID, read-only`,
            `オフセット ${offset}: 0〜${protectedBytes - 1} バイトは利用者IDで、書き換えられません`,
          );
        if (offset + data.length > content.length)
          throw tooLarge(
            `${data.length} bytes at ${offset} pass the end of the EF (${content.length} bytes)`,
            `オフセット ${offset} から ${data.length} バイトはEFの大きさ（${content.length}バイト）を超えます`,
          );
        if (o.status) await checkCardStatus(o.status, aidHex, reading.userId);
        const r = await send(
          command({ cla: 0x00, ins: 0xd6, p1: offset >> 8, p2: offset & 0xff, data }),
        );
        if (r.sw !== SW.OK) throw writeFailure(r.sw, 'UPDATE BINARY');
        // Keep the known content in step, for the next write's bounds.
        const next = content.slice();
        next.set(data, offset);
        current =
          type === 'D'
            ? { ...current, data: next.slice(USER_ID_LENGTH) }
            : {
                ...current,
                efs: (current.efs ?? []).map((e) =>
                  e.fid === (fid ?? current.efs![0]!.fid) ? { fid: e.fid, data: next } : e,
                ),
              };
      }),
    changePin: (newPin) =>
      guarded(async () => {
        if (!authenticated || !verify || !pkg || pkg.pin === null || pkg.pin.fixed) {
          throw new AccessError(
            'PIN_CHANGE_NOT_ALLOWED',
            pkg?.pin?.fixed
              ? {
                  en: 'this card AP uses the system-fixed PIN: the system derives it, nobody changes it',
                  ja: 'このカードAPはシステム固定のPINを使います。システムが導出するため変更できません',
                }
              : {
                  en: `this type ${type} card AP has no PIN to change`,
                  ja: `このタイプ${type}のカードAPには変更するPINがありません`,
                },
          );
        }
        const next = checkCardApPin(newPin, { en: 'new card AP PIN', ja: '新しいカードAPのPIN' });
        const r = await send(
          command({ cla: 0x00, ins: 0x24, p1: 0x01, p2: CARD_AP_PIN_REFERENCE, data: next }),
        );
        if (r.sw !== SW.OK) {
          next.fill(0);
          throw (
            pinFailure(r.sw) ??
            cardError(r.sw, { en: 'card AP PIN change', ja: 'カードAPのPIN変更' })
          );
        }
        // The card asks for the new PIN again; verify it so the session goes on.
        await verify(next);
        next.fill(0);
      }),
  };
}

/** Reads the card AP `aid` from the card in `channel` (one connection, one read). */
export async function readCardAp(
  channel: CardChannel,
  o: CardApReadOptions,
): Promise<CardApReading> {
  return (await connectCardAp(channel, o)).content;
}

/**
 * Tries left of the card AP's PIN, without keys and without spending one (an
 * empty VERIFY, ISO 7816-4): 0 when locked, `null` when the card AP has no PIN
 * (type C).
 */
export async function cardApPinTriesLeft(
  channel: CardChannel,
  aid: Uint8Array | string,
): Promise<number | null> {
  const t: Transmit = async (b) => {
    try {
      return await channel.transmit(b);
    } catch (e) {
      throw transportFailure(e);
    }
  };
  const id = typeof aid === 'string' ? fromHex(aid) : aid;
  await selectType(t, id);
  const r = await plain(t, command({ cla: 0x00, ins: 0x20, p1: 0x00, p2: CARD_AP_PIN_REFERENCE }));
  if (r.sw === SW.REFERENCED_DATA_NOT_FOUND) return null;
  if (r.sw === SW.AUTH_METHOD_BLOCKED) return 0;
  const left = swTriesLeft(r.sw);
  if (left !== undefined) return left;
  throw cardError(r.sw, { en: 'card AP PIN tries', ja: 'カードAPのPINの残り回数' });
}
