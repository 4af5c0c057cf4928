/**
 * Contents of the 券面事項入力補助AP's EFs, byte by byte (CARD.md):
 *
 * - EF 0001: `FF 10 0C` + 12 ASCII digits + `FF FF` (17 bytes)
 * - EF 0002: `FF 20 L` { `DF 21 08` four u16 offsets (from file start) of the
 *   DF22..DF25 tags; `DF 22` name; `DF 23` address; `DF 24 08` YYYYMMDD;
 *   `DF 25 01` sex } with L ≤ 127 (one reader reads a single length byte)
 * - EF 0003: `FF 30 82 01 4B` { `DF 31 20` SHA-256(EF 0001);
 *   `DF 32 20` SHA-256(EF 0002 from the DF 22 tag to the end);
 *   `DF 33 82 01 00` RSA-2048 PKCS#1 v1.5 SHA-256 signature by the card issuer
 *   over the DF 31 and DF 32 TLVs } (336 bytes, as CARD.md says)
 * - EF 0004: card-verifiable certificate `7F 21` { `7F 4E` { issuer ID (16) ‖
 *   subject ID (16) ‖ `82` e ‖ `81` n }, `5F 37` signature over the 7F 4E TLV }:
 *   ours carries the card issuer's own key (issuer = subject), which verifies
 *   EF 0003 and the visual AP's signature (568 bytes, as CARD.md says)
 * - EF 0005: AP info, 256 bytes: `E0 L { 80 01 01 (layout version) 81 10 card
 *   serial }` then 00 padding
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { concat, encodeTlv as tlv, encodeTlvLength as lengthBytes, u16 } from '@myna-ap/apdu';
import { CardOptionError } from '../errors.ts';
import type { CardIssuer } from '../issuer.ts';
import { rsaPublicKeyTlvs } from './publicKey.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const ascii = utf8;

export interface BasicInfo {
  readonly name: string; // 氏名
  readonly address: string; // 住所
  readonly birthDate: string; // 生年月日 YYYY-MM-DD
  readonly sex: '1' | '2' | '9'; // 性別 (ISO 5218)
}

export function myNumberEf(myNumber: string): Uint8Array {
  return concat(Uint8Array.of(0xff, 0x10, 0x0c), ascii(myNumber), Uint8Array.of(0xff, 0xff));
}

/** Longest EF 0002 content (after `FF 20 L`) that readers taking one length byte accept. */
export const BASIC_INFO_MAX = 127;

export function basicInfoEf(info: BasicInfo): Uint8Array {
  const fields = [
    tlv(0xdf22, utf8(info.name)),
    tlv(0xdf23, utf8(info.address)),
    tlv(0xdf24, ascii(info.birthDate.replaceAll('-', ''))),
    tlv(0xdf25, ascii(info.sex)),
  ];
  const offsetsTlvLength = 3 + 8;
  const contentLength = offsetsTlvLength + fields.reduce((n, f) => n + f.length, 0);
  if (contentLength > BASIC_INFO_MAX) {
    const used = utf8(info.name).length + utf8(info.address).length;
    const room = used - (contentLength - BASIC_INFO_MAX);
    throw new CardOptionError('BASIC_INFO_TOO_LONG', {
      en: `name and address take ${used} bytes in UTF-8, but the 4 info EF holds at most ${room} (content ≤ ${BASIC_INFO_MAX} bytes); shorten the address`,
      ja: `氏名と住所が UTF-8 で ${used} バイトあり、基本4情報EFに収まりません（最大 ${room} バイト、全体 ${BASIC_INFO_MAX} バイト以内）。住所を短くしてください`,
    });
  }
  const header = concat(Uint8Array.of(0xff, 0x20), lengthBytes(contentLength));
  let at = header.length + offsetsTlvLength;
  const offsets: Uint8Array[] = [];
  for (const f of fields) {
    offsets.push(u16(at));
    at += f.length;
  }
  return concat(header, tlv(0xdf21, ...offsets), ...fields);
}

/** The part of EF 0002 that EF 0003 hashes: from the DF 22 tag to the end. */
export function basicInfoHashedPart(ef: Uint8Array): Uint8Array {
  const headerLength = ef[2]! < 0x80 ? 3 : 3 + (ef[2]! & 0x7f);
  return ef.subarray(headerLength + 11);
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

export function textSignatureEf(
  myNumber: Uint8Array,
  basicInfo: Uint8Array,
  issuer: CardIssuer,
): Uint8Array {
  return textSignatureEfOverHash(sha256(myNumber), basicInfo, issuer);
}

/**
 * EF 0003 from the My Number's SHA-256 as the card already holds it (DF 31):
 * 記載事項変更 re-signs new 4 info without the counter ever reading the My Number.
 */
export function textSignatureEfOverHash(
  myNumberHash: Uint8Array,
  basicInfo: Uint8Array,
  issuer: CardIssuer,
): Uint8Array {
  if (myNumberHash.length !== 32) {
    throw new RangeError(`a SHA-256 of the My Number is 32 bytes, not ${myNumberHash.length}`);
  }
  const hashes = concat(
    tlv(0xdf31, myNumberHash),
    tlv(0xdf32, sha256(basicInfoHashedPart(basicInfo))),
  );
  const sig = sign('sha256', hashes, issuer.privateKey);
  return tlv(0xff30, hashes, tlv(0xdf33, new Uint8Array(sig)));
}

/** The issuer's card-verifiable certificate (self-signed: issuer = subject). */
export function issuerCvCertificateEf(issuer: CardIssuer): Uint8Array {
  return cvCertificate(issuer, issuer.id, issuer.publicKey);
}

/**
 * A card-verifiable certificate `7F 21` { `7F 4E` { issuer ID (16) ‖ subject ID
 * (16) ‖ `82` e ‖ `81` n }, `5F 37` the issuer's RSA PKCS#1 v1.5 SHA-256
 * signature over the `7F 4E` TLV }: EF 0004 of the text AP (the issuer's own)
 * and EF 0003 of the visual AP (the card-authentication key's).
 */
export function cvCertificate(
  issuer: CardIssuer,
  subjectId: Uint8Array,
  subjectKey: KeyObject,
): Uint8Array {
  const body = tlv(0x7f4e, issuer.id, subjectId, rsaPublicKeyTlvs(subjectKey));
  const sig = sign('sha256', body, issuer.privateKey);
  return tlv(0x7f21, body, tlv(0x5f37, new Uint8Array(sig)));
}

/** 16-byte ID of a public key: the first 16 bytes of SHA-256 over its SPKI DER (as the issuer's ID). */
export function keyId(publicKey: KeyObject): Uint8Array {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return sha256(new Uint8Array(spki)).subarray(0, 16);
}

export function textApInfoEf(serial: Uint8Array): Uint8Array {
  const out = new Uint8Array(256);
  out.set(tlv(0xe0, tlv(0x80, Uint8Array.of(1)), tlv(0x81, serial)));
  return out;
}
