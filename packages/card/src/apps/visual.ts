/**
 * 券面事項確認AP: what is printed on the card's face, with the face photo, for
 * checking the card against its holder (CARD.md). EF 0002 is readable after
 * PIN A (0013, the My Number) or PIN B (0012, birth+expiry+security code).
 *
 * Internal authentication (内部認証, seed 003 かざし利用ソフト IF 3): after PIN B —
 * our reading of the seed's "生年月日PIN", which public sources do not pin down —
 * INTERNAL AUTHENTICATE `00 88 00 P2 Lc challenge 00` signs the host's challenge
 * with the card-authentication key (EF 0010, never read). Its public key is in the
 * card-verifiable certificate EF 0003 (free), signed by the card issuer, whose own
 * certificate is the text AP's EF 0004: a copy of the card's readable data cannot
 * answer a fresh challenge.
 */
import { constants, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { SW, ok, status, type CommandApdu, type ResponseApdu } from '@myna-ap/apdu';
import { AID, FIXED_PIN, INTERNAL_AUTH_CHALLENGE, VISUAL_EF } from '@myna-ap/profile';
import type { Card } from '../card.ts';
import { CardImageError, fidKey } from '../image.ts';
import { DfApplet } from '../fs/dfApplet.ts';
import type { DfSpec } from '../fs/spec.ts';
import { ALWAYS, afterPin } from '../fs/spec.ts';

export const VISUAL_SPEC: DfSpec = {
  aid: AID.visual,
  label: '券面事項確認AP (visual)',
  section: 'visual',
  efs: [
    {
      fid: VISUAL_EF.entries,
      label: '券面事項 (card face: images, birth, sex, expiry)',
      kind: 'binary',
      access: afterPin(VISUAL_EF.pinA, VISUAL_EF.pinB),
    },
    {
      fid: VISUAL_EF.cardAuthCert,
      label: 'カード認証用証明書 (card-authentication certificate)',
      kind: 'binary',
      access: ALWAYS,
      optional: true,
    },
    {
      fid: VISUAL_EF.cardAuthKey,
      label: 'カード認証用秘密鍵 (card-authentication key)',
      kind: 'key',
      access: afterPin(VISUAL_EF.pinB),
      optional: true,
    },
  ],
  pins: [
    {
      fid: VISUAL_EF.pinB,
      label: '照合番号B (PIN B: birth+expiry+code)',
      maxTries: FIXED_PIN.visual_pin_b.tries,
      format: FIXED_PIN.visual_pin_b.format,
    },
    {
      fid: VISUAL_EF.pinA,
      label: '照合番号A (PIN A: My Number)',
      maxTries: FIXED_PIN.visual_pin_a.tries,
      format: FIXED_PIN.visual_pin_a.format,
    },
  ],
};

const RSA_BYTES = 256;

export class VisualApplet extends DfApplet {
  #key: { der: string; key: KeyObject } | undefined;

  constructor(card: Card) {
    super(card, VISUAL_SPEC);
    // Parse the key now (when the card has one) so a damaged image fails when loaded.
    if (card.image.visual.files[fidKey(VISUAL_EF.cardAuthKey)] !== undefined) {
      try {
        this.#privateKey(VISUAL_EF.cardAuthKey);
      } catch (e) {
        throw new CardImageError('CARD_IMAGE_INVALID', {
          en: `visual AP key EF 0010 is not an RSA PKCS#8 private key: ${(e as Error).message}`,
          ja: `券面事項確認AP の鍵EF 0010 が RSA 秘密鍵（PKCS#8）ではありません: ${(e as Error).message}`,
        });
      }
    }
  }

  protected override processInterindustry(cmd: CommandApdu): ResponseApdu {
    if (cmd.ins !== 0x88) return status(SW.INS_NOT_SUPPORTED);
    return this.#internalAuthenticate(cmd);
  }

  /** INTERNAL AUTHENTICATE: RSA-2048 PKCS#1 v1.5 SHA-256 signature over the challenge. */
  #internalAuthenticate(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x00) return status(SW.INCORRECT_P1P2);
    const target = this.resolveByP2(cmd.p2);
    if (target === 'bad') return status(SW.INCORRECT_P1P2);
    if (!target)
      return status(cmd.p2 === 0x80 ? SW.COMMAND_NOT_ALLOWED_NO_EF : SW.REFERENCED_DATA_NOT_FOUND);
    if (target.kind !== 'ef' || target.spec.kind !== 'key') return status(SW.COMMAND_INCOMPATIBLE);
    if (cmd.data.length === 0) return status(SW.WRONG_LENGTH);
    if (
      cmd.data.length < INTERNAL_AUTH_CHALLENGE.min ||
      cmd.data.length > INTERNAL_AUTH_CHALLENGE.max
    )
      return status(SW.WRONG_DATA);
    // CARD.md: the command carries Le 00 — without it (case 3) no data may come back.
    if (cmd.ne === undefined || cmd.ne < RSA_BYTES) return status(SW.WRONG_LENGTH);
    if (!this.allowed(target.spec)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    const sig = sign('sha256', cmd.data, {
      key: this.#privateKey(target.spec.fid),
      padding: constants.RSA_PKCS1_PADDING,
    });
    return ok(new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength));
  }

  #privateKey(fid: number): KeyObject {
    const der = this.efContent(fid);
    const hex = Buffer.from(der).toString('hex');
    if (this.#key?.der !== hex) {
      this.#key = {
        der: hex,
        key: createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }),
      };
    }
    return this.#key.key;
  }
}
