/**
 * The rules of an issuer update, pure: which objects of the fixed APs the card
 * issuer may set, what their content must look like, and the image after the
 * whole update — or a refusal (a status word), the image untouched. The issuer
 * SD applies the result in one `card.update` (anti-tearing).
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
} from 'node:crypto';
import { SW, bytesEqual, parseTlv, toHex, type IssuerItem } from '@myna-ap/apdu';
import { JPKI_EF, TEXT_EF, VISUAL_EF } from '@myna-ap/profile';
import { FIXED_SPECS } from '../apps/install.ts';
import { meetsFormat } from '../fs/dfApplet.ts';
import type { DfSpec } from '../fs/spec.ts';
import { newPin, readEf, withEf, withPin, type ApName, type CardImage } from '../image.ts';
import { BASIC_INFO_MAX, basicInfoHashedPart } from '../layout/textAp.ts';
import { isRefusal, refuse, type Refusal } from '../freeArea/install.ts';

export { isRefusal, type Refusal };

/** A key pair made on the card by GENERATE ASYMMETRIC KEY PAIR, waiting for its EF. */
export interface StagedKey {
  readonly privateKey: KeyObject;
}

/** Data EFs the issuer may replace, with the outer tag their content must have. */
const WRITABLE_EFS: readonly { section: ApName; fid: number; tag: number; what: string }[] = [
  { section: 'text', fid: TEXT_EF.basicInfo, tag: 0xff20, what: '4 info' },
  { section: 'text', fid: TEXT_EF.signature, tag: 0xff30, what: 'hashes and signature' },
  { section: 'visual', fid: VISUAL_EF.entries, tag: 0xff20, what: 'card face' },
  { section: 'jpki', fid: JPKI_EF.signCert, tag: 0x30, what: 'sign certificate' },
];

/** Key EFs that take a key generated on the card: the sign key (記載事項変更). */
const WRITABLE_KEYS: readonly { section: ApName; fid: number }[] = [
  { section: 'jpki', fid: JPKI_EF.signKey },
];

function specOf(aid: Uint8Array): DfSpec | undefined {
  return FIXED_SPECS.find((s) => bytesEqual(s.aid, aid));
}

/** One well-formed BER-TLV with this outer tag and nothing after it. */
function isSingleTlv(content: Uint8Array, tag: number): boolean {
  try {
    return parseTlv(content, { opaque: [0xff10] }).tag === tag;
  } catch {
    return false;
  }
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

/** EF 0003 of the text AP holds the hashes of EF 0001 and EF 0002: they must still match. */
function textHashesMatch(img: CardImage): boolean {
  const myNumber = readEf(img, 'text', TEXT_EF.myNumber);
  const info = readEf(img, 'text', TEXT_EF.basicInfo);
  const sig = readEf(img, 'text', TEXT_EF.signature);
  if (!myNumber || !info || !sig) return false;
  try {
    const node = parseTlv(sig);
    const get = (t: number) => node.children?.find((c) => c.tag === t)?.value;
    const h1 = get(0xdf31);
    const h2 = get(0xdf32);
    return (
      h1 !== undefined &&
      h2 !== undefined &&
      bytesEqual(h1, sha256(myNumber)) &&
      bytesEqual(h2, sha256(basicInfoHashedPart(info)))
    );
  } catch {
    return false;
  }
}

/** The sign certificate must certify the sign key the card will hold. */
function signCertMatchesKey(img: CardImage): boolean {
  const cert = readEf(img, 'jpki', JPKI_EF.signCert);
  const key = readEf(img, 'jpki', JPKI_EF.signKey);
  if (!cert || !key) return false;
  try {
    const fromCert = new X509Certificate(Buffer.from(cert)).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    const fromKey = createPublicKey(
      createPrivateKey({ key: Buffer.from(key), format: 'der', type: 'pkcs8' }),
    ).export({ format: 'der', type: 'spki' });
    return Buffer.compare(fromCert, fromKey) === 0;
  } catch {
    return false;
  }
}

/**
 * The image after every item of one issuer update, or the status word that
 * refuses the whole update: `6A 88` an AID or object the issuer may not set,
 * `6A 80` a PIN that breaks its format, content of the wrong shape, the same
 * object twice, or a result whose parts disagree (text hashes, certificate and
 * key), `69 85` a key item without a key generated in this session.
 */
export function applyIssuerUpdate(
  img: CardImage,
  items: readonly IssuerItem[],
  staged: StagedKey | undefined,
): CardImage | Refusal {
  if (items.length === 0) return refuse(SW.WRONG_DATA);
  const seen = new Set<string>();
  let next = img;
  let touchesText = false;
  let touchesSign = false;
  for (const item of items) {
    const spec = specOf(item.aid);
    if (!spec) return refuse(SW.REFERENCED_DATA_NOT_FOUND);
    const id = `${toHex(item.aid)}/${item.fid}`;
    if (seen.has(id)) return refuse(SW.WRONG_DATA);
    seen.add(id);
    if (item.kind === 'pin') {
      const pin = spec.pins.find((p) => p.fid === item.fid && p.holderSet);
      if (!pin) return refuse(SW.REFERENCED_DATA_NOT_FOUND);
      if (!meetsFormat(pin, item.pin)) return refuse(SW.WRONG_DATA);
      next = withPin(next, spec.section, pin.fid, newPin(item.pin, pin.maxTries));
    } else if (item.kind === 'ef') {
      const ef = WRITABLE_EFS.find((e) => e.section === spec.section && e.fid === item.fid);
      if (!ef) return refuse(SW.REFERENCED_DATA_NOT_FOUND);
      if (!isSingleTlv(item.content, ef.tag)) return refuse(SW.WRONG_DATA);
      if (
        ef.section === 'text' &&
        ef.fid === TEXT_EF.basicInfo &&
        item.content.length > BASIC_INFO_MAX + 3
      )
        return refuse(SW.WRONG_DATA);
      next = withEf(next, spec.section, ef.fid, item.content);
      touchesText ||= ef.section === 'text';
      touchesSign ||= ef.section === 'jpki';
    } else {
      const k = WRITABLE_KEYS.find((e) => e.section === spec.section && e.fid === item.fid);
      if (!k) return refuse(SW.REFERENCED_DATA_NOT_FOUND);
      if (!staged) return refuse(SW.CONDITIONS_NOT_SATISFIED);
      const der = new Uint8Array(staged.privateKey.export({ format: 'der', type: 'pkcs8' }));
      next = withEf(next, spec.section, k.fid, der);
      touchesSign = true;
    }
  }
  if (touchesText && !textHashesMatch(next)) return refuse(SW.WRONG_DATA);
  if (touchesSign && !signCertMatchesKey(next)) return refuse(SW.WRONG_DATA);
  return next;
}
