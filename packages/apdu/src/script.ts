/**
 * APDU scripts: commands a card answers in order, sent to the terminal in one
 * round trip. Each command says which status words let the script go on; the
 * first answer with any other status ends it there (the commands after it are
 * never sent). The host builds a script only of commands whose bytes do not
 * depend on an earlier answer of the same script, so a load costs the round
 * trips the protocol needs (the host must see INITIALIZE UPDATE's challenge
 * before it can answer it), not one per APDU.
 *
 * Pure, but for `runScript`, which takes the transmit function like every host
 * helper here: the in-process card, a PC/SC reader and a relay all run scripts
 * the same way.
 */
import { ApduError, toHex } from './bytes.ts';
import { parseResponse } from './response.ts';

/**
 * A status word pattern: four hex digits, `X` for any nibble (`9000`, `63CX`).
 * Made by `swPattern`, which checks it.
 */
export type SwPattern = string & { readonly __swPattern: unique symbol };

const PATTERN = /^[0-9A-FX]{4}$/;

export function swPattern(p: string): SwPattern {
  const up = p.toUpperCase();
  if (!PATTERN.test(up)) {
    throw new ApduError(
      'APDU_BAD_FIELD',
      `status word pattern must be 4 hex digits or X (as 9000, 63CX), got ${JSON.stringify(p)}`,
    );
  }
  return up as SwPattern;
}

export function swMatches(sw: number, p: SwPattern): boolean {
  const hex = sw.toString(16).toUpperCase().padStart(4, '0');
  for (let i = 0; i < 4; i++) if (p[i] !== 'X' && p[i] !== hex[i]) return false;
  return true;
}

/** Only success goes on: the common case. */
export const GO_ON_OK: readonly SwPattern[] = [swPattern('9000')];
/** Any answer goes on (a lone command: its answer is the script's last anyway). */
export const GO_ON_ANY: readonly SwPattern[] = [swPattern('XXXX')];

export interface ScriptCommand {
  /** The command APDU's bytes. */
  readonly apdu: Uint8Array;
  /** Status words after which the next command is sent; any other ends the script. */
  readonly goOn: readonly SwPattern[];
}

export type Script = readonly ScriptCommand[];

/** Most commands in one script: a load's second round trip is a handful; a relay refuses more. */
export const MAX_SCRIPT_COMMANDS = 64;

/** True when the card's answer `response` lets the script go on after `c`. */
export function goesOn(c: ScriptCommand, response: Uint8Array): boolean {
  const { sw } = parseResponse(response);
  return c.goOn.some((p) => swMatches(sw, p));
}

/**
 * Sends the script's commands one after another and returns the answers; fewer
 * than the commands when one answered a status that ends it (that answer last).
 * A transmit that throws (card pulled) throws here: the answers before it are
 * lost with it, which the host treats as a cut at that command.
 */
export async function runScript(
  transmit: (apdu: Uint8Array) => Uint8Array | Promise<Uint8Array>,
  script: Script,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const c of script) {
    const r = await transmit(c.apdu);
    out.push(r);
    if (!goesOn(c, r)) break;
  }
  return out;
}

/**
 * How a list of answers relayed for `script` stands: `complete` (every command
 * answered, or the last answer ended it), `partial` (a prefix, each answer going
 * on: the terminal ran fewer than it was sent, the rest is still to run). Answers
 * past an ending status, or more answers than commands, are the relay's mistake:
 * `APDU_BAD_FIELD`.
 */
export function scriptProgress(
  script: Script,
  answers: readonly Uint8Array[],
): 'complete' | 'partial' {
  if (answers.length > script.length) {
    throw new ApduError(
      'APDU_BAD_FIELD',
      `${answers.length} answers to a script of ${script.length} commands`,
    );
  }
  for (let i = 0; i < answers.length; i++) {
    if (!goesOn(script[i]!, answers[i]!)) {
      if (i === answers.length - 1) return 'complete';
      throw new ApduError(
        'APDU_BAD_FIELD',
        `answer ${i + 1} (${toHex(answers[i]!.subarray(-2)).toUpperCase()}) ends the script, yet ${answers.length - i - 1} more follow`,
      );
    }
  }
  return answers.length === script.length ? 'complete' : 'partial';
}
