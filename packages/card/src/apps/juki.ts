/**
 * 住基AP: the 住民票コード (resident record code, 11 digits) for the 住基ネット.
 * Our layout (the real one is not public): EF 0001 holds the 11 ASCII digits,
 * readable after the 住基 PIN 0011 (4 digits, 3 tries; by default the same
 * digits as the other 4-digit PINs, as the card is usually issued).
 */
import { AID, FIXED_PIN, JUKI_EF } from '@myna-ap/profile';
import type { DfSpec } from '../fs/spec.ts';
import { afterPin } from '../fs/spec.ts';

export const JUKI_SPEC: DfSpec = {
  aid: AID.juki,
  label: '住基AP (resident registry)',
  section: 'juki',
  efs: [
    {
      fid: JUKI_EF.residentCode,
      label: '住民票コード (resident record code)',
      kind: 'binary',
      access: afterPin(JUKI_EF.pin),
    },
  ],
  pins: [
    {
      fid: JUKI_EF.pin,
      label: '住基用暗証番号 (PIN)',
      maxTries: FIXED_PIN.juki.tries,
      format: FIXED_PIN.juki.format,
      holderSet: FIXED_PIN.juki.holderSet,
    },
  ],
};
