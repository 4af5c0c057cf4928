/**
 * 券面事項確認AP: what is printed on the card's face, with the face photo, for
 * checking the card against its holder (CARD.md). EF 0002 is readable after
 * PIN A (0013, the My Number) or PIN B (0012, birth+expiry+security code).
 */
import type { DfSpec } from '../fs/spec.ts';
import { afterPin } from '../fs/spec.ts';
import { AID } from './aids.ts';
import { PIN_A, PIN_B } from './pinFormats.ts';

export const VISUAL_EF = {
  entries: 0x0002, // 券面事項
  pinB: 0x0012, // 照合番号B
  pinA: 0x0013, // 照合番号A
} as const;

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
  ],
  pins: [
    {
      fid: VISUAL_EF.pinB,
      label: '照合番号B (PIN B: birth+expiry+code)',
      maxTries: 10,
      format: PIN_B,
    },
    { fid: VISUAL_EF.pinA, label: '照合番号A (PIN A: My Number)', maxTries: 10, format: PIN_A },
  ],
};
