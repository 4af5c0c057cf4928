/**
 * The keys PPIDs are made with. One master secret (32 bytes or more) lives
 * outside the database — a key file, an HSM-derived value, an environment of the
 * server — and two keys are derived from it (HKDF-SHA-256):
 *
 *   index key: finds a holder from a certificate. The database keeps
 *              HMAC(index key, issuer ‖ serial), never the serial itself.
 *   PPID key:  PPID = base64url(HMAC(PPID key, sector ‖ holder id)).
 *
 * The holder id is random (made at the holder's first PIN-verified proof), so a
 * PPID depends on nothing printed on or stored in the card and survives renewal.
 * Why two keys and what a thief can do with what: docs/ppid.md.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { X509Certificate } from 'node:crypto';

/** A certificate as the issuer names it: its CA's name and its serial. */
export interface CertificateId {
  /** The issuer's distinguished name as node:crypto prints it. */
  readonly issuer: string;
  /** Upper-case hex, no leading zero bytes. */
  readonly serial: string;
}

export function certificateId(certDer: Uint8Array): CertificateId {
  const c = new X509Certificate(certDer);
  return { issuer: c.issuer, serial: normaliseSerial(c.serialNumber) };
}

export function normaliseSerial(hex: string): string {
  const s = hex
    .replace(/[\s:]/g, '')
    .toUpperCase()
    .replace(/^(00)+(?=..)/, '');
  if (!/^([0-9A-F]{2})+$/.test(s)) throw new Error(`not a serial number: ${hex}`);
  return s;
}

export const MIN_MASTER_SECRET = 32;

export class PpidSecrets {
  readonly #index: Buffer;
  readonly #ppid: Buffer;

  constructor(master: Uint8Array) {
    if (master.length < MIN_MASTER_SECRET) {
      throw new Error(`the PPID master secret must have ${MIN_MASTER_SECRET} bytes or more`);
    }
    const derive = (info: string) =>
      Buffer.from(hkdfSync('sha256', master, 'myna-ap idp', info, 32));
    this.#index = derive('certificate index');
    this.#ppid = derive('ppid');
  }

  /** The database key of a certificate: not the serial, and useless without the secret. */
  certKey(id: CertificateId): Buffer {
    return createHmac('sha256', this.#index)
      .update(`${id.issuer}\u0000${normaliseSerial(id.serial)}`)
      .digest();
  }

  /** The holder's pairwise pseudonymous id at one sector (service). */
  ppid(sector: string, holderId: Uint8Array): string {
    return createHmac('sha256', this.#ppid)
      .update(`${sector}\u0000`)
      .update(holderId)
      .digest('base64url');
  }
}
