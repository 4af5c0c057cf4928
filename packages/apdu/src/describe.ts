/**
 * One-line descriptions of APDUs for traces and logs:
 * `SELECT DF name D392F000260100000001`, `READ BINARY off=0 Le=256`,
 * `VERIFY P2=80 PIN=<4 bytes masked>`.
 *
 * Logs outlive sessions, so secrets never reach them: the data of VERIFY, CHANGE
 * REFERENCE DATA, RESET RETRY COUNTER and of every command whose data may carry keys,
 * PINs or personal data (writes, signatures, GlobalPlatform INSTALL/STORE DATA/PUT KEY,
 * secure-messaging cryptograms) is shown as its length only. Response data is never
 * shown (it may be the My Number); only its length and the status word.
 */
import { toHex } from './bytes.ts';
import { parseCommand, type CommandApdu } from './command.ts';
import { parseResponse, type ResponseApdu } from './response.ts';
import { describeStatusWord } from './status.ts';

const hex = (b: Uint8Array) => toHex(b).toUpperCase();
const h2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** True when CLA says the command is wrapped in secure messaging. */
export function isSecureMessaging(cla: number): boolean {
  // GlobalPlatform proprietary class 84 (C-MAC), or interindustry CLA 0X/1X with b4-b3 ≠ 00.
  if ((cla & 0xf0) === 0x80) return (cla & 0x04) !== 0;
  if ((cla & 0xe0) === 0x00) return (cla & 0x0c) !== 0;
  if ((cla & 0xc0) === 0x40) return (cla & 0x20) !== 0; // further interindustry class, b6
  return false;
}

/** INS codes whose data is a secret: shown as `<n bytes masked>` whatever the options say. */
const SECRET_INS = new Set([
  0x20, // VERIFY
  0x21, // VERIFY (odd)
  0x24, // CHANGE REFERENCE DATA
  0x2c, // RESET RETRY COUNTER
  0xd8, // PUT KEY (GlobalPlatform)
]);

/** INS codes whose data is safe to print when `showData` is on (no PIN, key or 4 info). */
const PUBLIC_DATA_INS = new Set([0xa4, 0xb0, 0xb1, 0xb2, 0xb3, 0xca, 0xcb, 0xe4, 0xf2, 0x22, 0x70]);

const NAMES: Record<number, string> = {
  0x0e: 'ERASE BINARY',
  0x20: 'VERIFY',
  0x21: 'VERIFY',
  0x22: 'MANAGE SECURITY ENVIRONMENT',
  0x24: 'CHANGE REFERENCE DATA',
  0x2a: 'PERFORM SECURITY OPERATION',
  0x2c: 'RESET RETRY COUNTER',
  0x44: 'ACTIVATE FILE',
  0x46: 'GENERATE ASYMMETRIC KEY PAIR',
  0x70: 'MANAGE CHANNEL',
  0x82: 'EXTERNAL AUTHENTICATE',
  0x84: 'GET CHALLENGE',
  0x86: 'GENERAL AUTHENTICATE',
  0x88: 'INTERNAL AUTHENTICATE',
  0xa4: 'SELECT',
  0xb0: 'READ BINARY',
  0xb1: 'READ BINARY',
  0xb2: 'READ RECORD',
  0xb3: 'READ RECORD',
  0xc0: 'GET RESPONSE',
  0xca: 'GET DATA',
  0xcb: 'GET DATA',
  0xd6: 'UPDATE BINARY',
  0xd7: 'UPDATE BINARY',
  0xdc: 'UPDATE RECORD',
  0xdd: 'UPDATE RECORD',
  0xe2: 'APPEND RECORD',
  0xe4: 'DELETE FILE',
};

/** GlobalPlatform commands (CLA 8X): same INS, other meaning. */
const GP_NAMES: Record<number, string> = {
  0x50: 'INITIALIZE UPDATE',
  0x82: 'EXTERNAL AUTHENTICATE',
  0xca: 'GET DATA',
  0xd8: 'PUT KEY',
  0xe2: 'STORE DATA',
  0xe4: 'DELETE',
  0xe6: 'INSTALL',
  0xf0: 'SET STATUS',
  0xf2: 'GET STATUS',
};

const SELECT_BY: Record<number, string> = {
  0x00: 'FID',
  0x01: 'child DF',
  0x02: 'EF',
  0x03: 'parent DF',
  0x04: 'DF name',
  0x08: 'path from MF',
  0x09: 'path',
};

