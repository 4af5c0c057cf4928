/** A real Card with one trivial applet: enough to exercise transports without the JPKI AP. */
import { Card, emptyCardImage } from '@myna-ap/card';
import { SW, aid, ok, status } from '@myna-ap/apdu';

export const ECHO_AID = aid('F000000001EC40');
export const SELECT_ECHO = Uint8Array.from([0x00, 0xa4, 0x04, 0x0c, 0x07, ...ECHO_AID]);

/**
 * INS 0x10 echoes the data; INS 0xB0 answers Ne bytes of 0x5A; anything else `6D 00`.
 * `resets` counts deselects (card reset / power off).
 */
export function echoCard(): { card: Card; resets: () => number } {
  const card = new Card(emptyCardImage());
  let resets = 0;
  card.addApplet({
    aid: ECHO_AID,
    label: 'echo',
    select: () => ok(),
    deselect: () => void resets++,
    process: (c) =>
      c.ins === 0x10
        ? ok(c.data)
        : c.ins === 0xb0
          ? ok(new Uint8Array(c.ne ?? 0).fill(0x5a))
          : status(SW.INS_NOT_SUPPORTED),
  });
  return { card, resets: () => resets };
}
