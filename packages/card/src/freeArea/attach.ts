/**
 * Puts the free areas on a card: the two security domains and an applet for
 * every installed card AP, all reading and replacing `card.image.freeAreas`.
 */
import { aid as toAid, fromHex, type AreaName } from '@myna-ap/apdu';
import type { Card } from '../card.ts';
import { CardApApplet } from './cardAp.ts';
import { AREA_NAMES, parseFreeAreas } from './image.ts';
import { SecurityDomainApplet, type AppletTable } from './securityDomain.ts';
import { cardStore } from './store.ts';

/**
 * Adds the SD applets of 地域住民向け領域 and 拡張利用領域 and every card AP of the
 * image. Throws `FreeAreaImageError` when the image's `freeAreas` is invalid.
 */
export function attachFreeAreas(card: Card): void {
  // Validated again: a Card may be built from an image that never went through parseCardImage.
  const areas = parseFreeAreas(card.image.freeAreas);
  const store = cardStore(card);
  const table: AppletTable = {
    hasApplet: (aid) => card.findApplet(aid) !== undefined,
    installed: (area: AreaName, ap) => card.addApplet(new CardApApplet(store, area, ap)),
    deleted: (aid) => card.removeApplet(aid),
  };
  for (const name of AREA_NAMES) {
    card.addApplet(new SecurityDomainApplet(store, name, table));
    for (const ap of areas[name].cardAps) {
      if (!card.findApplet(toAid(fromHex(ap.aid))))
        card.addApplet(new CardApApplet(store, name, ap));
    }
  }
}
