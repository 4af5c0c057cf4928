/**
 * Content of the 券面事項確認AP's EF 0002 (CARD.md; tag numbers in decimal there):
 *
 * `FF 20 82 LL LL` {
 *   `DF 21 12` nine u16 offsets (from file start) of the tags DF22..DF2A
 *   `DF 22 08` birth date YYYYMMDD (ASCII)
 *   `DF 23 01` sex (ISO 5218)
 *   `DF 24` the card issuer's public key: `82` e ‖ `81` n
 *   `DF 25` name image (PNG)      `DF 26` address image (PNG)
 *   `DF 27` face photo (JPEG 2000, JP2 file)
 *   `DF 28 82 01 00` RSA-2048 PKCS#1 v1.5 SHA-256 signature by the card issuer
 *       over the bytes from the DF 22 tag to the end of DF 27
 *   `DF 29 08` card expiry YYYYMMDD (ASCII)
 *   `DF 2A` security code image (PNG)
 * }
 */
import { sign } from 'node:crypto';
import { concat, encodeTlv as tlv, encodeTlvLength as lengthBytes, u16 } from '@myna-ap/apdu';
import type { CardIssuer } from '../issuer.ts';
import { digitsPng, textPatternPng } from './png.ts';
import { rsaPublicKeyTlvs } from './publicKey.ts';
import type { BasicInfo } from './textAp.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

export interface VisualEntries extends BasicInfo {
  readonly expiry: string; // YYYY-MM-DD
  readonly securityCode: string; // 4 digits
  readonly face: Uint8Array; // JP2
}

export function visualEntriesEf(v: VisualEntries, issuer: CardIssuer): Uint8Array {
  const signed = [
    tlv(0xdf22, ascii(v.birthDate.replaceAll('-', ''))),
    tlv(0xdf23, ascii(v.sex)),
    tlv(0xdf24, rsaPublicKeyTlvs(issuer.publicKey)),
    tlv(0xdf25, textPatternPng(v.name)),
    tlv(0xdf26, textPatternPng(v.address)),
    tlv(0xdf27, v.face),
  ];
  const sig = new Uint8Array(sign('sha256', concat(...signed), issuer.privateKey));
  const fields = [
    ...signed,
    tlv(0xdf28, sig),
    tlv(0xdf29, ascii(v.expiry.replaceAll('-', ''))),
    tlv(0xdf2a, digitsPng(v.securityCode)),
  ];
  const offsetsTlvLength = 3 + 2 * fields.length;
  const contentLength = offsetsTlvLength + fields.reduce((n, f) => n + f.length, 0);
  const header = concat(Uint8Array.of(0xff, 0x20), lengthBytes(contentLength));
  let at = header.length + offsetsTlvLength;
  const offsets: Uint8Array[] = [];
  for (const f of fields) {
    offsets.push(u16(at));
    at += f.length;
  }
  return concat(header, tlv(0xdf21, ...offsets), ...fields);
}
