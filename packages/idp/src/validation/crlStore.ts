/**
 * The local CRL indexes of the CRL 方式 (地方認証PF): one per trusted CA, each
 * bound to its CA (every CRL and delta must carry the CA's signature), refreshed
 * from the CA's CRL URL when it is due. Lookups are local and need no network.
 */
import { CrlIndex } from '@myna-ap/pki';
import type { Trust, TrustedCa } from './trust.ts';

export interface CrlStatus {
  readonly label: string;
  readonly entries: number;
  readonly nextUpdate: Date | undefined;
  readonly crlNumber: string | undefined;
}

export class CrlStore {
  readonly #trust: Trust;
  readonly #fetch: typeof fetch;
  readonly #byLabel = new Map<string, CrlIndex>();

  constructor(trust: Trust, opts: { fetch?: typeof fetch } = {}) {
    this.#trust = trust;
    this.#fetch = opts.fetch ?? fetch;
  }

  /** The index for certificates issued by the CA with this subject, if one is installed. */
  indexFor(caSubject: string): CrlIndex | undefined {
    const ca = this.#trust.cas.find((c) => c.subject === caSubject);
    return ca && this.#byLabel.get(ca.label);
  }

  /** Installs a full CRL of a trusted CA (replacing the index), checked against that CA. */
  install(label: string, fullCrl: Uint8Array): CrlIndex {
    const ca = this.#ca(label);
    const idx = CrlIndex.fromCrl(fullCrl, { caCertificate: ca.certificate });
    this.#byLabel.set(label, idx);
    return idx;
  }

  /** Applies a delta CRL to the CA's index (a full CRL must be installed first). */
  applyDelta(label: string, deltaCrl: Uint8Array): number {
    const idx = this.#byLabel.get(label);
    if (!idx) throw new Error(`no full CRL installed for ${label}`);
    return idx.applyDelta(deltaCrl);
  }

  /**
   * Fetches the full CRL of every CA that has a URL and whose index is missing or
   * due (nextUpdate within `marginMs`). A CA whose fetch fails keeps its old index
   * (which answers `unavailable` once past nextUpdate); the failures are returned.
   */
  async refresh(
    now = new Date(),
    marginMs = 5 * 60_000,
  ): Promise<{ label: string; error: string }[]> {
    const failures: { label: string; error: string }[] = [];
    for (const ca of this.#trust.cas) {
      if (!ca.crlUrl) continue;
      const idx = this.#byLabel.get(ca.label);
      if (idx?.nextUpdate && idx.nextUpdate.getTime() - marginMs > now.getTime()) continue;
      try {
        const res = await this.#fetch(ca.crlUrl, { signal: AbortSignal.timeout(30_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        this.install(ca.label, new Uint8Array(await res.arrayBuffer()));
      } catch (e) {
        failures.push({ label: ca.label, error: (e as Error).message });
      }
    }
    return failures;
  }

  status(): CrlStatus[] {
    return this.#trust.cas.map((ca) => {
      const idx = this.#byLabel.get(ca.label);
      return {
        label: ca.label,
        entries: idx?.size ?? 0,
        nextUpdate: idx?.nextUpdate,
        crlNumber: idx?.lastNumber?.toString(),
      };
    });
  }

  #ca(label: string): TrustedCa {
    const ca = this.#trust.cas.find((c) => c.label === label);
    if (!ca) throw new Error(`no trusted CA labelled ${label}`);
    return ca;
  }
}
