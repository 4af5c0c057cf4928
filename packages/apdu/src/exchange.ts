/**
 * ISO/IEC 7816-4 exchange rules a host applies around one logical command, for cards
 * other than our emulator (which never answers `61 xx`, CARD.md) — a real card over
 * T=0 or behind a reader that does not handle them itself:
 *
 * - `61 xx`: more response bytes wait; fetch them with GET RESPONSE (5.3.4).
 * - `6C xx`: wrong Le; send the same command again with Le = xx.
 * - command chaining (5.1.1.1, CLA bit b5): data longer than a card accepts in one
 *   short APDU is sent as a chain.
 *
 * The transmit function is the only I/O and is passed in; the rules stay pure.
 */
import { ApduError, concatAll } from './bytes.ts';
import { command, encodeCommand, type CommandApdu } from './command.ts';
import { parseResponse, type ResponseApdu } from './response.ts';
import { SW } from './status.ts';

/** Sends one command APDU's bytes and returns the response APDU's bytes. */
export type ApduTransmit = (apdu: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** CLA bit b5: more commands of this chain follow (interindustry classes only). */
export const CLA_CHAINING = 0x10;

/** True when CLA is interindustry (ISO 7816-4 5.4.1), where b5 means chaining. */
function isInterindustry(cla: number): boolean {
  return (cla & 0x80) === 0;
}

/**
 * Splits a command whose data exceeds `maxData` bytes into a chain: every part but
 * the last has CLA bit b5 set and no Le; the last keeps the original CLA and Ne.
 * A command that fits is returned alone. `APDU_BAD_FIELD` for a proprietary CLA
 * (chaining is defined for interindustry classes only) or a CLA already chained.
 */
export function chainCommand(cmd: CommandApdu, maxData = 255): CommandApdu[] {
  if (!Number.isInteger(maxData) || maxData < 1 || maxData > 65535) {
    throw new ApduError('APDU_BAD_FIELD', `chain part size must be 1..65535, got ${maxData}`);
  }
  if (cmd.data.length <= maxData) return [cmd];
  if (!isInterindustry(cmd.cla) || (cmd.cla & CLA_CHAINING) !== 0) {
    throw new ApduError(
      'APDU_BAD_FIELD',
      `cannot chain a command with CLA ${cmd.cla.toString(16).padStart(2, '0')}`,
    );
  }
  const parts: CommandApdu[] = [];
  for (let at = 0; at < cmd.data.length; at += maxData) {
    const last = at + maxData >= cmd.data.length;
    parts.push(
      command({
        cla: last ? cmd.cla : cmd.cla | CLA_CHAINING,
        ins: cmd.ins,
        p1: cmd.p1,
        p2: cmd.p2,
        data: cmd.data.subarray(at, at + maxData),
        ...(last && cmd.ne !== undefined ? { ne: cmd.ne } : {}),
      }),
    );
  }
  return parts;
}

export interface ExchangeOptions {
  /** Longest command data sent in one APDU; longer data is chained. Default: no chaining. */
  readonly maxCommandData?: number;
  /** Most GET RESPONSE rounds after one command (default 64, 16 KiB at 256 each). */
  readonly maxGetResponses?: number;
}

/** The GET RESPONSE the card asked for with `61 xx` (xx = 00 means 256). */
export function getResponseCommand(cla: number, sw: number): CommandApdu {
  // GET RESPONSE keeps the logical channel of the command it completes (CLA b2-b1).
  const channel = isInterindustry(cla) ? cla & 0x03 : 0;
  return command({ cla: channel, ins: 0xc0, ne: (sw & 0xff) === 0 ? 256 : sw & 0xff });
}

async function send(transmit: ApduTransmit, cmd: CommandApdu): Promise<ResponseApdu> {
  return parseResponse(await transmit(encodeCommand(cmd)));
}

/**
 * Sends `cmd` and returns its complete response: chains long data when asked, re-sends
 * once with the right Le after `6C xx`, gathers `61 xx` with GET RESPONSE. A chain
 * part answered with anything but `90 00` ends the exchange with that answer. A card
 * that keeps answering `61 xx` beyond the limit is `RESPONSE_CHAIN_TOO_LONG`.
 */
export async function exchange(
  transmit: ApduTransmit,
  cmd: CommandApdu,
  opts: ExchangeOptions = {},
): Promise<ResponseApdu> {
  const parts = opts.maxCommandData !== undefined ? chainCommand(cmd, opts.maxCommandData) : [cmd];
  for (const part of parts.slice(0, -1)) {
    const r = await send(transmit, part);
    if (r.sw !== SW.OK) return r;
  }
  let last = parts[parts.length - 1]!;
  let r = await send(transmit, last);
  if ((r.sw & 0xff00) === 0x6c00) {
    last = { ...last, ne: (r.sw & 0xff) === 0 ? 256 : r.sw & 0xff };
    r = await send(transmit, last);
  }
  const limit = opts.maxGetResponses ?? 64;
  const chunks: Uint8Array[] = [r.data];
  for (let round = 0; (r.sw & 0xff00) === 0x6100; round++) {
    if (round >= limit) {
      throw new ApduError(
        'RESPONSE_CHAIN_TOO_LONG',
        `card still answers ${r.sw.toString(16).toUpperCase()} after ${limit} GET RESPONSE`,
      );
    }
    r = await send(transmit, getResponseCommand(last.cla, r.sw));
    chunks.push(r.data);
  }
  return { data: concatAll(chunks), sw: r.sw };
}
