/**
 * How the card operations talk to the card: one command at a time (`transmit`),
 * or a script of commands the card answers in order in one round trip (`run`).
 * A card job gives both over its relay (jobs.ts); a plain transmit (a reader, the
 * in-process card, a test's cut) runs scripts one command after another.
 *
 * The operations keep reading cards through @myna-ap/access and @myna-ap/apdu,
 * which send one command and read its answer: `replay` hands them the answers a
 * script already brought, checking each command is the one the script sent, so
 * a script is only ever a prediction the readers confirm byte for byte.
 */
import { bytesEqual, runScript, toHex, type Script, type Transmit } from '@myna-ap/apdu';

export interface CardLink {
  /** One command, one round trip. */
  readonly transmit: Transmit;
  /** A script, one round trip: the answers in order, fewer when one ended it. */
  run(script: Script): Promise<Uint8Array[]>;
}

export function isCardLink(t: Transmit | CardLink): t is CardLink {
  return typeof t !== 'function';
}

/** A link over a plain transmit: each command of a script in turn (a cut mid-script is a cut at that command). */
export function asLink(t: Transmit | CardLink): CardLink {
  if (isCardLink(t)) return t;
  return { transmit: t, run: (script) => runScript(t, script) };
}

export interface Replay {
  /** Answers the script's commands from what it brought, then goes to the card. */
  readonly transmit: Transmit;
  /** Answers brought and not yet asked for. */
  readonly left: () => number;
  /**
   * Forgets the answers not asked for: the operation took another path (recovery
   * opened channels of its own), and the script's reads are stale. Scripts hold
   * only commands whose effect the next SELECT undoes, so dropping them is safe.
   */
  readonly drop: () => void;
}

/**
 * The answers `answers` (to `script`, in order) served to readers that send one
 * command at a time. A command other than the script's next one while answers
 * are left means the operation and its script disagree: a bug, refused (the card
 * has run commands the operation did not ask for).
 */
export function replay(link: CardLink, script: Script, answers: readonly Uint8Array[]): Replay {
  const queue = answers.map((answer, i) => ({ apdu: script[i]!.apdu, answer }));
  return {
    transmit: (apdu) => {
      const head = queue.shift();
      if (!head) return link.transmit(apdu);
      if (!bytesEqual(head.apdu, apdu)) {
        throw new Error(
          `script out of step with its operation: it sent ${toHex(head.apdu)}, the operation asks ${toHex(apdu)}`,
        );
      }
      return head.answer;
    },
    left: () => queue.length,
    drop: () => void queue.splice(0),
  };
}
