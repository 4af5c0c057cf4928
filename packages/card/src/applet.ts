/**
 * The contract between the card's dispatcher (card.ts) and each application on
 * the chip. An applet sees only the APDUs sent to it while it is selected and only
 * its own state: that is the application firewall (アプリケーションファイアウォール).
 */
import type { Aid, CommandApdu, ResponseApdu } from '@myna-ap/apdu';

export interface Applet {
  /** DF name matched by SELECT `00 A4 04 0C Lc AID` (exact match). */
  readonly aid: Aid;
  /** Short English label for traces and `myna card show`. */
  readonly label: string;
  /**
   * This applet becomes the selected one. Return `90 00` (with FCI data when
   * P2 asks for it) or an error status to refuse selection.
   */
  select(cmd: CommandApdu): ResponseApdu;
  /** Another applet was selected, or the card was reset: clear security state. */
  deselect(): void;
  /** Power cycle: drop volatile or staged state too (optional; `deselect` follows). */
  powerOff?(): void;
  /** Every APDU other than SELECT-by-AID while this applet is selected. */
  process(cmd: CommandApdu): ResponseApdu;
}
