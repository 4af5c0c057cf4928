/**
 * Capacity rules of the free areas (容量). Each card AP takes its reserved size
 * plus a fixed overhead for what the card keeps about it (AID, provider, keys,
 * PIN object). Default capacities follow seeds/001: about 10 typical card APs in
 * 地域住民向け領域 and about 20 in 拡張利用領域, a typical one being 255 bytes.
 */
import type { AreaName } from '@myna-ap/apdu';
import { cardApFootprint } from '@myna-ap/profile';
import {
  parseFreeAreas,
  type CardApImage,
  type FreeAreaImage,
  type FreeAreasImage,
} from './image.ts';

/** A typical card AP (255-byte type A or D) with its overhead: 288 bytes. */
export const TYPICAL_CARD_AP_FOOTPRINT = cardApFootprint(255);

export const DEFAULT_CAPACITY: Readonly<Record<AreaName, number>> = {
  local: 10 * TYPICAL_CARD_AP_FOOTPRINT, // 2880 bytes
  extended: 20 * TYPICAL_CARD_AP_FOOTPRINT, // 5760 bytes
};

export function footprint(ap: Pick<CardApImage, 'size'>): number {
  return cardApFootprint(ap.size);
}

export interface AreaUsage {
  readonly total: number;
  readonly used: number;
  readonly free: number;
  readonly cardAps: number;
}

export function areaUsage(area: FreeAreaImage): AreaUsage {
  const used = area.cardAps.reduce((n, ap) => n + footprint(ap), 0);
  return {
    total: area.capacity,
    used,
    free: Math.max(0, area.capacity - used),
    cardAps: area.cardAps.length,
  };
}

/**
 * Usage of both areas, for `myna card show` and diagnosis. Takes the card image
 * (its `freeAreas` is validated) or the free areas themselves.
 */
export function freeAreaUsage(
  img: { readonly freeAreas: unknown } | FreeAreasImage,
): Readonly<Record<AreaName, AreaUsage>> {
  const areas = 'local' in img ? img : parseFreeAreas(img.freeAreas);
  return { local: areaUsage(areas.local), extended: areaUsage(areas.extended) };
}

/** True when a card AP of `size` bytes fits in what is left. */
export function fits(area: FreeAreaImage, size: number): boolean {
  return footprint({ size }) <= areaUsage(area).free;
}
