/**
 * 券面事項確認AP: what is printed on the card's face, with the face photo, for
 * checking the card against its holder (CARD.md). EF 0002 is readable after
 * PIN A (0013, the My Number) or PIN B (0012, birth+expiry+security code).
 */
import { AID, FIXED_PIN, VISUAL_EF } from '@myna-ap/profile';
import type { DfSpec } from '../fs/spec.ts';
import { afterPin } from '../fs/spec.ts';

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
