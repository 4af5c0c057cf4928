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
import {
  CLOCK_SKEW_S,
  algorithmsOf,
  checkAssertionClaims,
  claimedIssuer,
  clientPublicKey,
  type ClaimRefusal,
  type KeyRefusal,
} from '../domain/clientAssertion.ts';
import type { JsonWebKey } from 'node:crypto';
import { compactVerify, importJWK, decodeProtectedHeader } from 'jose';
import { authorize, type Ctx, type Session } from './context.ts';
import { findProvider } from './providers.ts';
import { iso } from './rows.ts';
import type { ApiClientView } from '../contract/clients.ts';

interface ClientRow {
  id: string;
  provider_id: string;
  name: string;
  secret_hash: Uint8Array | null;
  public_jwk: JsonWebKey | null;
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
}

function view(r: ClientRow): ApiClientView {
  return {
    id: r.id,
    providerId: r.provider_id,
    name: r.name,
    authMethod: r.public_jwk ? 'private_key_jwt' : 'client_secret',
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    revokedAt: iso(r.revoked_at),
  };
}

const KEY_REFUSED: Record<KeyRefusal, { en: string; ja: string }> = {
  private_key: {
    en: 'that is a private key: give only the public half, and replace the key, since it has left its system',
    ja: 'これは秘密鍵です。公開鍵だけを登録してください（秘密鍵は外部に出たので作り直してください）',
  },
  not_a_public_key: {
    en: 'publicKey is not a public key (PEM SubjectPublicKeyInfo or a JWK)',
    ja: 'publicKey が公開鍵（PEM の SubjectPublicKeyInfo または JWK）ではありません',
  },
  unsupported_key: {
    en: 'publicKey must be EC P-256 (ES256) or RSA of 2048 bits or more (RS256, PS256)',
    ja: 'publicKey は EC P-256（ES256）か 2048 ビット以上の RSA（RS256・PS256）にしてください',
  },
  rsa_too_short: {
    en: 'the RSA key is shorter than 2048 bits',
    ja: 'RSA 鍵が 2048 ビット未満です',
  },
};

/**
 * A new client of the provider. With `publicKey` it authenticates with signed JWT
 * assertions (private_key_jwt) and has no secret; without, it gets a secret, shown
 * in this answer only.
 */
