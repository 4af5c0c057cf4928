/**
 * Puts the card's fixed applications (those the card is issued with) on a card
 * built from an image. Each applet reads and writes only its own image section.
 */
import type { Card } from '../card.ts';

export function installFixedApplets(_card: Card): void {
  // The fixed applets are added here as they are written (JPKI, 券面, 住基, 共通).
}
