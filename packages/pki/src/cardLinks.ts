/**
 * Which card a certificate is on, and what was revoked since the last look.
 *
 * The issuer issues a card's two certificates for one card (the serial of its
 * 共通カードAP) and keeps that link in cards.jsonl, a line per issuance:
 *   {"card":"0123…","auth":"5f…","sign":"6a…","issuedAt":"…"}
 * and, after 記載事項変更, a new 署名用 certificate for the same card:
 *   {"card":"0123…","sign":"7b…","replaces":"6a…","issuedAt":"…"}
 * and, for a renewal or reissue, the new card with the old one (新旧紐付け):
 *   {"card":"4567…","auth":…,"sign":…,"replacesCard":"0123…","replacesAuth":"5f…","replaces":"7b…",…}
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
  /** The 署名用 certificate this one replaces (記載事項変更: no auth, it stays; or a renewal). */
  readonly replaces?: string;
  /** Renewal / reissue: the old card and its 利用者証明用 certificate (新旧紐付け). */
  readonly replacesCard?: string;
  readonly replacesAuth?: string;
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
  readonly #previous = new Map<string, string>(); // certificate serial → the one it replaced
  readonly #previousCard = new Map<string, string>(); // card serial → the card it replaced
  readonly #links: JsonLinesTail;
  readonly #revocations: JsonLinesTail;
  #fresh: CardRevocation[] = [];
  // The links are read by the poll and by a counter's question at once: one read at a time.
  #linksRead: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.#links = new JsonLinesTail(join(dir, CARD_LINKS_FILE), (buf, a, b) => {
      const l = parse(buf, a, b);
      if (!l || typeof l.card !== 'string') return;
      const serial = (v: unknown) => (typeof v === 'string' ? normalizeSerial(v) : undefined);
      for (const k of ['auth', 'sign'] as const) {
        const s = serial(l[k]);
        if (s) this.#cards.set(s, l.card.toUpperCase());
      }
      const [auth, sign] = [serial(l.auth), serial(l.sign)];
      const [oldAuth, oldSign] = [serial(l.replacesAuth), serial(l.replaces)];
      if (auth && oldAuth) this.#previous.set(auth, oldAuth);
      if (sign && oldSign) this.#previous.set(sign, oldSign);
      if (typeof l.replacesCard === 'string')
        this.#previousCard.set(l.card.toUpperCase(), l.replacesCard.toUpperCase());
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
    await this.refreshLinks();
    if (this.#revocations.changed()) await this.#revocations.readNew();
    const out = this.#fresh;
    this.#fresh = [];
    return out;
  }

  /**
   * 新旧紐付け: the certificate (same kind) that `serialHex` replaced — after a
   * renewal, or a 署名用 certificate after 記載事項変更 — as far as read so far.
   */
  previousOf(serialHex: string): string | undefined {
    const s = normalizeSerial(serialHex);
    return s ? this.#previous.get(s) : undefined;
  }

  /** Reads the links added since the last read (cards.jsonl), without taking revocations. */
  refreshLinks(): Promise<void> {
    this.#linksRead = this.#linksRead
      .catch(() => undefined)
      .then(() => (this.#links.changed() ? this.#links.readNew() : undefined));
    return this.#linksRead;
  }

  /** The card a renewed or reissued card replaced, as far as read so far. */
  previousCardOf(card: string): string | undefined {
    return this.#previousCard.get(card.toUpperCase());
  }

  /** The card a certificate serial is on, as far as read so far. */
  cardOf(serialHex: string): string | undefined {
    const s = normalizeSerial(serialHex);
    return s ? this.#cards.get(s) : undefined;
  }
}