export interface DescribeOptions {
  /**
   * Print the data of commands whose data is public (SELECT, READ, GET DATA,
   * GET STATUS…) in full; others still show only their length. Default: on. Secret
   * commands (VERIFY and friends) are masked whatever this says.
   */
  readonly showData?: boolean;
}

function describeParsed(c: CommandApdu, opts: DescribeOptions): string {
  const gp = (c.cla & 0xf0) === 0x80;
  const sm = isSecureMessaging(c.cla);
  const name =
    (gp ? GP_NAMES[c.ins] : undefined) ??
    (c.ins === 0x2a && c.p1 === 0x9e && c.p2 === 0x9a ? 'COMPUTE DIGITAL SIGNATURE' : undefined) ??
    (c.ins === 0x2a && c.cla === 0x80 ? 'COMPUTE DIGITAL SIGNATURE' : undefined) ??
    NAMES[c.ins] ??
    `INS ${h2(c.ins)}`;
  const parts: string[] = [name];
  const nc = c.data.length;
  const masked = `<${nc} byte${nc === 1 ? '' : 's'} masked>`;
  const showPublic = opts.showData !== false && !sm && PUBLIC_DATA_INS.has(c.ins);
  let dataShown = false;

  switch (gp ? -1 : c.ins) {
    case 0xa4: {
      parts.push(SELECT_BY[c.p1] ?? `P1=${h2(c.p1)}`);
      if (nc > 0 && showPublic) {
        parts.push(hex(c.data));
        dataShown = true;
      }
      if (c.p2 !== 0x0c && c.p2 !== 0x00) parts.push(`P2=${h2(c.p2)}`);
      break;
    }
    case 0xb0:
    case 0xd6:
    case 0x0e:
      if ((c.p1 & 0x80) !== 0) parts.push(`SFI=${c.p1 & 0x1f} off=${c.p2}`);
      else parts.push(`off=${((c.p1 & 0x7f) << 8) | c.p2}`);
      break;
    case 0xb2:
    case 0xdc:
      parts.push(`rec=${c.p1}`);
      if (c.p2 >> 3 !== 0) parts.push(`SFI=${c.p2 >> 3}`);
      if ((c.p2 & 0x07) !== 0x04) parts.push(`P2=${h2(c.p2)}`);
      break;
    case 0x20:
    case 0x21:
    case 0x24:
    case 0x2c:
      parts.push(`P2=${h2(c.p2)}`);
      if (c.p1 !== 0) parts.push(`P1=${h2(c.p1)}`);
      if (nc > 0) {
        parts.push(`PIN=${masked}`);
        dataShown = true;
      } else if (c.ins === 0x20 || c.ins === 0x21) {
        parts.push('(tries left?)');
      }
      break;
    default:
      parts.push(`P1=${h2(c.p1)} P2=${h2(c.p2)}`);
  }
  if (c.cla !== 0) parts.push(`CLA=${h2(c.cla)}${sm ? ' (SM)' : ''}`);
  if (nc > 0 && !dataShown) {
    if (showPublic && !SECRET_INS.has(c.ins)) parts.push(`data=${hex(c.data)}`);
    else parts.push(`Lc=${nc}`);
  }
  if (c.ne !== undefined) parts.push(`Le=${c.ne}`);
  if (c.extended) parts.push('(extended)');
  return parts.join(' ');
}

/**
 * A one-line description of a command APDU (parsed or raw bytes). Never throws:
 * bytes that do not parse become `malformed command APDU (n bytes)`.
 */
export function describeCommand(cmd: CommandApdu | Uint8Array, opts: DescribeOptions = {}): string {
  if (cmd instanceof Uint8Array) {
    let parsed: CommandApdu;
    try {
      parsed = parseCommand(cmd);
    } catch {
      return `malformed command APDU (${cmd.length} bytes)`;
    }
    return describeParsed(parsed, opts);
  }
  return describeParsed(cmd, opts);
}

/** `9000 success, 17 bytes`: the status word and the data length, never the data. */
export function describeResponse(res: ResponseApdu | Uint8Array): string {
  let r: ResponseApdu;
  if (res instanceof Uint8Array) {
    try {
      r = parseResponse(res);
    } catch {
      return `malformed response APDU (${res.length} bytes)`;
    }
  } else r = res;
  const n = r.data.length;
  return n === 0
    ? describeStatusWord(r.sw)
    : `${describeStatusWord(r.sw)}, ${n} byte${n === 1 ? '' : 's'}`;
}
