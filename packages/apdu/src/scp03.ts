/**
 * SCP03-style secure channel (GlobalPlatform Card Spec. v2.3 Amendment D semantics),
 * pure and shared by both ends: the host (`Scp03Host`, used by the loading system and
 * the access module) and the card (packages/card/src/gp, which reuses `Scp03Channel`).
 *
 * - Keys and cryptograms come from the NIST SP 800-108 KDF in counter mode with
 *   AES-CMAC as PRF, laid out as Amendment D 4.1.5 says.
 * - C-MAC is chained (the MAC chaining value is the full 16-byte CMAC of the previous
 *   command); a replayed or altered APDU therefore never verifies.
 * - C-DECRYPTION / R-ENCRYPTION: AES-CBC, ICV = AES(S-ENC, counter), padding 80 00….
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApduError, concat } from './bytes.ts';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesEncryptBlock,
  constantTimeEqual,
  pad80,
  unpad80,
} from './crypto.ts';
import { command, encodeCommand, parseCommand, type CommandApdu } from './command.ts';
import { parseResponse, type ResponseApdu } from './response.ts';
import { SW } from './status.ts';
import type { Scp03ErrorCode } from './errors.ts';

// AES primitives come from crypto.ts; key sizes are checked here with a clear message.

function checkKey(key: Uint8Array, what: string): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new ApduError('SM_BAD_KEY', `${what} must be an AES key of 16, 24 or 32 bytes`);
  }
}

const aesEcbBlock = aesEncryptBlock;
const ctEqual = constantTimeEqual;

function aesCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array, encrypt: boolean): Uint8Array {
  return encrypt ? aesCbcEncrypt(key, iv, data) : aesCbcDecrypt(key, iv, data);
}

// ---------------------------------------------------------------------------
// Key derivation (Amendment D 4.1.5).

/** Derivation constants of Amendment D table 4-1. */
export const SCP03_DERIVATION = {
  CARD_CRYPTOGRAM: 0x00,
  HOST_CRYPTOGRAM: 0x01,
  CARD_CHALLENGE: 0x02,
  S_ENC: 0x04,
  S_MAC: 0x06,
  S_RMAC: 0x07,
} as const;

/**
 * NIST SP 800-108 KDF in counter mode, PRF = AES-CMAC. Input per block:
 * label (11 × 00 ‖ constant) ‖ 00 ‖ L (16-bit, bits) ‖ i (8-bit counter from 1) ‖ context.
 */
export function scp03Kdf(
  key: Uint8Array,
  constant: number,
  context: Uint8Array,
  lengthBits: number,
): Uint8Array {
  checkKey(key, 'KDF key');
  if (
    // Stryker disable next-line ConditionalExpression: a length that is no integer is never a multiple of 8 either
    !Number.isInteger(lengthBits) ||
    lengthBits <= 0 ||
    lengthBits % 8 !== 0 ||
    // Stryker disable next-line EqualityOperator: 0xffff is no multiple of 8, so > and >= refuse the same lengths
    lengthBits > 0xffff
  ) {
    throw new ApduError(
      'SM_BAD_KEY',
      `KDF output length ${lengthBits} bits is not a whole number of bytes`,
    );
  }
  const label = new Uint8Array(12);
  label[11] = constant & 0xff;
  const blocks = Math.ceil(lengthBits / 128);
  const parts: Uint8Array[] = [];
  for (let i = 1; i <= blocks; i++) {
    parts.push(
      aesCmac(key, concat(label, Uint8Array.of(0, lengthBits >> 8, lengthBits & 0xff, i), context)),
    );
  }
  return concat(...parts).slice(0, lengthBits / 8);
}

/** The three static keys of an SCP03 key set (K-ENC, K-MAC, K-DEK). */
export interface Scp03StaticKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

export interface Scp03SessionKeys {
  readonly sEnc: Uint8Array;
  readonly sMac: Uint8Array;
  readonly sRmac: Uint8Array;
}

