/**
 * The holder's 基本4情報 as the 署名用 certificate carries them: subjectAltName
 * otherName UTF8Strings under 1.2.392.200149.8.5.5 (CARD.md). The 利用者証明用
 * certificate carries none of them.
 */
import { x509 } from './x509.ts';
import { der, derChildren, oidContent, oidToString, DerError } from './der.ts';

export interface HolderInfo {
  readonly name: string; // 氏名
  readonly address: string; // 住所
  readonly birthDate: string; // 生年月日 YYYY-MM-DD
  readonly sex: '1' | '2' | '9'; // 性別 (ISO 5218)
  readonly nameAlt?: string; // 代替文字の氏名
  readonly addressAlt?: string; // 代替文字の住所
}

const ARC = '1.2.392.200149.8.5.5';
export const HOLDER_OID = {
  name: `${ARC}.1`,
  nameAlt: `${ARC}.2`,
  sex: `${ARC}.3`,
  birthDate: `${ARC}.4`,
  address: `${ARC}.5`,
  addressAlt: `${ARC}.6`,
} as const;

const SAN_OID = '2.5.29.17';

/** Birth date in the certificate as `YYYYMMDD` (the card's own form). */
function birthForCert(iso: string): string {
  return iso.replaceAll('-', '');
}

function otherName(oid: string, value: string): Uint8Array {
  // GeneralName otherName: [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT UTF8String }
  return der(0xa0, der(0x06, oidContent(oid)), der(0xa0, der(0x0c, Buffer.from(value, 'utf8'))));
}

/** DER of the subjectAltName extension value holding the 4 info. */
export function holderSanValue(h: HolderInfo): Uint8Array {
  return der(
    0x30,
    otherName(HOLDER_OID.name, h.name),
    otherName(HOLDER_OID.nameAlt, h.nameAlt ?? h.name),
    otherName(HOLDER_OID.sex, h.sex),
    otherName(HOLDER_OID.birthDate, birthForCert(h.birthDate)),
    otherName(HOLDER_OID.address, h.address),
    otherName(HOLDER_OID.addressAlt, h.addressAlt ?? h.address),
  );
}

/**
 * Reads the 4 info back from a certificate (DER). `undefined` when the certificate
 * carries none (an auth certificate); throws DerError on a malformed certificate or extension.
 */
export function readHolderInfo(certDer: Uint8Array): HolderInfo | undefined {
  let ext: x509.Extension | null;
  try {
    ext = new x509.X509Certificate(certDer).getExtension(SAN_OID);
  } catch {
    // the library's own errors (it parses lazily): one typed error for callers
    throw new DerError('not a DER certificate');
  }
  if (!ext) return undefined;
  const seq = derChildren(new Uint8Array(ext.value));
  if (seq.length !== 1 || seq[0]!.tag !== 0x30)
    throw new DerError('subjectAltName is not a SEQUENCE');
  const found = new Map<string, string>();
  for (const gn of derChildren(seq[0]!.value)) {
    if (gn.tag !== 0xa0) continue; // not an otherName
    const [typeId, explicit] = derChildren(gn.value);
    if (!typeId || typeId.tag !== 0x06 || !explicit || explicit.tag !== 0xa0) {
      throw new DerError('malformed otherName');
    }
    const [str] = derChildren(explicit.value);
    if (!str || str.tag !== 0x0c) throw new DerError('otherName value is not a UTF8String');
    found.set(oidToString(typeId.value), Buffer.from(str.value).toString('utf8'));
  }
  const name = found.get(HOLDER_OID.name);
  const address = found.get(HOLDER_OID.address);
  const birth = found.get(HOLDER_OID.birthDate);
  const sex = found.get(HOLDER_OID.sex);
  if (name === undefined || address === undefined || birth === undefined || sex === undefined) {
    return undefined;
  }
  if (!/^\d{8}$/.test(birth) || !['1', '2', '9'].includes(sex)) {
    throw new DerError('birth date or sex in the certificate is malformed');
  }
  return {
    name,
    address,
    birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
    sex: sex as HolderInfo['sex'],
    nameAlt: found.get(HOLDER_OID.nameAlt),
    addressAlt: found.get(HOLDER_OID.addressAlt),
  };
}
