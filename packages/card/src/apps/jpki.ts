/**
 * 公的個人認証AP (JPKI AP): the two certificates with their CA certificates,
 * the two RSA-2048 keys and their PINs (CARD.md, OpenSC card-jpki.c).
 *
 * Signing is `80 2A 00 80 Lc DigestInfo 00` with the key EF selected (or P2 =
 * 80|SFI): the card adds PKCS#1 v1.5 type-1 padding and applies the private key,
 * so the host hashes and builds the DigestInfo (OpenSC: RSA_HASH_NONE |
 * RSA_PAD_PKCS1). The key's PIN must be verified in this DF; verification holds
 * across EF selects and repeated signatures until a DF change or reset.
 */
import { constants, createPrivateKey, privateEncrypt, type KeyObject } from 'node:crypto';
import { SW, ok, status, toHex, type CommandApdu, type ResponseApdu } from '@myna-ap/apdu';
import type { Card } from '../card.ts';
import { CardImageError, fidKey } from '../image.ts';
import { AID, FIXED_PIN, JPKI_EF, JPKI_TOKEN_LABEL, JPKI_TOKEN_LENGTH } from '@myna-ap/profile';
import { DfApplet } from '../fs/dfApplet.ts';
import { ALWAYS, afterPin, type DfSpec } from '../fs/spec.ts';

/** EF 0006: the token label OpenSC checks, space-padded to 32 bytes. */
export const JPKI_TOKEN = new TextEncoder().encode(JPKI_TOKEN_LABEL.padEnd(JPKI_TOKEN_LENGTH, ' '));

/** RSA-2048: the modulus length in bytes, and the longest input PKCS#1 v1.5 padding allows. */
const RSA_BYTES = 256;
const MAX_SIGN_INPUT = RSA_BYTES - 11;

export const JPKI_SPEC: DfSpec = {
  aid: AID.jpki,
  label: '公的個人認証AP (JPKI)',
  section: 'jpki',
  efs: [
    {
      fid: JPKI_EF.signCert,
      label: '署名用電子証明書 (sign certificate)',
      kind: 'binary',
      access: afterPin(JPKI_EF.signPin),
    },
    {
      fid: JPKI_EF.signCaCert,
      label: '署名用CA証明書 (sign CA certificate)',
      kind: 'binary',
      access: ALWAYS,
    },
    { fid: JPKI_EF.token, label: 'トークン情報 (token info)', kind: 'binary', access: ALWAYS },
    {
      fid: JPKI_EF.authCert,
      label: '利用者証明用電子証明書 (auth certificate)',
      kind: 'binary',
      access: ALWAYS,
    },
    {
      fid: JPKI_EF.authCaCert,
      label: '利用者証明用CA証明書 (auth CA certificate)',
      kind: 'binary',
      access: ALWAYS,
    },
    {
      fid: JPKI_EF.authKey,
      label: '利用者証明用秘密鍵 (auth private key)',
      kind: 'key',
      access: afterPin(JPKI_EF.authPin),
    },
    {
      fid: JPKI_EF.signKey,
      label: '署名用秘密鍵 (sign private key)',
      kind: 'key',
      access: afterPin(JPKI_EF.signPin),
    },
  ],
  pins: [
    {
      fid: JPKI_EF.authPin,
      label: '利用者証明用暗証番号 (auth PIN)',
      maxTries: FIXED_PIN.jpki_auth.tries,
      format: FIXED_PIN.jpki_auth.format,
      holderSet: FIXED_PIN.jpki_auth.holderSet,
    },
    {
      fid: JPKI_EF.signPin,
      label: '署名用暗証番号 (sign password)',
      maxTries: FIXED_PIN.jpki_sign.tries,
      format: FIXED_PIN.jpki_sign.format,
      holderSet: FIXED_PIN.jpki_sign.holderSet,
    },
  ],
};

export class JpkiApplet extends DfApplet {
  /** Parsed private keys by their PKCS#8 hex, so each signature does not re-parse DER. */
  readonly #keys = new Map<string, KeyObject>();

  constructor(card: Card) {
    super(card, JPKI_SPEC);
    // Parse both keys now so a damaged image fails when loaded, not mid-session.
    for (const fid of [JPKI_EF.authKey, JPKI_EF.signKey]) {
      try {
        this.#key(fid);
      } catch (e) {
        throw new CardImageError('CARD_IMAGE_INVALID', {
          en: `JPKI key EF ${fidKey(fid)} is not an RSA PKCS#8 private key: ${(e as Error).message}`,
          ja: `JPKI の鍵EF ${fidKey(fid)} が RSA 秘密鍵（PKCS#8）ではありません: ${(e as Error).message}`,
        });
      }
    }
  }

  protected override processProprietary(cmd: CommandApdu): ResponseApdu {
    if (cmd.cla !== 0x80) return status(SW.CLA_NOT_SUPPORTED);
    if (cmd.ins !== 0x2a) return status(SW.INS_NOT_SUPPORTED);
    return this.#sign(cmd);
  }

  #sign(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x00) return status(SW.INCORRECT_P1P2);
    const target = this.resolveByP2(cmd.p2);
    if (target === 'bad') return status(SW.INCORRECT_P1P2);
    if (!target)
      return status(cmd.p2 === 0x80 ? SW.COMMAND_NOT_ALLOWED_NO_EF : SW.REFERENCED_DATA_NOT_FOUND);
    if (target.kind !== 'ef' || target.spec.kind !== 'key') return status(SW.COMMAND_INCOMPATIBLE);
    if (cmd.data.length === 0) return status(SW.WRONG_LENGTH);
    if (cmd.data.length > MAX_SIGN_INPUT) return status(SW.WRONG_DATA);
    if (cmd.ne !== undefined && cmd.ne < RSA_BYTES) return status(SW.WRONG_LENGTH);
    if (!this.allowed(target.spec)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    const key = this.#key(target.spec.fid);
    const signature = privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, cmd.data);
    return ok(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength));
  }

  #key(fid: number): KeyObject {
    const der = this.efContent(fid);
    const id = toHex(der);
    let key = this.#keys.get(id);
    if (!key) {
      key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
      if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== 2048) {
        throw new Error('not an RSA-2048 key');
      }
      this.#keys.set(id, key);
    }
    return key;
  }
}
