/**
 * API clients of business systems: created, listed and revoked by a platform
 * operator or the provider's administrator; a client's secret exchanged for a
 * 15-minute token; the token turned into the actor of a request. Every creation,
 * revocation, token and refused secret is in the audit log (never the secret).
 */
import { LoaderError, notFound } from '../errors.ts';
import { appendAudit, writeTransaction } from './audit.ts';
import { newId, type OperatorId, type ProviderId } from '../domain/ids.ts';
import {
  CLIENT_TOKEN_TTL_MS,
  credentialHash,
  looksLikeClientSecret,
  looksLikeClientToken,
  newClientSecret,
  newClientToken,
  secretMatches,
} from '../domain/apiClient.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import { findProvider } from './providers.ts';
import { iso } from './rows.ts';
import type { ApiClientView } from '../contract/clients.ts';

interface ClientRow {
  id: string;
  provider_id: string;
  name: string;
  secret_hash: Uint8Array;
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
}

function view(r: ClientRow): ApiClientView {
  return {
    id: r.id,
    providerId: r.provider_id,
    name: r.name,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    revokedAt: iso(r.revoked_at),
  };
}

export async function createApiClient(
  ctx: Ctx,
  s: Session,
  input: { readonly providerId: ProviderId; readonly name: string },
): Promise<{ client: ApiClientView; secret: string }> {
  authorize(s, 'client.manage', { providerId: input.providerId });
  const secret = newClientSecret();
  const now = ctx.now();
  return writeTransaction(ctx.db, async (tx) => {
    if (!(await findProvider(tx, input.providerId))) throw notFound('provider', input.providerId);
    const id = newId('cl');
    const r = await tx.query<ClientRow>(
      `INSERT INTO api_clients (id, provider_id, name, secret_hash, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [id, input.providerId, input.name, credentialHash(secret), s.operatorId, now],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'client.create',
        target: id,
        detail: { providerId: input.providerId, name: input.name },
      },
      now,
    );
    return { client: view(r.rows[0]!), secret };
  });
}

export async function listApiClients(
  ctx: Ctx,
  s: Session,
  providerId?: string,
): Promise<ApiClientView[]> {
  const scope = s.role === 'platform' ? providerId : (s.providerId ?? undefined);
  authorize(s, 'client.manage', scope === undefined ? {} : { providerId: scope as ProviderId });
  const r =
    scope === undefined
      ? await ctx.db.query<ClientRow>('SELECT * FROM api_clients ORDER BY created_at, id')
      : await ctx.db.query<ClientRow>(
          'SELECT * FROM api_clients WHERE provider_id = $1 ORDER BY created_at, id',
          [scope],
        );
  return r.rows.map(view);
}

export async function revokeApiClient(ctx: Ctx, s: Session, id: string): Promise<ApiClientView> {
  const now = ctx.now();
  return writeTransaction(ctx.db, async (tx) => {
    const row = (
      await tx.query<ClientRow>('SELECT * FROM api_clients WHERE id = $1 FOR UPDATE', [id])
    ).rows[0];
    // Another provider's client does not exist for this administrator.
    if (!row || (s.role !== 'platform' && row.provider_id !== s.providerId))
      throw notFound('API client', id);
    authorize(s, 'client.manage', { providerId: row.provider_id as ProviderId });
    if (row.revoked_at !== null) {
      throw new LoaderError(
        'CLIENT_REVOKED',
        {
          en: `API client ${id} is already revoked`,
          ja: `APIクライアント ${id} は既に失効しています`,
        },
        409,
      );
    }
    const r = await tx.query<ClientRow>(
      'UPDATE api_clients SET revoked_at = $2, revoked_by = $3 WHERE id = $1 RETURNING *',
      [id, now, s.operatorId],
    );
    // Its tokens stop at once: authenticateClient checks revoked_at; dropping them keeps the table small.
    await tx.query('DELETE FROM api_client_tokens WHERE client_id = $1', [id]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'client.revoke',
        target: id,
        detail: { providerId: row.provider_id },
      },
      now,
    );
    return view(r.rows[0]!);
  });
}

const BAD_CLIENT = () =>
  new LoaderError(
    'CLIENT_AUTH_FAILED',
    {
      en: 'unknown API client, wrong secret, or a revoked client',
      ja: 'APIクライアントが不明か、シークレットが違うか、失効しています',
    },
    401,
  );

/**
 * A 15-minute token for the client whose id and secret these are (OAuth client
 * credentials). A refusal says nothing of which part was wrong and is audited.
 */
export async function issueClientToken(
  ctx: Ctx,
  clientId: string,
  secret: string,
): Promise<{ token: string; expiresInS: number }> {
  const now = ctx.now();
  const row = /^cl_[0-9a-f]{24}$/.test(clientId)
    ? (await ctx.db.query<ClientRow>('SELECT * FROM api_clients WHERE id = $1', [clientId])).rows[0]
    : undefined;
  const good =
    row !== undefined &&
    row.revoked_at === null &&
    looksLikeClientSecret(secret) &&
    secretMatches(secret, row.secret_hash);
  if (!good) {
    await writeTransaction(ctx.db, (tx) =>
      appendAudit(
        tx,
        {
          actor: 'system',
          action: 'client.token_refused',
          target: row?.id ?? null,
          detail: {
            ...(row ? { providerId: row.provider_id } : { clientId: clientId.slice(0, 64) }),
            reason: !row ? 'unknown' : row.revoked_at !== null ? 'revoked' : 'secret',
          },
        },
        now,
      ),
    );
    throw BAD_CLIENT();
  }
  const token = newClientToken();
  await writeTransaction(ctx.db, async (tx) => {
    await tx.query(
      `INSERT INTO api_client_tokens (token_hash, client_id, issued_at, expires_at)
       VALUES ($1, $2, $3, $4)`,
      [credentialHash(token), row.id, now, new Date(now.getTime() + CLIENT_TOKEN_TTL_MS)],
    );
    // Expired tokens of this client are of no use to anyone: keep the table small.
    await tx.query('DELETE FROM api_client_tokens WHERE client_id = $1 AND expires_at <= $2', [
      row.id,
      now,
    ]);
    await appendAudit(
      tx,
      { actor: row.id, action: 'client.token', detail: { providerId: row.provider_id } },
      now,
    );
  });
  return { token, expiresInS: CLIENT_TOKEN_TTL_MS / 1000 };
}

/**
 * The actor behind a client's bearer token, or UNAUTHENTICATED (expired, revoked,
 * unknown). It acts as an administrator of its provider with no terminals — so
 * the feed's and key packages' own checks scope it to its provider — but the auth
 * hook lets it reach only the routes of http/clientAuth.ts's list.
 */
export async function authenticateClient(ctx: Ctx, token: string): Promise<Session> {
  const bad = () =>
    new LoaderError(
      'UNAUTHENTICATED',
      {
        en: 'the API client’s token is missing, expired or revoked: ask POST /v1/oauth/token again',
        ja: 'APIクライアントのトークンがないか期限切れまたは失効です。POST /v1/oauth/token で取り直してください',
      },
      401,
    );
  if (!looksLikeClientToken(token)) throw bad();
  const r = await ctx.db.query<ClientRow & { expires_at: Date }>(
    `SELECT c.*, t.expires_at FROM api_client_tokens t JOIN api_clients c ON c.id = t.client_id
      WHERE t.token_hash = $1`,
    [credentialHash(token)],
  );
  const row = r.rows[0];
  const now = ctx.now();
  if (!row || row.revoked_at !== null || new Date(row.expires_at).getTime() <= now.getTime())
    throw bad();
  return {
    operatorId: row.id as unknown as OperatorId,
    login: `client:${row.name}`,
    role: 'administrator',
    providerId: row.provider_id as ProviderId,
    terminals: [],
    expiresAt: new Date(row.expires_at),
  };
}