export async function createApiClient(
  ctx: Ctx,
  s: Session,
  input: { readonly providerId: ProviderId; readonly name: string; readonly publicKey?: string },
): Promise<{ client: ApiClientView; secret?: string }> {
  authorize(s, 'client.manage', { providerId: input.providerId });
  let jwk: JsonWebKey | null = null;
  if (input.publicKey !== undefined) {
    const key = clientPublicKey(input.publicKey);
    if ('refused' in key)
      throw new LoaderError('CLIENT_KEY_REFUSED', KEY_REFUSED[key.refused], 400);
    jwk = key.jwk;
  }
  const secret = jwk ? undefined : newClientSecret();
  const now = ctx.now();
  return writeTransaction(ctx.db, async (tx) => {
    if (!(await findProvider(tx, input.providerId))) throw notFound('provider', input.providerId);
    const id = newId('cl');
    const r = await tx.query<ClientRow>(
      `INSERT INTO api_clients (id, provider_id, name, secret_hash, public_jwk, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        id,
        input.providerId,
        input.name,
        secret ? credentialHash(secret) : null,
        jwk ? JSON.stringify(jwk) : null,
        s.operatorId,
        now,
      ],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'client.create',
        target: id,
        detail: {
          providerId: input.providerId,
          name: input.name,
          authMethod: jwk ? 'private_key_jwt' : 'client_secret',
        },
      },
      now,
    );
    return { client: view(r.rows[0]!), ...(secret ? { secret } : {}) };
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

/** The client named by a token request, if the id is one (never a query for junk). */
async function findClient(ctx: Ctx, clientId: string): Promise<ClientRow | undefined> {
  return /^cl_[0-9a-f]{24}$/.test(clientId)
    ? (await ctx.db.query<ClientRow>('SELECT * FROM api_clients WHERE id = $1', [clientId])).rows[0]
    : undefined;
}

/** A refused token request in the audit log: the client (or the id it claimed) and why. */
async function auditRefusal(
  ctx: Ctx,
  row: ClientRow | undefined,
  clientId: string,
  detail: Readonly<Record<string, string>>,
  now: Date,
): Promise<void> {
  await writeTransaction(ctx.db, (tx) =>
    appendAudit(
      tx,
      {
        actor: 'system',
        action: 'client.token_refused',
        target: row?.id ?? null,
        detail: {
          ...(row ? { providerId: row.provider_id } : { clientId: clientId.slice(0, 64) }),
          ...detail,
        },
      },
      now,
    ),
  );
}

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
  const row = await findClient(ctx, clientId);
  const good =
    row !== undefined &&
    row.revoked_at === null &&
    row.secret_hash !== null &&
    looksLikeClientSecret(secret) &&
    secretMatches(secret, row.secret_hash);
  if (!good) {
    const reason = !row
      ? 'unknown'
      : row.revoked_at !== null
        ? 'revoked'
        : row.secret_hash === null
          ? 'key_client'
          : 'secret';
    await auditRefusal(ctx, row, clientId, { reason }, now);
    throw BAD_CLIENT();
  }
  return issueToken(ctx, row, now, 'client_secret');
}

async function issueToken(
  ctx: Ctx,
  row: ClientRow,
  now: Date,
  method: 'client_secret' | 'private_key_jwt',
  assertion?: { readonly jti: string; readonly expS: number },
): Promise<{ token: string; expiresInS: number }> {
  const token = newClientToken();
  await writeTransaction(ctx.db, async (tx) => {
    if (assertion) {
      // Single use (RFC 7523 §3 item 7): the second time an id is seen, nothing is inserted.
      await tx.query(
        'DELETE FROM api_client_assertions WHERE client_id = $1 AND expires_at <= $2',
        [row.id, now],
      );
      const fresh = await tx.query(
        `INSERT INTO api_client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING jti`,
        [row.id, assertion.jti, new Date((assertion.expS + CLOCK_SKEW_S) * 1000)],
      );
      if (fresh.rows.length === 0) throw new AssertionReplayed();
    }
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
      { actor: row.id, action: 'client.token', detail: { providerId: row.provider_id, method } },
      now,
    );
  });
  return { token, expiresInS: CLIENT_TOKEN_TTL_MS / 1000 };
}

class AssertionReplayed extends Error {}

type AssertionRefusal =
  ClaimRefusal | 'unknown' | 'revoked' | 'secret_client' | 'signature' | 'replayed';

const ASSERTION_TEXT: Record<AssertionRefusal, { en: string; ja: string }> = {
  unknown: { en: 'unknown API client', ja: 'APIクライアントが不明です' },
  revoked: { en: 'the API client is revoked', ja: 'APIクライアントは失効しています' },
  secret_client: {
    en: 'this client authenticates with its secret, not with a signed JWT',
    ja: 'このクライアントはシークレットで認証します（署名付きJWTは使えません）',
  },
  signature: {
    en: 'the assertion’s signature does not verify with the client’s registered key (ES256, RS256 or PS256)',
    ja: 'アサーションの署名が登録済みの公開鍵で検証できません（ES256・RS256・PS256）',
  },
  replayed: {
    en: 'this assertion (its jti) was already used: make a new one for each request',
    ja: 'このアサーション（jti）は使用済みです。要求ごとに新しく作成してください',
  },
  issuer: { en: 'iss is not the client id', ja: 'iss がクライアントIDではありません' },
  subject: { en: 'sub is not the client id', ja: 'sub がクライアントIDではありません' },
  audience: {
    en: 'aud is not this token endpoint’s URL',
    ja: 'aud がこのトークンエンドポイントのURLではありません',
  },
  no_expiry: { en: 'the assertion has no exp', ja: 'アサーションに exp がありません' },
  expired: { en: 'the assertion has expired', ja: 'アサーションの有効期限が切れています' },
  too_long: {
    en: 'the assertion lives longer than 5 minutes (exp − iat)',
    ja: 'アサーションの有効期間が5分を超えています（exp − iat）',
  },
  not_yet: {
    en: 'the assertion is not valid yet (nbf)',
    ja: 'アサーションはまだ有効ではありません（nbf）',
  },
  issued_in_future: {
    en: 'iat is in the future: check the system’s clock',
    ja: 'iat が未来の時刻です。システムの時計を確認してください',
  },
  no_jti: { en: 'the assertion has no jti', ja: 'アサーションに jti がありません' },
};

/**
 * A 15-minute token for the client that signed `assertion` (private_key_jwt,
 * RFC 7523) for `audience` (this token endpoint's URL). Each refusal says why —
 * nothing in it helps a guesser, and it saves a vendor's day — and is audited.
 */
export async function issueClientTokenByAssertion(
  ctx: Ctx,
  assertion: string,
  audience: string,
): Promise<{ token: string; expiresInS: number }> {
  const now = ctx.now();
  const clientId = claimedIssuer(assertion) ?? '';
  const row = await findClient(ctx, clientId);
  const refuse = async (reason: AssertionRefusal): Promise<never> => {
    await auditRefusal(ctx, row, clientId, { method: 'private_key_jwt', reason }, now);
    throw new LoaderError('CLIENT_AUTH_FAILED', ASSERTION_TEXT[reason], 401);
  };
  if (!row) return refuse('unknown');
  if (row.revoked_at !== null) return refuse('revoked');
  if (row.public_jwk === null) return refuse('secret_client');
  const jwk =
    typeof row.public_jwk === 'string'
      ? (JSON.parse(row.public_jwk) as JsonWebKey)
      : row.public_jwk;
  const algorithms = algorithmsOf(jwk);
  let claims: Record<string, unknown>;
  try {
    const alg = decodeProtectedHeader(assertion).alg;
    if (!algorithms.includes(alg as never)) return await refuse('signature');
    const key = await importJWK({ ...jwk }, alg);
    const { payload } = await compactVerify(assertion, key, { algorithms: [...algorithms] });
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    if (claims === null || typeof claims !== 'object') throw new Error('claims are not an object');
  } catch (e) {
    if (e instanceof LoaderError) throw e;
    return refuse('signature');
  }
  const checked = checkAssertionClaims(claims, {
    clientId: row.id,
    audience,
    nowS: Math.floor(now.getTime() / 1000),
  });
  if (!checked.ok) return refuse(checked.refused);
  try {
    return await issueToken(ctx, row, now, 'private_key_jwt', checked);
  } catch (e) {
    if (e instanceof AssertionReplayed) return refuse('replayed');
    throw e;
  }
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