export function deriveScp03SessionKeys(
  keys: Pick<Scp03StaticKeys, 'enc' | 'mac'>,
  hostChallenge: Uint8Array,
  cardChallenge: Uint8Array,
): Scp03SessionKeys {
  const ctx = concat(hostChallenge, cardChallenge);
  const bits = keys.enc.length * 8;
  return {
    sEnc: scp03Kdf(keys.enc, SCP03_DERIVATION.S_ENC, ctx, bits),
    sMac: scp03Kdf(keys.mac, SCP03_DERIVATION.S_MAC, ctx, bits),
    sRmac: scp03Kdf(keys.mac, SCP03_DERIVATION.S_RMAC, ctx, bits),
  };
}

/** Card (constant 00) or host (constant 01) cryptogram: 8 bytes. */
export function scp03Cryptogram(
  sMac: Uint8Array,
  constant: number,
  hostChallenge: Uint8Array,
  cardChallenge: Uint8Array,
): Uint8Array {
  return scp03Kdf(sMac, constant, concat(hostChallenge, cardChallenge), 64);
}

// ---------------------------------------------------------------------------
// Security levels and the running channel.

/** Security level bits (P1 of EXTERNAL AUTHENTICATE). */
export const SCP03_LEVEL = {
  C_MAC: 0x01,
  C_DECRYPTION: 0x02,
  R_MAC: 0x10,
  R_ENCRYPTION: 0x20,
} as const;

/** True for the levels Amendment D allows: 01, 03, 11, 13, 31, 33. */
export function isValidScp03Level(level: number): boolean {
  return [0x01, 0x03, 0x11, 0x13, 0x31, 0x33].includes(level);
}

export class Scp03Error extends Error {
  override readonly name = 'Scp03Error';
  constructor(
    readonly code: Scp03ErrorCode,
    message: string,
    /** The status word to answer with when the card side raises it. */
    readonly sw: number = SW.SECURITY_STATUS_NOT_SATISFIED,
  ) {
    super(message);
  }
}

/** Lc field as it appears in the MAC'd header (short, or extended 00 hi lo). */
function lcField(n: number, extended: boolean): Uint8Array {
  // Stryker disable next-line ConditionalExpression: a short APDU never carries more than 255 bytes (n <= 255 → true)
  if (!extended && n <= 255) return Uint8Array.of(n);
  return Uint8Array.of(0, n >> 8, n & 0xff);
}

function counterBlock(counter: bigint, first = 0): Uint8Array {
  const b = new Uint8Array(16);
  let c = counter;
  // Stryker disable next-line EqualityOperator: byte 0 is 0 below 2^120 commands (i > 0 is the same); i < 0 is killed by scp03Wire
  for (let i = 15; i >= 0; i--) {
    b[i] = Number(c & 0xffn);
    c >>= 8n;
  }
  // Stryker disable next-line ConditionalExpression: for first = 0 both branches give byte 0 (0 below 2^120 commands)
  b[0] = first !== 0 ? first : b[0]!;
  return b;
}

/** A channel's chaining state after some command (Scp03Channel.mark). */
export interface Scp03ChainMark {
  readonly mac: Uint8Array;
  readonly counter: bigint;
}

/** Commands wrapped to go to the card in one script, and how to check the answers. */
export interface WrappedScript {
  readonly apdus: readonly Uint8Array[];
  /**
   * Checks the card's answers (in order; fewer than the commands when the script
   * stopped), each against the chaining state of its own command, and leaves the
   * channel where the card is: after the last command it answered.
   */
  unwrap(answers: readonly Uint8Array[]): ResponseApdu[];
}

/**
 * The state both ends keep after mutual authentication: session keys, level, MAC
 * chaining value and encryption counter. The host uses wrapCommand/unwrapResponse,
 * the card unwrapCommand/wrapResponse. Any failure closes the channel for good.
 */
export class Scp03Channel {
  #macChain: Uint8Array = new Uint8Array(16);
  #counter = 0n;
  #open = true;
  #level: number;

  constructor(
    readonly keys: Scp03SessionKeys,
    level: number,
  ) {
    this.#level = level;
  }

  /** Security level in force (set by EXTERNAL AUTHENTICATE P1). */
  get level(): number {
    return this.#level;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  close(): void {
    this.#open = false;
  }

