/**
 * How the free-area applets reach the card's persistent state: read the current
 * `freeAreas`, or replace it in one `card.update` (the anti-tearing commit point).
 */
import type { AreaName } from '@myna-ap/apdu';
import type { Card } from '../card.ts';
import { withArea, type CardApImage, type FreeAreasImage } from './image.ts';

export interface FreeAreaStore {
  read(): FreeAreasImage;
  write(fn: (areas: FreeAreasImage) => FreeAreasImage): void;
}

export function cardStore(card: Card): FreeAreaStore {
  return {
    read: () => card.image.freeAreas,
    write: (fn) => card.update((img) => ({ ...img, freeAreas: fn(img.freeAreas) })),
  };
}

/** Replaces one card AP of one area (PIN counter, record or EF content). */
export function writeCardAp(
  store: FreeAreaStore,
  area: AreaName,
  aidHex: string,
  fn: (ap: CardApImage) => CardApImage,
): void {
  store.write((areas) =>
    withArea(areas, area, (a) => ({
      ...a,
      cardAps: a.cardAps.map((c) => (c.aid === aidHex ? fn(c) : c)),
    })),
  );
}
