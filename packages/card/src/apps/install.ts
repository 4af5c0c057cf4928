/**
 * Puts the card's fixed applications (those the card is issued with) on a card
 * built from an image. Each applet reads and writes only its own image section.
 */
import type { Card } from '../card.ts';
import { DfApplet } from '../fs/dfApplet.ts';
import { JPKI_SPEC, JpkiApplet } from './jpki.ts';
import { TEXT_SPEC } from './text.ts';
import { VISUAL_SPEC, VisualApplet } from './visual.ts';
import { JUKI_SPEC } from './juki.ts';
import { COMMON_SPEC } from './common.ts';

/** Every fixed application's file tree, in the order `myna card show` lists them. */
export const FIXED_SPECS = [JPKI_SPEC, TEXT_SPEC, VISUAL_SPEC, JUKI_SPEC, COMMON_SPEC] as const;

export function installFixedApplets(card: Card): void {
  card.addApplet(new JpkiApplet(card));
  card.addApplet(new VisualApplet(card));
  for (const spec of FIXED_SPECS) {
    if (spec !== JPKI_SPEC && spec !== VISUAL_SPEC) card.addApplet(new DfApplet(card, spec));
  }
}
