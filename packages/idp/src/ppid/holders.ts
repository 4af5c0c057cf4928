/**
 * "The holder key of this certificate": the random holder id a certificate maps
 * to, following the issuer's old→new certificate links (新旧紐付け) when the card
 * was renewed, so the holder's PPIDs stay the same across cards.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '@myna-ap/db';
import { certificateId, normaliseSerial, type CertificateId, type PpidSecrets } from './secrets.ts';

/**
 * Where the issuer's 新旧紐付け is read: the certificate a newer one replaced (of the
 * same holder and the same use). `pki` keeps these links; an adapter over its API,
 * or over a real J-LIS link service, implements this.
 */
export interface CertificateLinks {
  previousOf(cert: CertificateId): Promise<CertificateId | undefined>;
}

/** No link service: a new card's holder re-links with a proof (docs/ppid.md). */
export const NO_LINKS: CertificateLinks = { previousOf: async () => undefined };

/**
 * Links held in memory: pairs (old, new) as an issuer exports them (a link file,
 * or pki's 新旧紐付け records read at start).
 */
export class StaticLinks implements CertificateLinks {
  readonly #previous = new Map<string, CertificateId>();
  constructor(pairs: Iterable<{ readonly old: CertificateId; readonly new: CertificateId }> = []) {
    for (const p of pairs) this.add(p.old, p.new);
  }
  add(oldCert: CertificateId, newCert: CertificateId): void {
    this.#previous.set(keyOf(newCert), oldCert);
  }
  async previousOf(cert: CertificateId): Promise<CertificateId | undefined> {
    return this.#previous.get(keyOf(cert));
  }
}
const keyOf = (id: CertificateId) => `${id.issuer}\u0000${normaliseSerial(id.serial)}`;

/** Renewals followed back at most (a card lives 10 years: more is a loop or an attack). */
export const MAX_LINK_STEPS = 8;

export type LinkedVia = 'registration' | 'issuer-link' | 'relink';

export class HolderKeys {
  readonly #secrets: PpidSecrets;
  readonly #links: CertificateLinks;
  constructor(secrets: PpidSecrets, links: CertificateLinks = NO_LINKS) {
    this.#secrets = secrets;
    this.#links = links;
  }

  /**
   * The holder id of a certificate, or undefined when neither it nor any
   * certificate it (transitively) replaced is known. A holder found through links
   * gets the newer certificates recorded, so the next lookup is one query.
   */
  async holderOf(db: Queryable, cert: Uint8Array | CertificateId): Promise<Buffer | undefined> {
    const start = cert instanceof Uint8Array ? certificateId(cert) : cert;
    const chain: CertificateId[] = [];
    let id: CertificateId | undefined = start;
    for (let step = 0; id && step <= MAX_LINK_STEPS; step++) {
      const holder = await this.#lookup(db, id);
      if (holder) {
        for (const newer of chain) await this.#record(db, newer, holder, 'issuer-link');
        return holder;
      }
      chain.push(id);
      id = await this.#links.previousOf(id);
    }
    return undefined;
  }

  /** The holder of the certificate, made (a new random id) when there is none. */
  async register(db: Queryable, cert: Uint8Array): Promise<{ holderId: Buffer; created: boolean }> {
    const known = await this.holderOf(db, cert);
    if (known) return { holderId: known, created: false };
    const holderId = randomBytes(32);
    await db.query('INSERT INTO idp_holders (holder_id) VALUES ($1)', [holderId]);
    const won = await this.#record(db, certificateId(cert), holderId, 'registration');
    if (won) return { holderId, created: true };
    // Registered at the same moment by another request: theirs stands.
    await db.query('DELETE FROM idp_holders WHERE holder_id = $1', [holderId]);
    return { holderId: (await this.#lookup(db, certificateId(cert)))!, created: false };
  }

  /**
   * Records the 署名用 certificate a holder gave with a PIN proof (the OIDC flow's 4
   * info): what a re-link after a renewal without an issuer link finds the holder by.
   * A certificate already someone's stays theirs.
   */
  async recordSignCertificate(db: Queryable, cert: Uint8Array, holderId: Buffer): Promise<void> {
    await this.#record(db, certificateId(cert), holderId, 'registration');
  }

  /** Adds a certificate to a known holder (the re-link after a renewal without a link). */
  async link(db: Queryable, cert: Uint8Array, holderId: Buffer): Promise<void> {
    await this.#record(db, certificateId(cert), holderId, 'relink');
  }

  ppid(sector: string, holderId: Uint8Array): string {
    return this.#secrets.ppid(sector, holderId);
  }

  async #lookup(db: Queryable, id: CertificateId): Promise<Buffer | undefined> {
    const r = await db.query<{ holder_id: Uint8Array }>(
      'SELECT holder_id FROM idp_holder_certs WHERE cert_key = $1',
      [this.#secrets.certKey(id)],
    );
    const h = r.rows[0]?.holder_id;
    return h && Buffer.from(h);
  }

  async #record(
    db: Queryable,
    id: CertificateId,
    holderId: Buffer,
    via: LinkedVia,
  ): Promise<boolean> {
    const r = await db.query(
      `INSERT INTO idp_holder_certs (cert_key, holder_id, linked_via) VALUES ($1, $2, $3)
       ON CONFLICT (cert_key) DO NOTHING`,
      [this.#secrets.certKey(id), holderId, via],
    );
    return r.rowCount === 1;
  }
}
