/**
 * oidc-provider's storage on our database. Its records (sessions, interactions,
 * authorization codes, tokens, grants) go to idp_oidc_records as JSON; clients are
 * not stored by it: they are the relying parties an administrator registered in
 * idp_clients (registerClient with redirect URIs), served read-only.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Queryable } from '@myna-ap/db';
import { findClient, type Client } from '../store/clients.ts';

/** The relying party as oidc-provider's client metadata. */
export function clientMetadata(c: Client): AdapterPayload {
  return {
    client_id: c.clientId,
    client_name: c.name,
    redirect_uris: [...c.redirectUris],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: c.jwks as AdapterPayload['jwks'],
    subject_type: 'pairwise',
    // Ours (extraClientMetadata): the PPID sector the pairwise `sub` is made for.
    sector: c.sector,
  };
}

export function dbAdapter(db: Queryable): new (model: string) => Adapter {
  return class DbAdapter implements Adapter {
    readonly #model: string;
    constructor(model: string) {
      this.#model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.#model === 'Client') return; // clients are registered, not stored by the provider
      await db.query(
        `INSERT INTO idp_oidc_records (model, id, payload, grant_id, uid, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (model, id) DO UPDATE
           SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
               uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
        [
          this.#model,
          id,
          JSON.stringify(payload),
          payload.grantId ?? null,
          payload.uid ?? null,
          expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        ],
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#model === 'Client') {
        const c = await findClient(db, id);
        return c && c.redirectUris.length ? clientMetadata(c) : undefined;
      }
      return this.#one('id = $2', id);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.#one('uid = $2', uid);
    }

    async findByUserCode(): Promise<AdapterPayload | undefined> {
      return undefined; // no device flow
    }

    async consume(id: string): Promise<void> {
      await db.query(
        'UPDATE idp_oidc_records SET consumed_at = now() WHERE model = $1 AND id = $2',
        [this.#model, id],
      );
    }

    async destroy(id: string): Promise<void> {
      await db.query('DELETE FROM idp_oidc_records WHERE model = $1 AND id = $2', [
        this.#model,
        id,
      ]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.query('DELETE FROM idp_oidc_records WHERE grant_id = $1', [grantId]);
    }

    async #one(where: string, value: string): Promise<AdapterPayload | undefined> {
      const r = await db.query<{ payload: AdapterPayload; consumed_at: Date | null }>(
        `SELECT payload, consumed_at FROM idp_oidc_records
          WHERE model = $1 AND ${where} AND (expires_at IS NULL OR expires_at > now())`,
        [this.#model, value],
      );
      const row = r.rows[0];
      if (!row) return undefined;
      // oidc-provider refuses a consumed code itself (and revokes its grant) when it sees this.
      return row.consumed_at
        ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) }
        : row.payload;
    }
  };
}
