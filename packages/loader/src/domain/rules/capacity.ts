/**
 * Capacity (空き容量): a card AP takes its size plus the card's fixed overhead.
 * A load that does not fit is refused, saying how much is left.
 */
import type { AreaName } from '@myna-ap/apdu';
import { cardApFootprint } from '@myna-ap/profile';
import { LoaderError } from '../../errors.ts';
import { AREA_JA } from './area.ts';

export interface AreaSpace {
  readonly area: AreaName;
  /** Free bytes as the card reports them (GET DATA FF21). */
  readonly free: number;
}

/** Bytes a card AP of `size` takes in an area. */
export function footprint(size: number): number {
  return cardApFootprint(size);
}

export function checkCapacity(space: AreaSpace, size: number): void {
  const need = footprint(size);
  if (need <= space.free) return;
  throw new LoaderError(
    'AREA_FULL',
    {
      en: `not enough space in the ${space.area} area: ${need} bytes needed, ${space.free} left`,
      ja: `${AREA_JA[space.area]}の空き容量が不足しています（必要 ${need} バイト、残り ${space.free} バイト）`,
    },
    409,
    { area: space.area, needed: need, free: space.free },
  );
}
