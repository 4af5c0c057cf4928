/**
 * Which card a certificate is on, and what was revoked since the last look.
 *
 * The issuer issues a card's two certificates for one card (the serial of its
 * 共通カードAP) and keeps that link in cards.jsonl, a line per issuance:
 *   {"card":"0123…","auth":"5f…","sign":"6a…","issuedAt":"…"}
 * and, after 記載事項変更, a new 署名用 certificate for the same card:
 *   {"card":"0123…","sign":"7b…","replaces":"6a…","issuedAt":"…"}
 * A CRL names certificates only; with the link, a revocation for loss (紛失)
 * names its card, so the loading system can mark the card lost by itself
 * (`RevocationLog`, read by `myna serve --jpki DIR`). Public records only: no
 * key is opened, and nothing here needs the issuer's PIN.
 */
import { join } from 'node:path';
import { x509 } from './x509.ts';
import { PkiError } from './errors.ts';
import { REVOCATION_REASONS, normalizeSerial, type Revocation } from './revocation.ts';
import { JsonLinesTail } from './jsonLines.ts';

export const CARD_LINKS_FILE = 'cards.jsonl';
const REVOCATIONS_FILE = 'revocations.jsonl';

/** One card's certificates, as the issuer recorded them when it issued them. */
export interface CardLink {
  /** The card's serial (カード識別番号), upper-case hex. */
  readonly card: string;
  /** Serials of its 利用者証明用 and 署名用 certificates (canonical hex). */
  readonly auth?: string;
  readonly sign: string;
  /** A 署名用 certificate issued after 記載事項変更: the one it replaces (no auth: it stays). */
  readonly replaces?: string;
  readonly issuedAt: string;
}

/** A revocation with the card its certificate is on, when the issuer knows it. */
export interface CardRevocation extends Revocation {
  readonly cardId?: string;
}

/** A card serial as the loader names it: 8 to 16 bytes of hex, upper case. Throws PKI_BAD_REQUEST. */
export function cardIdOf(hex: string): string {
  if (!/^(?:[0-9A-Fa-f]{2}){8,16}$/.test(hex)) {
    throw new PkiError(
      'PKI_BAD_REQUEST',
      `card serial ${JSON.stringify(hex)} is not 8 to 16 bytes of hexadecimal`,
    );
  }
  return hex.toUpperCase();
}

/** The canonical serial of a DER certificate. */
export function serialOfDer(der: Uint8Array): string {
  return normalizeSerial(new x509.X509Certificate(der).serialNumber)!;
}

function parse(buf: Buffer, a: number, b: number): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8', a, b));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The revocations an issuer directory records, read incrementally: each
 * `readNew` returns those appended since the last call (the first call: all of
 * them), each with its card when cards.jsonl links it. A line that is not one of
 * ours is skipped, never guessed at. Restarting reads everything again: the
 * reader is expected to apply each serial once (the loader keeps which it has).
 */
export class RevocationLog {
  readonly #cards = new Map<string, string>(); // certificate serial → card serial
  readonly #links: JsonLinesTail;
  readonly #revocations: JsonLinesTail;
  #fresh: CardRevocation[] = [];

  constructor(dir: string) {
    this.#links = new JsonLinesTail(join(dir, CARD_LINKS_FILE), (buf, a, b) => {
      const l = parse(buf, a, b);
      if (!l || typeof l.card !== 'string') return;
      for (const k of ['auth', 'sign'] as const) {
        const s = typeof l[k] === 'string' ? normalizeSerial(l[k]) : undefined;
        if (s) this.#cards.set(s, l.card.toUpperCase());
      }
    });
    this.#revocations = new JsonLinesTail(join(dir, REVOCATIONS_FILE), (buf, a, b) => {
      const r = parse(buf, a, b);
      if (!r) return;
      const serial = typeof r.serial === 'string' ? normalizeSerial(r.serial) : undefined;
      const reason = REVOCATION_REASONS.find((x) => x === r.reason);
      const kind = r.kind === 'auth' || r.kind === 'sign' ? r.kind : undefined;
      const at = typeof r.revokedAt === 'string' ? Date.parse(r.revokedAt) : NaN;
      if (!serial || !reason || !kind || Number.isNaN(at)) return;
      const cardId = this.#cards.get(serial);
      this.#fresh.push({
        serial,
        kind,
        reason,
        revokedAt: new Date(at).toISOString(),
        ...(cardId ? { cardId } : {}),
      });
    });
  }

  /** The revocations recorded since the last call, oldest first. */
  async readNew(): Promise<CardRevocation[]> {
    // Links first: a certificate is issued (and linked) before it can be revoked.
    if (this.#links.changed()) await this.#links.readNew();
    if (this.#revocations.changed()) await this.#revocations.readNew();
    const out = this.#fresh;
    this.#fresh = [];
    return out;
  }

  /** The card a certificate serial is on, as far as read so far. */
  cardOf(serialHex: string): string | undefined {
    const s = normalizeSerial(serialHex);
    return s ? this.#cards.get(s) : undefined;
  }
}
