/**
 * The free areas' keys. Each area (security domain) has a master key set held by
 * the loading system's key store; the card holds keys diversified from it with
 * its serial (see `diversifyScp03Keys`): no two cards share a key, and the
 * `local` keys never open `extended` (different masters, different area code).
 */
import {
  AREA_CODE,
  AREA_KEY_VERSION,
  TEST_AREA_MASTER_KEYS,
  diversifyScp03Keys,
  keyDiversificationData,
  toHex,
  type AreaMasterKeys,
  type AreaName,
} from '@myna-ap/apdu';
import { SD_AID } from '@myna-ap/profile';
import { DEFAULT_CAPACITY } from './capacity.ts';
import type { FreeAreaImage, FreeAreasImage } from './image.ts';

export { AREA_KEY_VERSION, TEST_AREA_MASTER_KEYS, type AreaMasterKeys };

export { SD_AID };

export interface NewFreeAreasOptions {
  /** Card serial (8+ bytes) from the 共通カードAP. */
  readonly cardId: Uint8Array;
  /** Area master keys; default: the published TEST keys (never for real cards). */
  readonly masterKeys?: AreaMasterKeys;
  readonly capacity?: Partial<Record<AreaName, number>>;
}

function newArea(name: AreaName, opts: NewFreeAreasOptions): FreeAreaImage {
  const kdd = keyDiversificationData(opts.cardId);
  const k = diversifyScp03Keys(
    (opts.masterKeys ?? TEST_AREA_MASTER_KEYS)[name],
    kdd,
    AREA_CODE[name],
  );
  return {
    aid: toHex(SD_AID[name]),
    capacity: opts.capacity?.[name] ?? DEFAULT_CAPACITY[name],
    keyVersion: AREA_KEY_VERSION,
    kdd: toHex(kdd),
    keys: { enc: toHex(k.enc), mac: toHex(k.mac), dek: toHex(k.dek) },
    cardAps: [],
  };
}

/** Empty free areas of a new card, keys diversified for `cardId`. */
export function newFreeAreas(opts: NewFreeAreasOptions): FreeAreasImage {
  return { local: newArea('local', opts), extended: newArea('extended', opts) };
}
