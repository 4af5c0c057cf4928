/**
 * How an application's file tree is declared: which EFs and PIN objects a DF
 * holds and who may use them (アクセス条件). The tree is fixed by the card's OS,
 * so it lives in code; the contents live in the card image.
 */
import type { Aid } from '@myna-ap/apdu';
import type { ApName } from '../image.ts';

/** Who may read an EF (or use a key EF). */
export type AccessRule =
  | { readonly kind: 'always' } // 常時可
  | { readonly kind: 'never' } // 不可 (keys: never read out)
  | { readonly kind: 'pin'; readonly anyOf: readonly number[] }; // 暗証番号照合後

export const ALWAYS: AccessRule = { kind: 'always' };
export const NEVER: AccessRule = { kind: 'never' };
export function afterPin(...fids: number[]): AccessRule {
  return { kind: 'pin', anyOf: fids };
}

/** True when `rule` is met by the PINs verified in the current DF. */
export function accessAllowed(rule: AccessRule, verified: ReadonlySet<number>): boolean {
  switch (rule.kind) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'pin':
      return rule.anyOf.some((f) => verified.has(f));
  }
}

/** A transparent EF (binary file) or a key EF (private key, used by commands only). */
export interface EfSpec {
  readonly fid: number;
  /** Japanese name first, then English, for `myna card show` and the README. */
  readonly label: string;
  readonly kind: 'binary' | 'key';
  /** READ BINARY for a binary EF; COMPUTE DIGITAL SIGNATURE for a key EF. */
  readonly access: AccessRule;
  /**
   * Added after the first card files were made: an image without it still
   * loads, and the EF then does not exist on that card (`6A 82`).
   */
  readonly optional?: boolean;
}

/** What a PIN may look like; checked when a card is made, not by VERIFY. */
export type { PinFormat } from '@myna-ap/profile';
import type { PinFormat } from '@myna-ap/profile';

export interface PinSpec {
  readonly fid: number;
  readonly label: string;
  /** Tries after a success; the card locks at 0. */
  readonly maxTries: number;
  readonly format: PinFormat;
  /**
   * A PIN the holder chooses (暗証番号): changed with CHANGE REFERENCE DATA, and
   * set anew at the counter through the issuer SD. The 照合番号 A and B are
   * derived from the card's data and are neither.
   */
  readonly holderSet?: boolean;
}

/** One dedicated file (DF) selected by AID: the unit of the application firewall. */
export interface DfSpec {
  readonly aid: Aid;
  readonly label: string;
  readonly section: ApName;
  readonly efs: readonly EfSpec[];
  readonly pins: readonly PinSpec[];
}

/** Short file identifier of an EF: its FID when it fits in 5 bits (ISO 7816-4 §7.2.2). */
export function sfiOf(fid: number): number | undefined {
  return fid >= 1 && fid <= 0x1e ? fid : undefined;
}