  /** The chaining state (MAC chain, counter) now: where a pipelined response is checked. */
  mark(): Scp03ChainMark {
    return { mac: this.#macChain, counter: this.#counter };
  }

  /** Back to a state `mark` gave: to check a response of a command wrapped earlier. */
  rewind(m: Scp03ChainMark): void {
    this.#macChain = m.mac;
    this.#counter = m.counter;
  }

  #mac(header: Uint8Array, body: Uint8Array): Uint8Array {
    const full = aesCmac(this.keys.sMac, concat(this.#macChain, header, body));
    this.#macChain = full;
    return full.slice(0, 8);
  }

  /**
   * MACs EXTERNAL AUTHENTICATE (never encrypted) from the zero chaining value. The
   * encryption counter then starts: the first wrapped command uses 1.
   */
  macExternalAuthenticate(cmd: CommandApdu): CommandApdu {
    const cla = cmd.cla | 0x04;
    const n = cmd.data.length + 8;
    const mac = this.#mac(
      concat(Uint8Array.of(cla, cmd.ins, cmd.p1, cmd.p2), lcField(n, false)),
      cmd.data,
    );
    return command({ cla, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data: concat(cmd.data, mac) });
  }

  /**
   * Card side: checks and strips the C-MAC of EXTERNAL AUTHENTICATE; on success the
   * level asked in P1 is in force (the caller checks it is allowed first).
   */
  verifyExternalAuthenticate(cmd: CommandApdu): CommandApdu {
    const plain = this.#verifyMac(cmd, false);
    this.#level = cmd.p1;
    return plain;
  }

  #verifyMac(cmd: CommandApdu, decrypt: boolean): CommandApdu {
    if (!this.#open) throw new Scp03Error('SCP03_SESSION_CLOSED', 'secure channel is closed');
    if ((cmd.cla & 0x04) === 0 || cmd.data.length < 8) {
      this.close();
      throw new Scp03Error(
        'SCP03_BAD_MAC',
        'command carries no C-MAC',
        SW.SECURITY_STATUS_NOT_SATISFIED,
      );
    }
    const body = cmd.data.subarray(0, cmd.data.length - 8);
    const got = cmd.data.subarray(cmd.data.length - 8);
    const saved = this.#macChain;
    const want = this.#mac(
      concat(
        Uint8Array.of(cmd.cla, cmd.ins, cmd.p1, cmd.p2),
        lcField(cmd.data.length, cmd.extended),
      ),
      body,
    );
    if (!ctEqual(want, got)) {
      this.#macChain = saved;
      this.close();
      throw new Scp03Error('SCP03_BAD_MAC', 'C-MAC does not verify', SW.SM_DATA_INCORRECT);
    }
    let data: Uint8Array = body.slice();
    if (decrypt && (this.level & SCP03_LEVEL.C_DECRYPTION) !== 0 && data.length > 0) {
      if (data.length % 16 !== 0) {
        this.close();
        throw new Scp03Error(
          'SCP03_BAD_PADDING',
          'encrypted data is not whole blocks',
          SW.SM_DATA_INCORRECT,
        );
      }
      const icv = aesEcbBlock(this.keys.sEnc, counterBlock(this.#counter));
      try {
        data = unpad80(aesCbc(this.keys.sEnc, icv, data, false));
      } catch {
        this.close();
        throw new Scp03Error(
          'SCP03_BAD_PADDING',
          'decrypted data has no 80 padding',
          SW.SM_DATA_INCORRECT,
        );
      }
    }
    return {
      cla: cmd.cla & ~0x04,
      ins: cmd.ins,
      p1: cmd.p1,
      p2: cmd.p2,
      data,
      ne: cmd.ne,
      extended: cmd.extended,
    };
  }

  /** Host side: encrypts (when C-DECRYPTION) and MACs a plain command. */
  wrapCommand(plain: CommandApdu): CommandApdu {
    if (!this.#open) throw new Scp03Error('SCP03_SESSION_CLOSED', 'secure channel is closed');
    this.#counter++;
    let data = plain.data;
    if ((this.level & SCP03_LEVEL.C_DECRYPTION) !== 0 && data.length > 0) {
      const icv = aesEcbBlock(this.keys.sEnc, counterBlock(this.#counter));
      data = aesCbc(this.keys.sEnc, icv, pad80(data), true);
    }
    const cla = plain.cla | 0x04;
    const n = data.length + 8;
    // Stryker disable next-line ConditionalExpression: past 255 bytes command() and lcField go extended by themselves (n > 255 → false)
    const extended = plain.extended || n > 255;
    const mac = this.#mac(
      concat(Uint8Array.of(cla, plain.ins, plain.p1, plain.p2), lcField(n, extended)),
      data,
    );
    return command({
      cla,
      ins: plain.ins,
      p1: plain.p1,
      p2: plain.p2,
      data: concat(data, mac),
      // With R-MAC every response carries data: ask for it (ISO 7816-4: no Le, no data).
      ...(plain.ne !== undefined
        ? { ne: plain.ne }
        : (this.#level & SCP03_LEVEL.R_MAC) !== 0
          ? { ne: 256 }
          : {}),
      extended,
    });
  }

  /** Card side: verifies the C-MAC (chained) and decrypts. Throws `Scp03Error` and closes on failure. */
  unwrapCommand(wrapped: CommandApdu): CommandApdu {
    // Stryker disable next-line ConditionalExpression: #verifyMac refuses a closed channel the same way
    if (!this.#open) throw new Scp03Error('SCP03_SESSION_CLOSED', 'secure channel is closed');
    this.#counter++;
    return this.#verifyMac(wrapped, true);
  }

  /** Card side: adds R-ENC / R-MAC to a response according to the level. */
  wrapResponse(res: ResponseApdu): ResponseApdu {
    if ((this.level & SCP03_LEVEL.R_MAC) === 0) return res;
    let data = res.data;
    if ((this.level & SCP03_LEVEL.R_ENCRYPTION) !== 0 && data.length > 0) {
      const icv = aesEcbBlock(this.keys.sEnc, counterBlock(this.#counter, 0x80));
      data = aesCbc(this.keys.sEnc, icv, pad80(data), true);
    }
    const rmac = aesCmac(
      this.keys.sRmac,
      concat(this.#macChain, data, Uint8Array.of(res.sw >> 8, res.sw & 0xff)),
    ).slice(0, 8);
    return { data: concat(data, rmac), sw: res.sw };
  }

  /** Host side: verifies R-MAC and decrypts R-ENC data. */
  unwrapResponse(res: ResponseApdu): ResponseApdu {
    if ((this.level & SCP03_LEVEL.R_MAC) === 0) return res;
    if (res.data.length < 8) {
      // The card refused the command's secure messaging: it sends no R-MAC and
      // has closed the channel.
      this.close();
      throw new Scp03Error(
        'SCP03_CARD_REFUSED',
        `response without R-MAC (SW ${res.sw.toString(16).padStart(4, '0')})`,
        res.sw,
      );
    }
    const data = res.data.subarray(0, res.data.length - 8);
    const got = res.data.subarray(res.data.length - 8);
    const want = aesCmac(
      this.keys.sRmac,
      concat(this.#macChain, data, Uint8Array.of(res.sw >> 8, res.sw & 0xff)),
    ).slice(0, 8);
    if (!ctEqual(want, got)) {
      this.close();
      throw new Scp03Error('SCP03_BAD_MAC', 'R-MAC does not verify', res.sw);
    }
    if ((this.level & SCP03_LEVEL.R_ENCRYPTION) !== 0 && data.length > 0) {
      if (data.length % 16 !== 0) {
        this.close();
        throw new Scp03Error('SCP03_BAD_PADDING', 'encrypted response is not whole blocks', res.sw);
      }
      const icv = aesEcbBlock(this.keys.sEnc, counterBlock(this.#counter, 0x80));
      try {
        return { data: unpad80(aesCbc(this.keys.sEnc, icv, data, false)), sw: res.sw };
      } catch {
        this.close();
        throw new Scp03Error('SCP03_BAD_PADDING', 'response padding missing', res.sw);
      }
    }
    return { data: data.slice(), sw: res.sw };
  }
}

// ---------------------------------------------------------------------------
// INITIALIZE UPDATE response (Amendment D 7.1.1.6).

/**
 * "i" parameter we announce: b6 (20) R-MAC supported, b7 (40) R-ENCRYPTION
 * supported, b5 (10) clear = random card challenge (so no sequence counter).
 */
export const SCP03_I_PARAM = 0x60;

export interface InitializeUpdateResponse {
  /** Key diversification data (10 bytes): identifies the card to the key store. */
  readonly keyDiversificationData: Uint8Array;
  readonly keyVersion: number;
  readonly scpId: number;
  readonly iParam: number;
  readonly cardChallenge: Uint8Array;
  readonly cardCryptogram: Uint8Array;
}

/** Parses the 29-byte (or 32 with a sequence counter) INITIALIZE UPDATE response data. */
export function parseInitializeUpdateResponse(data: Uint8Array): InitializeUpdateResponse {
  if (data.length !== 29 && data.length !== 32) {
    throw new Scp03Error(
      'SCP03_BAD_RESPONSE',
      `INITIALIZE UPDATE response has ${data.length} bytes, expected 29 or 32`,
    );
  }
  if (data[11] !== 0x03) {
    throw new Scp03Error('SCP03_BAD_RESPONSE', `card offers SCP ${data[11]}, not SCP03`);
  }
  return {
    keyDiversificationData: data.slice(0, 10),
    keyVersion: data[10]!,
    scpId: data[11]!,
    iParam: data[12]!,
    cardChallenge: data.slice(13, 21),
    cardCryptogram: data.slice(21, 29),
  };
}

export function encodeInitializeUpdateResponse(r: InitializeUpdateResponse): Uint8Array {
  return concat(
    r.keyDiversificationData,
    Uint8Array.of(r.keyVersion, r.scpId, r.iParam),
    r.cardChallenge,
    r.cardCryptogram,
  );
}

// ---------------------------------------------------------------------------
// Host.

export interface Scp03HostOptions {
  /**
   * Static keys, or a function that picks them from the card's key diversification
   * data (the loading system diversifies area master keys this way).
   */
  readonly keys:
    | Pick<Scp03StaticKeys, 'enc' | 'mac'>
    | ((kdd: Uint8Array, keyVersion: number) => Pick<Scp03StaticKeys, 'enc' | 'mac'>);
  /** Key version number sent in INITIALIZE UPDATE P1; 0 = any. */
  readonly keyVersion?: number;
  /** Security level (EXTERNAL AUTHENTICATE P1), default 0x33 (everything). */
  readonly level?: number;
  /** Fixed host challenge (tests); random otherwise. */
  readonly hostChallenge?: Uint8Array;
}

/**
 * Host end of the channel, pure: it produces the bytes to send and consumes the
 * bytes received, so any transport can carry it.
 *
 *   const h = new Scp03Host({ keys });
 *   r1 = send(h.begin()); r2 = send(h.onInitUpdateResponse(r1)); h.onExternalAuthResponse(r2);
 *   then for each command: h.unwrap(send(h.wrap(cmd)))
 */
export class Scp03Host {
  readonly level: number;
  #hostChallenge: Uint8Array;
  #channel: Scp03Channel | undefined;
  // Stryker disable next-line StringLiteral: 'new' and 'closed' act alike (neither is a state a step accepts); any other name would too
  #state: 'new' | 'initUpdateSent' | 'extAuthSent' | 'open' | 'closed' = 'new';
  #init: InitializeUpdateResponse | undefined;

  constructor(readonly options: Scp03HostOptions) {
    this.level = options.level ?? 0x33;
    if (!isValidScp03Level(this.level)) {
      throw new Scp03Error(
        'SCP03_BAD_LEVEL',
        `security level ${this.level.toString(16)} is not allowed`,
      );
    }
    this.#hostChallenge = options.hostChallenge ?? new Uint8Array(randomBytes(8));
    if (this.#hostChallenge.length !== 8) {
      throw new Scp03Error('SCP03_BAD_RESPONSE', 'host challenge must be 8 bytes');
    }
  }

  get isOpen(): boolean {
    // Stryker disable next-line OptionalChaining,ConditionalExpression: the state is 'open' only once the channel exists, and closed whenever it closes
    return this.#state === 'open' && this.#channel?.isOpen === true;
  }

  /** What the card said in INITIALIZE UPDATE (after onInitUpdateResponse). */
  get initializeUpdate(): InitializeUpdateResponse | undefined {
    return this.#init;
  }

  /** INITIALIZE UPDATE `80 50 KVN 00 08 <host challenge> 00`. */
  begin(): Uint8Array {
    this.#state = 'initUpdateSent';
    return encodeCommand(
      command({
        cla: 0x80,
        ins: 0x50,
        p1: this.options.keyVersion ?? 0,
        p2: 0,
        data: this.#hostChallenge,
        ne: 256,
      }),
    );
  }

  /**
   * Checks the card cryptogram and returns EXTERNAL AUTHENTICATE
   * `84 82 <level> 00 10 <host cryptogram> <C-MAC>`. Throws `Scp03Error` when the
   * card does not prove it holds the keys.
   */
  onInitUpdateResponse(responseBytes: Uint8Array): Uint8Array {
    if (this.#state !== 'initUpdateSent') {
      throw new Scp03Error('SCP03_NOT_OPEN', 'call begin() first');
    }
    const res = parseResponse(responseBytes);
    if (res.sw !== SW.OK) {
      // Stryker disable next-line StringLiteral: 'closed' is any state no step accepts (see #state)
      this.#state = 'closed';
      throw new Scp03Error(
        'SCP03_CARD_REFUSED',
        `INITIALIZE UPDATE refused: SW ${res.sw.toString(16)}`,
        res.sw,
      );
    }
    const init = parseInitializeUpdateResponse(res.data);
    this.#init = init;
    const keys =
      typeof this.options.keys === 'function'
        ? this.options.keys(init.keyDiversificationData, init.keyVersion)
        : this.options.keys;
    const session = deriveScp03SessionKeys(keys, this.#hostChallenge, init.cardChallenge);
    const expected = scp03Cryptogram(
      session.sMac,
      SCP03_DERIVATION.CARD_CRYPTOGRAM,
      this.#hostChallenge,
      init.cardChallenge,
    );
    if (!ctEqual(expected, init.cardCryptogram)) {
      // Stryker disable next-line StringLiteral: 'closed' is any state no step accepts (see #state)
      this.#state = 'closed';
      throw new Scp03Error(
        'SCP03_BAD_CARD_CRYPTOGRAM',
        'card cryptogram does not verify: wrong keys or not our card',
      );
    }
    const hostCryptogram = scp03Cryptogram(
      session.sMac,
      SCP03_DERIVATION.HOST_CRYPTOGRAM,
      this.#hostChallenge,
      init.cardChallenge,
    );
    this.#channel = new Scp03Channel(session, this.level);
    this.#state = 'extAuthSent';
    return encodeCommand(
      this.#channel.macExternalAuthenticate(
        command({ cla: 0x80, ins: 0x82, p1: this.level, p2: 0, data: hostCryptogram }),
      ),
    );
  }

  onExternalAuthResponse(responseBytes: Uint8Array): void {
    const res = parseResponse(responseBytes);
    if (this.#state !== 'extAuthSent' || res.sw !== SW.OK) {
      // Stryker disable next-line StringLiteral: 'closed' is any state no step accepts (see #state)
      this.#state = 'closed';
      throw new Scp03Error(
        'SCP03_CARD_REFUSED',
        `EXTERNAL AUTHENTICATE refused: SW ${res.sw.toString(16)}`,
        res.sw,
      );
    }
    this.#state = 'open';
  }

  #open(): Scp03Channel {
    // Stryker disable next-line OptionalChaining: the state is 'open' only once the channel exists
    if (this.#state !== 'open' || !this.#channel?.isOpen) {
      throw new Scp03Error('SCP03_NOT_OPEN', 'secure channel is not open');
    }
    return this.#channel;
  }

  /** Wraps a plain command (CLA 80 or 00) for the channel; returns its bytes. */
  wrap(cmd: CommandApdu | Uint8Array): Uint8Array {
    return encodeCommand(this.wrapCommand(cmd));
  }

  wrapCommand(cmd: CommandApdu | Uint8Array): CommandApdu {
    const plain = cmd instanceof Uint8Array ? parseCommand(cmd) : cmd;
    return this.#wrapping().wrapCommand(plain);
  }

  /**
   * The channel commands are wrapped on: open, or — pipelined — with EXTERNAL
   * AUTHENTICATE sent and its answer not yet seen. Command MACs chain on the
   * commands only, so the host can wrap the commands that follow EXTERNAL
   * AUTHENTICATE in the same script; a card that refuses it refuses them too
   * (the script stops at its status), and `unwrap` needs `onExternalAuthResponse`
   * first.
   */
  #wrapping(): Scp03Channel {
    // Stryker disable next-line OptionalChaining: the state is 'extAuthSent' only once the channel exists
    if (this.#state === 'extAuthSent' && this.#channel?.isOpen) return this.#channel;
    return this.#open();
  }

  /**
   * Wraps `cmds` to send in one script, pipelined: the card answers them in order
   * and the host checks the answers afterwards (`WrappedScript.unwrap`). Allowed
   * right after `onInitUpdateResponse` too, with EXTERNAL AUTHENTICATE first in the
   * same script (call `onExternalAuthResponse` with its answer before `unwrap`).
   */
  wrapAll(cmds: readonly CommandApdu[]): WrappedScript {
    const ch = this.#wrapping();
    const before = ch.mark();
    const marks: Scp03ChainMark[] = [];
    const apdus: Uint8Array[] = [];
    for (const c of cmds) {
      apdus.push(encodeCommand(ch.wrapCommand(c)));
      marks.push(ch.mark());
    }
    return {
      apdus,
      unwrap: (answers) => {
        if (answers.length > marks.length) {
          throw new Scp03Error(
            'SCP03_BAD_RESPONSE',
            `${answers.length} answers to ${marks.length} commands`,
          );
        }
        const out: ResponseApdu[] = [];
        for (let i = 0; i < answers.length; i++) {
          ch.rewind(marks[i]!);
          out.push(this.unwrap(answers[i]!));
        }
        ch.rewind(answers.length === 0 ? before : marks[answers.length - 1]!);
        return out;
      },
    };
  }

  /** Verifies and decrypts a response; throws `Scp03Error` (and closes) when it does not verify. */
  unwrap(responseBytes: Uint8Array): ResponseApdu {
    const ch = this.#open();
    const res = parseResponse(responseBytes);
    if (
      (this.level & SCP03_LEVEL.R_MAC) === 0 &&
      res.data.length === 0 &&
      (res.sw === SW.SECURITY_STATUS_NOT_SATISFIED || res.sw === SW.SM_DATA_INCORRECT)
    ) {
      // The card refused our secure messaging and has closed its end.
      ch.close();
      // Stryker disable next-line StringLiteral: 'closed' is any state no step accepts (see #state)
      this.#state = 'closed';
      return res;
    }
    try {
      return ch.unwrapResponse(res);
    } catch (e) {
      // Stryker disable next-line StringLiteral: 'closed' is any state no step accepts (see #state)
      this.#state = 'closed';
      throw e;
    }
  }
}

// ---------------------------------------------------------------------------
// Per-card key diversification of the free areas' security domains.

/** Derivation constants for diversified static keys (outside Amendment D's 00..07). */
export const SCP03_DIVERSIFY = { ENC: 0x41, MAC: 0x42, DEK: 0x43 } as const;

/**
 * Key diversification data (10 bytes) of a card: SHA-256(card serial)[0..9]. The
 * card sends it in every INITIALIZE UPDATE response, so a key store holding only
 * the master keys can open any card's channel.
 */
export function keyDiversificationData(cardSerial: Uint8Array): Uint8Array {
  if (cardSerial.length < 8) {
    throw new ApduError('SM_BAD_KEY', `card serial of ${cardSerial.length} bytes (< 8)`);
  }
  return new Uint8Array(createHash('sha256').update(cardSerial).digest().subarray(0, 10));
}

/**
 * The card's static keys of one area: K = KDF(master K, constant 41/42/43,
 * context = KDD ‖ area code, 128 bits) with the SP 800-108 KDF above.
 * Area codes: 01 = 地域住民向け領域, 02 = 拡張利用領域.
 */
export function diversifyScp03Keys(
  master: Scp03StaticKeys,
  kdd: Uint8Array,
  areaCode: number,
): Scp03StaticKeys {
  if (kdd.length !== 10)
    throw new ApduError('SM_BAD_KEY', 'key diversification data must be 10 bytes');
  const ctx = concat(kdd, Uint8Array.of(areaCode & 0xff));
  return {
    enc: scp03Kdf(master.enc, SCP03_DIVERSIFY.ENC, ctx, master.enc.length * 8),
    mac: scp03Kdf(master.mac, SCP03_DIVERSIFY.MAC, ctx, master.mac.length * 8),
    dek: scp03Kdf(master.dek, SCP03_DIVERSIFY.DEK, ctx, master.dek.length * 8),
  };
}
