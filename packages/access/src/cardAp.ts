/**
 * The card AP access module (カードAPアクセスモジュール): what a provider's business
 * system uses to read the user ID and data of its own card AP from a card, over
 * any CardChannel. Type C is read freely; types A, D and protected custom EFs
 * need the provider's key package (the card AP master keys, diversified here
 * with the card's serial) and the PIN — the holder's, or the system-fixed one
 * derived from the key package. Byte layouts: packages/card/README.md §5.
 */
import {
  CardStatusError,
  SW,
  Scp03Error,
  USER_ID_LENGTH,
  cardApCardKeys,
  cardApFixedPin,
  cardApTypeFromCode,
  command,
  encodeCommand,
  fromHex,
  keyPackageMaster,
  openCardAp,
  parseGpTlvs,
  parseResponse,
  readCardAp as readStandardCardAp,
  swTriesLeft,
  toHex,
  type CardApKeyPackage,
  type CardApType,
  type GpTlv,
  type Transmit,
} from '@myna-ap/apdu';
import type { CardChannel } from '@myna-ap/transport';
import { AID, COMMON_EF, COMMON_EF_LENGTH } from '@myna-ap/profile';
import type { Text } from '@myna-ap/text';
import { AccessError, cardError } from './errors.ts';

export interface CardApReadOptions {
  /** The card AP's AID (bytes or hex). */
  readonly aid: Uint8Array | string;
  /** The provider's key package (types A, D, protected custom). */
  readonly keyPackage?: CardApKeyPackage | undefined;
  /** The holder's PIN (ASCII); not needed when the key package says the PIN is system-fixed. */
  readonly pin?: string | undefined;
  /** Custom card APs without a key package: the FIDs to read (default 0001). */
  readonly efs?: readonly number[] | undefined;
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

const CARD_AP: Text = { en: 'the card AP', ja: 'カードAP' };

function notFound(aid: string): AccessError {
  return new AccessError('CARD_AP_NOT_FOUND', {
    en: `no card AP ${aid} on this card`,
    ja: `このカードにカードAP ${aid} はありません`,
  });
}

/** SELECT with FCI: the card says the card AP's type (`6F { 84 AID, A5 { DF20 type } }`). */
async function selectType(t: Transmit, aid: Uint8Array): Promise<CardApType> {
  const r = parseResponse(
    await t(
      encodeCommand(command({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: aid, ne: 256 })),
    ),
  );
  if (r.sw === SW.FILE_NOT_FOUND) throw notFound(toHex(aid).toUpperCase());
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
  const sel = parseResponse(
    await t(encodeCommand(command({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: AID.common }))),
  );
  if (sel.sw !== SW.OK) {
    throw new AccessError('NOT_MYNA_CARD', {
      en: 'this card has no 共通カードAP (is it a My Number Card?)',
      ja: 'このカードには共通カードAPがありません（マイナンバーカードですか？）',
    });
  }
  const r = parseResponse(
    await t(
      encodeCommand(
        command({
          cla: 0x00,
          ins: 0xb0,
          p1: 0x80 | COMMON_EF.serial,
          p2: 0x00,
          ne: COMMON_EF_LENGTH.serial,
        }),
      ),
    ),
  );
  if (r.sw !== SW.OK || r.data.length < 8)
    throw cardError(r.sw, { en: 'card serial', ja: 'カード識別番号' });
  return r.data;
}

function mapAuthFailure(e: unknown): never {
  if (e instanceof Scp03Error) {
    throw new AccessError('KEYS_REJECTED', {
      en: 'the card AP refused these keys: it is another provider’s card AP, or the key package is of another system',
      ja: 'カードAPがこの鍵を受け付けませんでした。他のサービス提供者のカードAPか、別システムの鍵パッケージです',
    });
  }
  if (e instanceof CardStatusError) {
    const left = swTriesLeft(e.sw);
    if (left !== undefined && left > 0) {
      throw new AccessError(
        'PIN_WRONG',
        {
          en: `wrong card AP PIN, ${left} ${left === 1 ? 'try' : 'tries'} left`,
          ja: `カードAPのPINが違います（残り${left}回）`,
        },
        { triesLeft: left, sw: e.sw },
      );
    }
    if (e.sw === SW.AUTH_METHOD_BLOCKED || left === 0) {
      throw new AccessError(
        'PIN_LOCKED',
        {
          en: 'the card AP PIN is locked: its provider resets it through the loading system',
          ja: 'カードAPのPINがロックされています。サービス提供者がカードAP搭載システムで再設定します',
        },
        { sw: e.sw },
      );
    }
    throw cardError(e.sw, CARD_AP);
  }
  throw e;
}

function needKeys(type: CardApType): AccessError {
  return new AccessError('KEYS_REQUIRED', {
    en: `a type ${type} card AP is read with its provider's key package and PIN`,
    ja: `タイプ${type}のカードAPの読み取りにはサービス提供者の鍵パッケージとPINが必要です`,
  });
}

/** Reads the card AP `aid` from the card in `channel`. */
export async function readCardAp(
  channel: CardChannel,
  o: CardApReadOptions,
): Promise<CardApReading> {
  const t: Transmit = (b) => channel.transmit(b);
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
  const needsKeys =
    type === 'A' || type === 'D' || (type === 'custom' && pkg !== undefined && pkg.pin !== null);
  let keys;
  let pin: Uint8Array | undefined;
  if (needsKeys) {
    if (!pkg || pkg.pin === null) throw needKeys(type);
    const serial = await readSerial(t);
    const master = keyPackageMaster(pkg);
    keys = cardApCardKeys(master, serial, aid);
    if (pkg.pin.fixed) pin = cardApFixedPin(master, serial, aid);
    else if (o.pin !== undefined) pin = new TextEncoder().encode(o.pin);
    else {
      throw new AccessError('PIN_REQUIRED', {
        en: 'this card AP needs the PIN its holder chose',
        ja: 'このカードAPには本人が決めたPINが必要です',
      });
    }
  }
  try {
    if (type !== 'custom') {
      const r = await readStandardCardAp(t, { aid, type, ...(keys && pin ? { keys, pin } : {}) });
      return {
        aid: aidHex,
        type,
        userId: toHex(r.userId).toUpperCase(),
        data: r.data,
        ...(r.items ? { items: r.items } : {}),
        ...(r.records ? { records: r.records } : {}),
      };
    }
    const layout = pkg?.efs ?? (o.efs ?? [0x0001]).map((fid) => ({ fid, access: 'free' as const }));
    const efs: { fid: number; data: Uint8Array }[] = [];
    if (keys && pin) {
      const level = layout.some((e) => e.access === 'encrypted') ? 0x33 : 0x11;
      const s = await openCardAp(t, { aid, keys, pin, level });
      for (const e of layout) {
        await s.selectEf(e.fid);
        efs.push({ fid: e.fid, data: await s.readBinary() });
      }
    } else {
      // Free EFs only: plain SELECT EF and READ BINARY in the selected card AP.
      await t(encodeCommand(command({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: aid })));
      for (const e of layout) {
        const sel = parseResponse(
          await t(
            encodeCommand(
              command({
                cla: 0x00,
                ins: 0xa4,
                p1: 0x02,
                p2: 0x0c,
                data: Uint8Array.of(e.fid >> 8, e.fid & 0xff),
              }),
            ),
          ),
        );
        if (sel.sw !== SW.OK) throw new CardStatusError(sel.sw, 'SELECT EF');
        const parts: Uint8Array[] = [];
        for (let off = 0; ;) {
          const r = parseResponse(
            await t(
              encodeCommand(
                command({ cla: 0x00, ins: 0xb0, p1: off >> 8, p2: off & 0xff, ne: 256 }),
              ),
            ),
          );
          if (r.sw === SW.WRONG_P1P2 && off > 0) break;
          if (r.sw !== SW.OK) throw new CardStatusError(r.sw, 'READ BINARY');
          parts.push(r.data);
          off += r.data.length;
          if (r.data.length < 256) break;
        }
        efs.push({ fid: e.fid, data: Buffer.concat(parts) });
      }
    }
    const first = efs[0]?.data ?? new Uint8Array(0);
    if (first.length < USER_ID_LENGTH) {
      throw new AccessError('BAD_DATA', {
        en: 'the first EF does not hold a 13-byte user ID',
        ja: '最初のEFに利用者ID（13バイト）がありません',
      });
    }
    return {
      aid: aidHex,
      type,
      userId: toHex(first.subarray(0, USER_ID_LENGTH)).toUpperCase(),
      data: first.subarray(USER_ID_LENGTH),
      efs,
    };
  } catch (e) {
    if (e instanceof AccessError) throw e;
    return mapAuthFailure(e);
  }
}
