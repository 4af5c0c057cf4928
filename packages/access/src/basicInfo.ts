/**
 * 基本4情報 from 券面事項入力補助AP EF 0002:
 * `FF 20 L` { `DF 21 08` four u16 offsets of the DF22..DF25 tags from the file
 * start; `DF 22` name; `DF 23` address; `DF 24 08` YYYYMMDD; `DF 25 01` sex }.
 * The offsets are checked against where each TLV really is: a mismatch means
 * the EF is not what we think, and we say so instead of guessing.
 */
import { badData } from './errors.ts';
import { parseTlv, type TlvNode } from '@myna-ap/apdu';

export interface BasicInfo {
  readonly name: string; // 氏名
  readonly address: string; // 住所
  readonly birthDate: string; // 生年月日 YYYY-MM-DD
  readonly sex: '1' | '2' | '9'; // 性別 (ISO 5218: 1 男, 2 女, 9 適用不能)
}

const WHAT = { en: 'basic info', ja: '基本4情報' };

export function parseBasicInfo(ef: Uint8Array): BasicInfo {
  let root: TlvNode;
  try {
    // Not strict: the EF may hold fill bytes after the template.
    root = parseTlv(ef, { strict: false });
  } catch (e) {
    throw badData(WHAT, (e as Error).message);
  }
  if (root.tag !== 0xff20 || !root.children) throw badData(WHAT, 'no FF 20 template');
  const items = root.children;
  const get = (tag: number) => items.find((i) => i.tag === tag);
  const offsets = get(0xdf21);
  if (!offsets || offsets.value.length !== 8) throw badData(WHAT, 'DF 21 offsets missing');
  const fields = [0xdf22, 0xdf23, 0xdf24, 0xdf25].map((tag, k) => {
    const item = get(tag);
    if (!item) throw badData(WHAT, `${tag.toString(16).toUpperCase()} missing`);
    const at = (offsets.value[2 * k]! << 8) | offsets.value[2 * k + 1]!;
    if (at !== item.offset) {
      throw badData(
        WHAT,
        `DF 21 puts ${tag.toString(16).toUpperCase()} at ${at}, found at ${item.offset}`,
      );
    }
    return item.value;
  });
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let name, address, birth, sex;
  try {
    [name, address, birth, sex] = fields.map((f) => utf8.decode(f));
  } catch {
    throw badData(WHAT, 'not UTF-8');
  }
  if (!/^\d{8}$/.test(birth!)) throw badData(WHAT, `birth date ${JSON.stringify(birth)}`);
  if (sex !== '1' && sex !== '2' && sex !== '9') throw badData(WHAT, `sex ${JSON.stringify(sex)}`);
  return {
    name: name!,
    address: address!,
    birthDate: `${birth!.slice(0, 4)}-${birth!.slice(4, 6)}-${birth!.slice(6, 8)}`,
    sex,
  };
}
