/**
 * 券面事項入力補助AP: the My Number and the 4 basic info as text, for filling in
 * forms (CARD.md; EF/PIN numbers as public readers use them).
 *
 * Who reads what (our choice where public sources are silent, see README):
 * - 0001 My Number and 0003 hashes+signature: after PIN 0011 or PIN A (0014)
 *   (0003 holds the SHA-256 of the My Number, which 10^11 guesses would undo)
 * - 0002 4 info: after PIN 0011, PIN A or PIN B (0015)
 * - 0004 card-verifiable certificate and 0005 AP info: free
 */
import { AID, FIXED_PIN, TEXT_EF } from '@myna-ap/profile';
import type { DfSpec } from '../fs/spec.ts';
import { ALWAYS, afterPin } from '../fs/spec.ts';

export const TEXT_SPEC: DfSpec = {
  aid: AID.text,
  label: '券面事項入力補助AP (text)',
  section: 'text',
  efs: [
    {
      fid: TEXT_EF.myNumber,
      label: '個人番号 (My Number)',
      kind: 'binary',
      access: afterPin(TEXT_EF.pin, TEXT_EF.pinA),
    },
    {
      fid: TEXT_EF.basicInfo,
      label: '基本4情報 (4 basic info)',
      kind: 'binary',
      access: afterPin(TEXT_EF.pin, TEXT_EF.pinA, TEXT_EF.pinB),
    },
    {
      fid: TEXT_EF.signature,
      label: 'ハッシュ値・署名 (hashes and signature)',
      kind: 'binary',
      access: afterPin(TEXT_EF.pin, TEXT_EF.pinA),
    },
    {
      fid: TEXT_EF.certificate,
      label: '券面AP証明書 (card-verifiable certificate)',
      kind: 'binary',
      access: ALWAYS,
    },
    { fid: TEXT_EF.apInfo, label: 'AP基本情報 (AP info)', kind: 'binary', access: ALWAYS },
  ],
  pins: [
    {
      fid: TEXT_EF.pin,
      label: '券面事項入力補助用暗証番号 (PIN)',
      maxTries: FIXED_PIN.text.tries,
      format: FIXED_PIN.text.format,
      holderSet: FIXED_PIN.text.holderSet,
    },
    {
      fid: TEXT_EF.pinA,
      label: '照合番号A (PIN A: My Number)',
      maxTries: FIXED_PIN.text_pin_a.tries,
      format: FIXED_PIN.text_pin_a.format,
    },
    {
      fid: TEXT_EF.pinB,
      label: '照合番号B (PIN B: birth+expiry+code)',
      maxTries: FIXED_PIN.text_pin_b.tries,
      format: FIXED_PIN.text_pin_b.format,
    },
  ],
};
