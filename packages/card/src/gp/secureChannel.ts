/**
 * Card end of the SCP03-style secure channel, shared by the free areas' security
 * domains and the card APs that need mutual authentication (types A, D, custom).
 * Session state is volatile: deselect, reset and power-off drop it.
 */
import { randomBytes } from 'node:crypto';
import {
  SCP03_DERIVATION,
  SCP03_I_PARAM,
  SW,
  Scp03Channel,
  Scp03Error,
  bytesEqual,
  deriveScp03SessionKeys,
  encodeInitializeUpdateResponse,
  isValidScp03Level,
  ok,
  scp03Cryptogram,
  status,
  type CommandApdu,
  type ResponseApdu,
  type Scp03StaticKeys,
} from '@myna-ap/apdu';

export interface CardChannelConfig {
  /** The static keys, read at INITIALIZE UPDATE (they live in the card image). */
  readonly keys: () => Pick<Scp03StaticKeys, 'enc' | 'mac'>;
  readonly keyVersion: number;
  /** Key diversification data sent back in INITIALIZE UPDATE (10 bytes). */
  readonly kdd: () => Uint8Array;
  /** Lowest security level this application accepts. */
  readonly minLevel: number;
  /**
   * The key set's failed-authentication counter (security domains only): a
   * failed EXTERNAL AUTHENTICATE is counted in the card image before the answer
   * leaves; once blocked, INITIALIZE UPDATE answers `69 83`.
   */
  readonly attempts?: AuthAttempts;
}

/** A security domain's persistent count of failed EXTERNAL AUTHENTICATEs. */
export interface AuthAttempts {
  blocked(): boolean;
  /** One more failure (written to the card image). */
  failed(): void;
  /** A success: the count goes back to 0. */
  succeeded(): void;
}

/** The outcome of unwrapping one command. */
export type Unwrapped =
  | { readonly ok: true; readonly cmd: CommandApdu }
  | { readonly ok: false; readonly res: ResponseApdu };

export class CardSecureChannel {
  #pending: { channel: Scp03Channel; hc: Uint8Array; cc: Uint8Array } | undefined;
  #open: Scp03Channel | undefined;

  constructor(readonly config: CardChannelConfig) {}

  /** The security level in force, or `undefined` when no channel is open. */
  get level(): number | undefined {
    return this.#open?.isOpen ? this.#open.level : undefined;
  }

  drop(): void {
    this.#pending = undefined;
    this.#open?.close();
    this.#open = undefined;
  }

  /** INITIALIZE UPDATE `80 50 KVN 00 08 <host challenge>`. */
  initializeUpdate(cmd: CommandApdu): ResponseApdu {
    this.drop();
    // GP: a blocked key set opens no channel (ISO 7816-4 69 83 authentication method blocked).
    if (this.config.attempts?.blocked()) return status(SW.AUTH_METHOD_BLOCKED);
    if (cmd.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if (cmd.p1 !== 0 && cmd.p1 !== this.config.keyVersion)
      return status(SW.REFERENCED_DATA_NOT_FOUND);
    if (cmd.data.length !== 8) return status(SW.WRONG_LENGTH);
    const hc = cmd.data;
    const cc = new Uint8Array(randomBytes(8));
    const session = deriveScp03SessionKeys(this.config.keys(), hc, cc);
    this.#pending = { channel: new Scp03Channel(session, 0), hc, cc };
    return ok(
      encodeInitializeUpdateResponse({
        keyDiversificationData: this.config.kdd(),
        keyVersion: this.config.keyVersion,
        scpId: 0x03,
        iParam: SCP03_I_PARAM,
        cardChallenge: cc,
        cardCryptogram: scp03Cryptogram(session.sMac, SCP03_DERIVATION.CARD_CRYPTOGRAM, hc, cc),
      }),
    );
  }

  /** EXTERNAL AUTHENTICATE `84 82 <level> 00 10 <host cryptogram> <C-MAC>`. */
  externalAuthenticate(cmd: CommandApdu): ResponseApdu {
    const p = this.#pending;
    this.drop();
    if (!p) return status(SW.CONDITIONS_NOT_SATISFIED);
    if (!isValidScp03Level(cmd.p1) || cmd.p2 !== 0) return status(SW.INCORRECT_P1P2);
    if ((cmd.p1 & this.config.minLevel) !== this.config.minLevel) {
      return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    }
    let plain: CommandApdu;
    try {
      plain = p.channel.verifyExternalAuthenticate(cmd);
    } catch (e) {
      this.config.attempts?.failed();
      return status(e instanceof Scp03Error ? e.sw : SW.SECURITY_STATUS_NOT_SATISFIED);
    }
    const want = scp03Cryptogram(p.channel.keys.sMac, SCP03_DERIVATION.HOST_CRYPTOGRAM, p.hc, p.cc);
    if (!bytesEqual(plain.data, want)) {
      this.config.attempts?.failed();
      return status(SW.WARNING_NO_INFO); // 63 00: authentication failed
    }
    this.config.attempts?.succeeded();
    this.#open = p.channel;
    return ok();
  }

  /**
   * Verifies (and decrypts) a command of the open channel. Any failure closes the
   * channel and gives the status word to answer (69 82 no channel, 69 88 bad MAC).
   */
  unwrap(cmd: CommandApdu): Unwrapped {
    const ch = this.#open;
    if (!ch?.isOpen) {
      this.drop();
      return { ok: false, res: status(SW.SECURITY_STATUS_NOT_SATISFIED) };
    }
    if ((cmd.cla & 0x04) === 0) {
      // A plain command inside a session: GP aborts the session.
      this.drop();
      return { ok: false, res: status(SW.SECURITY_STATUS_NOT_SATISFIED) };
    }
    try {
      return { ok: true, cmd: ch.unwrapCommand(cmd) };
    } catch (e) {
      this.drop();
      return { ok: false, res: status(e instanceof Scp03Error ? e.sw : SW.SM_DATA_INCORRECT) };
    }
  }

  /** Adds R-MAC / R-ENC as the level asks. */
  wrap(res: ResponseApdu): ResponseApdu {
    const ch = this.#open;
    return ch?.isOpen ? ch.wrapResponse(res) : res;
  }
}

/** True for INITIALIZE UPDATE. */
export function isInitializeUpdate(cmd: CommandApdu): boolean {
  return cmd.cla === 0x80 && cmd.ins === 0x50;
}

/** True for EXTERNAL AUTHENTICATE (always MACed: CLA 84). */
export function isExternalAuthenticate(cmd: CommandApdu): boolean {
  return cmd.cla === 0x84 && cmd.ins === 0x82;
}
