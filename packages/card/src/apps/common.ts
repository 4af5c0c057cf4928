/**
 * 共通カードAP: facts about the card itself that hosts read without a PIN —
 * the loading system reads them to identify the card and its municipality.
 * Our layout (transparent EFs; see README):
 * - 0001 card serial (カード識別番号): 16 random bytes
 * - 0002 市区町村コード where the holder is registered: 6 ASCII digits incl. check digit
 * - 0003 card expiry (有効期限): 8 ASCII digits YYYYMMDD
 */
import { AID, COMMON_EF } from '@myna-ap/profile';
import type { DfSpec } from '../fs/spec.ts';
import { ALWAYS } from '../fs/spec.ts';

export const COMMON_SPEC: DfSpec = {
  aid: AID.common,
  label: '共通カードAP (card common)',
  section: 'common',
  efs: [
    {
      fid: COMMON_EF.serial,
      label: 'カード識別番号 (card serial)',
      kind: 'binary',
      access: ALWAYS,
    },
    {
      fid: COMMON_EF.municipality,
      label: '市区町村コード (municipality code)',
      kind: 'binary',
      access: ALWAYS,
    },
    { fid: COMMON_EF.expiry, label: '有効期限 (card expiry)', kind: 'binary', access: ALWAYS },
  ],
  pins: [],
};
