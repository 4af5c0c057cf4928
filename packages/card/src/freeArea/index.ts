/** The free areas (空き領域) and their card APs: public surface of src/freeArea. */
export type { FreeAreasImage, FreeAreaImage, CardApImage, CardApEfImage } from './image.ts';
export { parseFreeAreas, FreeAreaImageError, AREA_NAMES } from './image.ts';
export { newFreeAreas, SD_AID, AREA_KEY_VERSION, TEST_AREA_MASTER_KEYS } from './keys.ts';
export type { AreaMasterKeys, NewFreeAreasOptions } from './keys.ts';
export { attachFreeAreas } from './attach.ts';
export {
  freeAreaUsage,
  areaUsage,
  footprint,
  DEFAULT_CAPACITY,
  type AreaUsage,
} from './capacity.ts';
export { CARD_AP_KEY_VERSION, CARD_AP_PIN_REFERENCE } from './cardAp.ts';
